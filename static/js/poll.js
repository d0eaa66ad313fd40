// A page region that follows work going on in the background (the export progress page):
// every few seconds the page is fetched again and the region's content swapped for the new
// one, until the region the server sends no longer asks to be polled (done or failed). A
// short, visually hidden live region says what changed. Without this script the region has a
// 刷新 link that reloads the page; nothing reloads by itself (no <meta http-equiv=refresh>).
(function () {
  "use strict";

  var MAX_FAILURES = 5;

  function statusText(region) {
    var found = region.querySelector('[role="status"], [role="alert"]');
    return (found || region).textContent.replace(/\s+/g, " ").trim();
  }

  function follow(region) {
    var seconds = parseInt(region.getAttribute("data-poll"), 10) || 5;
    var failures = 0;
    var announcer = document.createElement("div");
    announcer.className = "visually-hidden";
    announcer.setAttribute("role", "status");
    region.parentNode.insertBefore(announcer, region.nextSibling);

    function next() {
      window.setTimeout(poll, seconds * 1000);
    }

    function poll() {
      if (document.hidden) {
        next();
        return;
      }
      fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (!fresh) {
            return; // signed out, or the page changed shape: the 刷新 link still works
          }
          failures = 0;
          if (fresh.innerHTML !== region.innerHTML) {
            var before = statusText(region);
            region.innerHTML = fresh.innerHTML;
            var after = statusText(region);
            if (after !== before) {
              announcer.textContent = after;
            }
          }
          if (fresh.hasAttribute("data-poll")) {
            next();
          } else {
            region.removeAttribute("data-poll");
          }
        })
        .catch(function () {
          failures += 1;
          if (failures < MAX_FAILURES) {
            next();
          }
        });
    }

    next();
  }

  document.querySelectorAll("[data-poll][id]").forEach(follow);
})();
