// Live totals on the commitment form. The server computes and shows the same figures on every
// save; this only keeps them current while typing, so the form works without it.
(function () {
  "use strict";

  function parse(text) {
    // Accept full-width digits and points typed with a Chinese input method.
    var normal = String(text || "").trim().replace(/[\uff10-\uff19\uff0e]/g, function (ch) {
      return String.fromCharCode(ch.charCodeAt(0) - 0xfee0);
    });
    if (!/^\d+(\.\d{1,2})?$/.test(normal)) {
      return null;
    }
    return Math.round(parseFloat(normal) * 100);  // in hundredths, to add exactly
  }

  function show(cents) {
    // As the server's amount filter shows them: thousands grouped, no trailing zeros.
    var parts = (cents / 100).toFixed(2).replace(/\.?0+$/, "").split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.join(".");
  }

  function update(form) {
    var sums = { total: 0 };
    var count = 0;
    form.querySelectorAll("tr[data-row]").forEach(function (row) {
      var rowTotal = 0;
      var any = false;
      row.querySelectorAll("input[data-fund]").forEach(function (input) {
        var cents = parse(input.value);
        if (cents !== null) {
          rowTotal += cents;
          any = true;
        }
      });
      var cell = row.querySelector("[data-row-total]");
      if (cell) {
        cell.textContent = any ? show(rowTotal) : "";
      }
      var tick = row.querySelector("input[data-undertaken]");
      if (!tick || !tick.checked) {
        return;
      }
      count += 1;
      row.querySelectorAll("input[data-fund]").forEach(function (input) {
        var cents = parse(input.value);
        var name = input.getAttribute("data-fund");
        sums[name] = (sums[name] || 0) + (cents || 0);
        sums.total += cents || 0;
      });
    });
    form.querySelectorAll("[data-sum]").forEach(function (el) {
      var name = el.getAttribute("data-sum");
      el.textContent = name === "count" ? String(count) : show(sums[name] || 0);
    });
  }

  // Keyboard users tab through the ticked rows only: an unticked row's inputs leave the tab
  // order (still reachable by pointer) and come back when its box is ticked. Without this
  // script every input stays in the tab order, as before.
  function skipUnticked(form) {
    form.querySelectorAll("tr[data-row]").forEach(function (row) {
      var tick = row.querySelector("input[data-undertaken]");
      if (!tick) {
        return;
      }
      row.querySelectorAll("input[type=text], select, textarea").forEach(function (input) {
        if (tick.checked) {
          input.removeAttribute("tabindex");
        } else {
          input.setAttribute("tabindex", "-1");
        }
      });
    });
  }

  document.querySelectorAll("form[data-commitment-form]").forEach(function (form) {
    skipUnticked(form);
    form.addEventListener("input", function () { update(form); });
    form.addEventListener("change", function (event) {
      update(form);
      if (event.target.hasAttribute("data-undertaken")) {
        skipUnticked(form);
      }
    });
  });
})();
