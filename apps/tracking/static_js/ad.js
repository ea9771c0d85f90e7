/* Alliance unified ad code (API.md "Tracking"):
 *   <script async src="https://HOST/ad.js" data-placement="CODE"></script>
 * Fetches /serve/CODE from the script's own origin, renders one product ad inside a Shadow
 * DOM (the host page's CSS cannot reach in, ours cannot leak out), reports the impression to
 * /px/imp once rendered, and does nothing on 204. Defines no globals. */
(function () {
  "use strict";
  var SELECTOR = 'script[data-placement][src*="/ad.js"]';
  var DONE = "data-alliance-rendered";

  function scripts() {
    var found = [];
    if (document.currentScript && document.currentScript.getAttribute("data-placement")) {
      found.push(document.currentScript);
    }
    var all = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < all.length; i++) {
      if (found.indexOf(all[i]) < 0) found.push(all[i]);
    }
    return found;
  }

  var STYLE =
    ":host{all:initial;display:block;z-index:2147483000;font:14px/1.35 system-ui,-apple-system," +
    "'Segoe UI',Roboto,sans-serif;color:#1f2937}" +
    ".ad{box-sizing:border-box;display:flex;gap:10px;align-items:center;background:#fff;" +
    "border:1px solid #e5e7eb;border-radius:10px;padding:10px;box-shadow:0 4px 18px rgba(0,0,0,.12);" +
    "text-decoration:none;color:inherit;max-width:100%}" +
    ".ad:hover{border-color:#2563eb}" +
    "img{width:64px;height:64px;object-fit:cover;border-radius:6px;flex:none}" +
    ".body{display:flex;flex-direction:column;min-width:0}" +
    ".title{font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".meta{color:#6b7280;font-size:12px}" +
    ".price{color:#b91c1c;font-weight:700}" +
    ".tag{position:absolute;top:-8px;right:8px;background:#111827;color:#fff;font-size:10px;" +
    "padding:1px 6px;border-radius:8px}" +
    ".close{all:unset;cursor:pointer;position:absolute;top:-8px;left:8px;background:#fff;" +
    "border:1px solid #d1d5db;border-radius:50%;width:16px;height:16px;text-align:center;" +
    "font-size:11px;line-height:16px;color:#374151}" +
    ".wrap{position:relative}" +
    ".text_link .ad{display:inline;border:0;box-shadow:none;padding:0;background:none}" +
    ".text_link .ad .title{color:#2563eb;text-decoration:underline;white-space:normal}" +
    ".banner .ad{width:100%}" +
    ".sidebar .ad{flex-direction:column;align-items:flex-start;width:240px}" +
    ".sidebar img{width:100%;height:auto}";

  var FIXED = {
    bottom_left: "position:fixed;left:16px;bottom:16px;width:320px;max-width:calc(100vw - 32px);",
    bottom_right: "position:fixed;right:16px;bottom:16px;width:320px;max-width:calc(100vw - 32px);"
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function render(script, data) {
    var ad = data.ad || {};
    var position = data.position || "bottom_right";
    var host = document.createElement("alliance-ad");
    host.setAttribute("data-placement", script.getAttribute("data-placement"));
    var inline = FIXED[position];
    host.setAttribute("style", inline || "display:block;margin:8px 0;");
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = STYLE;
    root.appendChild(style);
    var wrap = el("div", "wrap " + position);
    var link = el("a", "ad");
    link.href = ad.click_url;
    link.target = "_blank";
    link.rel = "sponsored noopener";
    if (ad.image_url && position !== "text_link") {
      var img = el("img");
      img.src = ad.image_url;
      img.alt = "";
      img.loading = "lazy";
      link.appendChild(img);
    }
    var body = el("span", "body");
    body.appendChild(el("span", "title", ad.title || ""));
    var meta = el("span", "meta");
    meta.appendChild(el("span", "price", ad.price || ""));
    meta.appendChild(document.createTextNode(ad.merchant ? " \u00b7 " + ad.merchant : ""));
    body.appendChild(meta);
    link.appendChild(body);
    wrap.appendChild(link);
    if (inline) {
      wrap.appendChild(el("span", "tag", "Ad"));
      var close = el("button", "close", "\u00d7");
      close.setAttribute("aria-label", "Close ad");
      close.addEventListener("click", function () {
        host.remove();
      });
      wrap.appendChild(close);
      document.body.appendChild(host);
    } else {
      script.parentNode.insertBefore(host, script.nextSibling);
    }
    root.appendChild(wrap);
    if (data.report_url) {
      fetch(data.report_url, { method: "POST", mode: "cors", credentials: "omit", keepalive: true })
        .catch(function () {});
    }
  }

  function load(script) {
    if (script.hasAttribute(DONE)) return;
    script.setAttribute(DONE, "1");
    var code = script.getAttribute("data-placement");
    var origin;
    try {
      origin = new URL(script.src, document.baseURI).origin;
    } catch (e) {
      return;
    }
    fetch(origin + "/serve/" + encodeURIComponent(code), { credentials: "omit", mode: "cors" })
      .then(function (response) {
        return response.status === 200 ? response.json() : null;
      })
      .then(function (data) {
        if (!data || !data.ad) return;
        if (document.body) {
          render(script, data);
        } else {
          document.addEventListener("DOMContentLoaded", function () {
            render(script, data);
          });
        }
      })
      .catch(function () {});
  }

  var found = scripts();
  for (var i = 0; i < found.length; i++) load(found[i]);
})();
