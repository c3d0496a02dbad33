// Tessera share page: the "copy link" buttons (served as /s/share.js; no inline script under
// the CSP). Each button names the read-only field holding its link (data-copy) and carries
// its words (data-done, data-failed) from the page. Without a clipboard (an old browser,
// a page not served over https, a refusal) the field's text is selected for copying by hand.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector(".copied");
    if (!field || !status) {
      return;
    }
    function fallback() {
      field.focus();
      field.select();
      field.setSelectionRange(0, field.value.length);
      status.textContent = button.getAttribute("data-failed");
    }
    button.addEventListener("click", function () {
      if (!navigator.clipboard || !window.isSecureContext) {
        fallback();
        return;
      }
      navigator.clipboard.writeText(field.value).then(function () {
        status.textContent = button.getAttribute("data-done");
      }, fallback);
    });
  });
});
