// Decisions that touch more than one item ask first (tizhi/lib/confirm.py). A submit button
// with data-confirm asks its text in a dialog; on 确定 the form posts confirmed=1, on 取消
// nothing is sent. Without this script the server asks on a page of its own instead.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var text = button && button.getAttribute("data-confirm");
    if (!text || event.defaultPrevented) {
      return;
    }
    var form = event.target;
    var old = form.querySelector('input[name="confirmed"]');
    if (old) {
      old.remove();
    }
    if (!window.confirm(text)) {
      event.preventDefault();
      return;
    }
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "confirmed";
    input.value = "1";
    form.appendChild(input);
  });
})();
