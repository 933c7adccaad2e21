// A form page opens with the cursor in its first field, or in the first field with a problem,
// unless that field is below the fold (the page never jumps) or something else has focus.
document.addEventListener("DOMContentLoaded", function () {
  if (document.activeElement && document.activeElement !== document.body) return;
  const main = document.getElementById("main");
  if (!main) return;
  const wrong = main.querySelector(".field .errorlist");
  const field = (wrong && wrong.closest(".field")) || main.querySelector("[data-first-field]");
  if (!field) return;
  const input = field.querySelector("input:not([type=hidden]), select, textarea, trix-editor");
  if (!input || input.getBoundingClientRect().top > window.innerHeight) return;
  input.focus({ preventScroll: true });
});
