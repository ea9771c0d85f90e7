/* Webmaster money pages: the by-day chart (SVG, no library) and the print button of a
   statement. Data comes from a JSON data block (json_script); no inline JS (the CSP).

   The chart is split into strips, one per series, each on its own scale (issue 15): a day's
   click earnings of 3.00 beside a guarantee top-up of 497.00 would be an invisible sliver on one
   axis. Each strip names its highest day on the left. A day still being counted (today, or a
   provisional day) is drawn hatched and labelled "so far". */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var STRIPS = [
    { key: "clicks", inner: "valid_clicks", label: "Clicks (dark: valid)", kind: "count", cls: "clicks" },
    { key: "earn_clicks", label: "Click earnings", kind: "money", cls: "earn-clicks" },
    { key: "earn_guarantee_topup", label: "Guarantee top-up", kind: "money", cls: "earn-guarantee" },
    { key: "earn_registrations", label: "Registration earnings", kind: "money", cls: "earn-registrations" },
    { key: "earn_orders", label: "Order earnings", kind: "money", cls: "earn-orders" }
  ];

  function el(name, attrs) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  function format(value, kind, currency) {
    var number = Number(value);
    if (kind === "count") { return number.toLocaleString("en-US"); }
    return number.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) +
      (currency ? " " + currency : "");
  }

  function drawChart(box) {
    var source = document.getElementById(box.getAttribute("data-money-chart"));
    var currency = box.getAttribute("data-currency") || "";
    var days = source ? JSON.parse(source.textContent) : [];
    if (!days.length) {
      box.textContent = "No traffic or earnings in this range yet.";
      return;
    }
    var strips = STRIPS.filter(function (strip, index) {
      return index === 0 || days.some(function (d) { return Number(d[strip.key]) > 0; });
    });
    var width = 900, left = 170, right = 8, stripH = 64, gap = 14, axisH = 22;
    var height = strips.length * (stripH + gap) + axisH;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, "class": "money-strips" });
    var defs = el("defs");
    var pattern = el("pattern", { id: "money-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)" });
    pattern.appendChild(el("rect", { width: 6, height: 6, "class": "hatch-bg" }));
    pattern.appendChild(el("line", { x1: 0, y1: 0, x2: 0, y2: 6, "class": "hatch-line" }));
    defs.appendChild(pattern);
    svg.appendChild(defs);
    var step = (width - left - right) / days.length;
    var barW = Math.max(1, step * 0.72);

    strips.forEach(function (strip, row) {
      var top = row * (stripH + gap);
      var base = top + stripH;
      var max = Math.max.apply(null, days.map(function (d) { return Number(d[strip.key]); }).concat([0]));
      var name = el("text", { x: 0, y: top + 14, "class": "strip-label" });
      name.textContent = strip.label;
      svg.appendChild(name);
      var top_value = el("text", { x: 0, y: top + 30, "class": "strip-max" });
      top_value.textContent = "max " + format(max, strip.kind, strip.kind === "money" ? currency : "");
      svg.appendChild(top_value);
      svg.appendChild(el("line", { x1: left, y1: base, x2: width - right, y2: base, "class": "axis" }));
      days.forEach(function (day, i) {
        var x = left + i * step + (step - barW) / 2;
        var value = Number(day[strip.key]);
        var h = max > 0 ? (value / max) * (stripH - 4) : 0;
        var cls = "bar bar-" + strip.cls + (day.partial ? " partial" : "");
        var rect = el("rect", { x: x, y: base - h, width: barW, height: Math.max(h, value > 0 ? 1 : 0), "class": cls });
        var title = el("title");
        title.textContent = day.date + (day.partial ? " (so far)" : "") + " · " + strip.label + ": " +
          format(value, strip.kind, strip.kind === "money" ? currency : "") +
          (strip.inner ? " · valid " + format(day[strip.inner], "count") : "");
        rect.appendChild(title);
        svg.appendChild(rect);
        if (strip.inner && max > 0) {
          var ih = (Number(day[strip.inner]) / max) * (stripH - 4);
          svg.appendChild(el("rect", { x: x + barW * 0.2, y: base - ih, width: barW * 0.6, height: ih,
            "class": "bar bar-valid" + (day.partial ? " partial" : "") }));
        }
      });
    });
    var ticks = Math.max(1, Math.ceil(days.length / 8));
    var axisY = height - 6;
    days.forEach(function (day, i) {
      var last = i === days.length - 1;
      if (i % ticks !== 0 && !last) { return; }
      if (!last && days.length - 1 - i < ticks / 2) { return; }
      var tick = el("text", { x: left + i * step + step / 2, y: axisY, "class": "tick" + (day.partial ? " tick-partial" : "") });
      tick.setAttribute("text-anchor", last ? "end" : "middle");
      tick.textContent = day.date + (day.partial ? " so far" : "");
      svg.appendChild(tick);
    });
    box.appendChild(svg);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-money-chart]"), drawChart);
    Array.prototype.forEach.call(document.querySelectorAll("[data-money-print]"), function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
