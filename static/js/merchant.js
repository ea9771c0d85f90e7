/* Merchant portal: the "not a recommended tier" warning of the full-site setup, and
   confirmations for destructive forms. Same-origin, no dependencies (the CSP blocks others). */
(function () {
  "use strict";

  function setupTiers(form) {
    var tiers = (form.getAttribute("data-tiers") || "").split(",").filter(Boolean);
    var warning = document.getElementById("not-tier-warning");
    var custom = form.querySelector("#custom_roi");
    if (!warning || !custom) { return; }

    function chosen() {
      var checked = form.querySelector("input[name=tier]:checked");
      if (!tiers.length || !checked || checked.value === "custom") { return custom.value.trim(); }
      return checked.value;
    }

    function isTier(value) {
      var number = parseFloat(value);
      return tiers.some(function (tier) { return Math.abs(parseFloat(tier) - number) < 1e-9; });
    }

    function refresh() {
      var value = chosen();
      warning.classList.toggle("is-hidden", tiers.length > 0 && value !== "" && isTier(value));
    }

    form.addEventListener("change", refresh);
    custom.addEventListener("input", function () {
      var other = form.querySelector("#tier-custom");
      if (other && custom.value.trim() !== "") { other.checked = true; }
      refresh();
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var roi = document.getElementById("full-site-roi");
    if (roi) { setupTiers(roi); }
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
