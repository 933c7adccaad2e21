// Refuses, before sending, a metric upload larger than the form's data-max-bytes (htmx uploads).
document.addEventListener("htmx:confirm", function (event) {
  const form = event.target.closest("form[data-max-bytes]");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const warning = form.querySelector("[data-size-warning]");
  const file = input && input.files[0];
  if (file && file.size > Number(form.dataset.maxBytes)) {
    event.preventDefault();
    warning.textContent = file.name + " is " + (file.size / 1e6).toFixed(1) + " MB, more than the limit.";
  }
});
