// Typed input is never lost without a question: leaving a page whose forms hold changes that
// were not sent raises the browser's leave-page dialog, and submitting one form while another
// holds such changes asks first. The pages work without this script: the server shows typed
// values again after every refusal, and every button of a row table saves what is typed first.
(function () {
  "use strict";

  var MESSAGE = "本页还有未保存的填写，继续将丢失这些内容。确定继续吗？";
  var NOT_TYPED = { hidden: true, submit: true, button: true, reset: true, image: true };

  // GET forms search and filter: nothing in them is work to lose. A POST form opts out with
  // data-unsaved-ignore (signing in, the export filters).
  function watched(form) {
    var method = (form.getAttribute("method") || "get").toLowerCase();
    return method === "post" && !form.hasAttribute("data-unsaved-ignore");
  }

  function snapshot(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      var type = (el.type || "").toLowerCase();
      if (!el.name || NOT_TYPED[type]) {
        return;
      }
      if (type === "checkbox" || type === "radio") {
        parts.push([el.name, el.value, el.checked]);
      } else if (type === "file") {
        parts.push([el.name, Array.prototype.map.call(el.files || [], function (file) {
          return file.name + ":" + file.size;
        }).join("|")]);
      } else if (type === "select-multiple") {
        parts.push([el.name, Array.prototype.filter.call(el.options, function (option) {
          return option.selected;
        }).map(function (option) { return option.value; }).join("|")]);
      } else {
        parts.push([el.name, el.value]);
      }
    });
    return JSON.stringify(parts);
  }

  var forms = Array.prototype.filter.call(document.forms, watched);
  var loaded = forms.map(snapshot);
  var leaving = false;

  // data-unsaved: the server showed the form again with input it did not save (a refused post,
  // or comments kept across a redirect), so it counts as changed from the start.
  function changed(form) {
    var index = forms.indexOf(form);
    return index >= 0 && (form.hasAttribute("data-unsaved") || snapshot(form) !== loaded[index]);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var others = forms.some(function (other) { return other !== form && changed(other); });
    if (others && !window.confirm(MESSAGE)) {
      event.preventDefault();
      return;
    }
    // The form being sent carries its own changes; the question, if any, has been asked.
    leaving = true;
  });

  window.addEventListener("beforeunload", function (event) {
    if (leaving || !forms.some(changed)) {
      return undefined;
    }
    event.preventDefault();
    event.returnValue = MESSAGE;  // browsers show their own text, but some need a value set
    return MESSAGE;
  });

  // Back on this page from the browser's page cache: it can be left with changes again.
  window.addEventListener("pageshow", function () { leaving = false; });
})();
