// The partner list's bulk bar: "tick all on this page", and how many are ticked.
(function () {
  function count(form) {
    const ticked = form.querySelectorAll("input[name=partner]:checked").length;
    const shown = form.querySelector("[data-ticked-count]");
    if (shown) shown.textContent = ticked;
  }
  document.addEventListener("change", function (event) {
    const form = event.target.closest("#partner-bulk");
    if (!form) return;
    if (event.target.matches("[data-tick-all]")) {
      form.querySelectorAll("input[name=partner]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    count(form);
  });
})();
