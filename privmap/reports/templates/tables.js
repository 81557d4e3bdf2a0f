"use strict";
// Sorting and filtering for the report's tables. Without JavaScript every table is complete and
// the filter forms stay hidden. This file is inlined and allowed by its hash in the page's
// Content-Security-Policy; it makes no request and reads nothing but the page.
(function () {
  // a cell's data-sort (or data-value) attribute when it has one, else its text
  function key(row, index, attribute) {
    const cell = row.cells[index];
    if (!cell) return "";
    const given = cell.dataset[attribute];
    return given !== undefined ? given : cell.textContent.trim();
  }

  function makeSortable(table) {
    const heads = table.tHead ? Array.from(table.tHead.rows[0].cells) : [];
    heads.forEach(function (th, index) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort(function (a, b) {
          const order = key(a, index, "sort").localeCompare(key(b, index, "sort"), undefined, { numeric: true });
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function makeFilter(form) {
    const table = document.getElementById(form.dataset.filterFor);
    if (!table) return;
    const text = form.querySelector("input[type=search]");
    const selects = Array.from(form.querySelectorAll("select[data-column]"));
    const count = form.querySelector("output");
    function apply() {
      const words = text ? text.value.trim().toLowerCase().split(/\s+/).filter(Boolean) : [];
      let shown = 0;
      const rows = Array.from(table.tBodies[0].rows);
      rows.forEach(function (row) {
        const content = row.textContent.toLowerCase();
        const match = words.every(function (w) { return content.includes(w); }) &&
          selects.every(function (s) {
            return !s.value || key(row, Number(s.dataset.column), "value") === s.value;
          });
        row.hidden = !match;
        if (match) shown += 1;
      });
      if (count) count.textContent = shown + " of " + rows.length + " rows shown";
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.hidden = false;
    apply();
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll("form[data-filter-for]").forEach(makeFilter);
})();
