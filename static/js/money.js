/* Webmaster money pages: the earnings-by-day chart (stacked SVG bars, no library) and the
   print button of a statement. Data comes from a JSON data block (json_script); no inline JS. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var PARTS = ["clicks", "guarantee_topup", "registrations", "orders"];
  var LABELS = { clicks: "Clicks", guarantee_topup: "Guarantee top-up", registrations: "Registrations", orders: "Orders" };

  function el(name, attrs) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  function drawChart(box) {
    var source = document.getElementById(box.getAttribute("data-money-chart"));
    var days = source ? JSON.parse(source.textContent) : [];
    if (!days.length) {
      box.textContent = "No earnings in this range yet.";
      return;
    }
    var width = 800, height = 240, left = 48, bottom = 24, top = 8;
    var max = Math.max.apply(null, days.map(function (d) { return Number(d.total); }).concat([1]));
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, preserveAspectRatio: "none" });
    var plotH = height - bottom - top, step = (width - left) / days.length;
    var barW = Math.max(1, step * 0.7);
    svg.appendChild(el("line", { x1: left, y1: top + plotH, x2: width, y2: top + plotH, "class": "axis" }));
    [0, 0.5, 1].forEach(function (f) {
      var label = el("text", { x: 2, y: top + plotH - f * plotH + 4 });
      label.textContent = (max * f).toFixed(0);
      svg.appendChild(label);
    });
    days.forEach(function (day, i) {
      var x = left + i * step + (step - barW) / 2, y = top + plotH;
      PARTS.forEach(function (part) {
        var h = (Number(day[part]) / max) * plotH;
        if (h <= 0) { return; }
        y -= h;
        var rect = el("rect", { x: x, y: y, width: barW, height: h, "class": "bar-" + part });
        var title = el("title");
        title.textContent = day.date + " · " + LABELS[part] + ": " + day[part];
        rect.appendChild(title);
        svg.appendChild(rect);
      });
      if (days.length <= 31 && (i % Math.ceil(days.length / 8) === 0)) {
        var tick = el("text", { x: x, y: height - 6 });
        tick.textContent = day.date.slice(5);
        svg.appendChild(tick);
      }
    });
    box.appendChild(svg);
    var legend = document.createElement("div");
    legend.className = "money-legend";
    PARTS.forEach(function (part) {
      var item = document.createElement("span");
      item.className = part;
      item.textContent = LABELS[part];
      legend.appendChild(item);
    });
    box.appendChild(legend);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-money-chart]"), drawChart);
    Array.prototype.forEach.call(document.querySelectorAll("[data-money-print]"), function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
