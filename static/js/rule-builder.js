// The criteria builder: searchable metric and certification pickers (tom-select), the threshold's
// unit next to it as the metric changes, and thresholds shown with their thousands grouped.
(function () {
  function units(root) {
    const table = document.getElementById("metric-units");
    return table ? JSON.parse(table.textContent) : {};
  }

  function showUnit(condition) {
    const metric = condition.querySelector("select[name$=':metric']");
    const agg = condition.querySelector("select[name$=':agg']");
    const prefix = condition.querySelector("[data-prefix]");
    const suffix = condition.querySelector("[data-suffix]");
    if (!metric || !prefix || !suffix) return;
    let [before, after] = units()[metric.value] || ["", ""];
    if (agg && agg.value === "count") [before, after] = ["", "months"];
    if (agg && agg.value === "growth") [before, after] = ["", "%"];
    prefix.textContent = before;
    suffix.textContent = after;
  }

  function grouped(text) {
    const plain = text.replace(/[,\s%]/g, "");
    const match = /^(-?)(\d+)(\.\d+)?$/.exec(plain);
    if (!match) return text;
    return match[1] + match[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (match[3] || "");
  }

  htmx.onLoad(function (content) {
    content.querySelectorAll("select[data-search]").forEach(function (select) {
      if (select.tomselect || typeof TomSelect === "undefined") return;
      const picker = new TomSelect(select, { maxOptions: null, allowEmptyOption: false, create: false });
      // The picker's input takes the label; the select it fills stays only for the form.
      select.setAttribute("aria-hidden", "true");
      if (select.hasAttribute("autofocus")) picker.focus();
    });
  });

  document.addEventListener("change", function (event) {
    const condition = event.target.closest(".rule-condition");
    if (!condition) return;
    if (event.target.matches("[data-threshold]")) event.target.value = grouped(event.target.value);
    else showUnit(condition);
  });
})();
