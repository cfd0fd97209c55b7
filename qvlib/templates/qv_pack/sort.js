/* qv sortable tables (show_table(sortable=True)): each column heading becomes a button that
   sorts the rows by that column, ascending first, then descending.  Numbers (the data-sort key
   when present) sort by value, text in natural order, blanks always last; rows that tie keep
   their original order, so the same clicks always give the same table. */
(function () {
  "use strict";
  var collator = new Intl.Collator("en-GB", { numeric: true, sensitivity: "base" });

  function keyOf(row, col) {
    var cell = row.cells[col];
    if (!cell) return null;
    var raw = cell.getAttribute("data-sort");
    if (raw === null) raw = cell.textContent.trim();
    if (raw === "") return null;
    var number = Number(raw);
    return isFinite(number) ? number : raw;
  }

  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
    if (typeof a === "number") return -1;
    if (typeof b === "number") return 1;
    return collator.compare(a, b);
  }

  function sortBy(table, heading, col) {
    var direction = heading.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row) {
      return { row: row, key: keyOf(row, col) };
    });
    rows.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        if (a.key === null && b.key === null) return a.row.qvIndex - b.row.qvIndex;
        return a.key === null ? 1 : -1;
      }
      return direction * compare(a.key, b.key) || a.row.qvIndex - b.row.qvIndex;
    });
    rows.forEach(function (item) {
      body.appendChild(item.row);
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.removeAttribute("aria-sort");
    });
    heading.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
  }

  function enhance(table) {
    var head = table.tHead && table.tHead.rows[0];
    var body = table.tBodies[0];
    if (!head || !body || table.querySelector("td.qv-empty")) return;
    Array.prototype.forEach.call(body.rows, function (row, index) {
      row.qvIndex = index;
    });
    Array.prototype.forEach.call(head.cells, function (heading, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "qv-sort";
      while (heading.firstChild) button.appendChild(heading.firstChild);
      heading.appendChild(button);
      button.addEventListener("click", function () {
        sortBy(table, heading, col);
      });
    });
    var hint = table.parentNode.querySelector(".qv-sort-hint");
    if (hint) hint.hidden = false;
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.qv-sortable"), enhance);
})();
