// My account: a "copy" button beside a new API token. Without JavaScript the token is still
// shown in full and can be selected by hand. Its words come from the page (data-copy,
// data-copied), which takes them from the message catalogues.
"use strict";
(function () {
  const code = document.getElementById("new-token");
  if (!code || !navigator.clipboard) {
    return;
  }
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary copy";
  button.textContent = code.dataset.copy;
  const status = document.createElement("span");
  status.setAttribute("role", "status");
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(code.textContent.trim()).then(function () {
      status.textContent = " " + code.dataset.copied;
    });
  });
  const block = code.closest("pre");
  block.after(button);
  button.after(status);
})();
