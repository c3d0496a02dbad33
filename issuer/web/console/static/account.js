// My account: a "copy" button beside a new API token. Without JavaScript the token is still
// shown in full and can be selected by hand.
"use strict";
(function () {
  const code = document.getElementById("new-token");
  if (!code || !navigator.clipboard) {
    return;
  }
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary copy";
  button.textContent = "复制 Copy";
  const status = document.createElement("span");
  status.setAttribute("role", "status");
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(code.textContent.trim()).then(function () {
      status.textContent = " 已复制 Copied";
    });
  });
  const block = code.closest("pre");
  block.after(button);
  button.after(status);
})();
