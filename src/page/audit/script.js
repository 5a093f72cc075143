"use strict";
(function () {
  var table = document.getElementById("domains");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var order = rows.slice();
  var part = document.getElementById("f-part");
  var tone = document.getElementById("f-tone");
  var text = document.getElementById("f-text");
  var count = document.getElementById("f-count");
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var sorted = -1, direction = 1;

  function matches(row) {
    var q = text.value.trim().toLowerCase();
    if (q && row.cells[0].textContent.toLowerCase().indexOf(q) < 0) { return false; }
    if (tone.value === "") { return true; }
    if (part.value !== "") { return row.cells[+part.value].dataset.t === tone.value; }
    for (var i = 1; i < row.cells.length; i++) {
      if (row.cells[i].dataset.t === tone.value) { return true; }
    }
    return false;
  }

  function filter() {
    var shown = 0;
    rows.forEach(function (row) {
      var show = matches(row);
      row.hidden = !show;
      if (show) { shown++; }
    });
    count.textContent = shown + " of " + rows.length + " domains shown";
  }

  function sortBy(column) {
    direction = column === sorted ? -direction : 1;
    sorted = column;
    order = rows.slice().sort(function (a, b) {
      var x, y;
      if (column === 0) {
        x = a.cells[0].textContent; y = b.cells[0].textContent;
        if (x !== y) { return (x < y ? -1 : 1) * direction; }
      } else {
        x = +a.cells[column].dataset.t; y = +b.cells[column].dataset.t;
        if (x !== y) { return (x - y) * direction; }
      }
      return +a.dataset.i - +b.dataset.i;
    });
    order.forEach(function (row) { body.appendChild(row); });
    heads.forEach(function (th, i) {
      if (i === column) {
        th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
  }

  heads.forEach(function (th, i) {
    var button = th.querySelector("button");
    if (button) { button.addEventListener("click", function () { sortBy(i); }); }
  });
  [part, tone].forEach(function (c) { c.addEventListener("change", filter); });
  text.addEventListener("input", filter);
  document.getElementById("controls").hidden = false;

  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details.domain"),
      function (d) { return !d.open; });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  filter();
})();
