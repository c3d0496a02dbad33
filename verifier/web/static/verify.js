// Tessera verify page, packed QR links (<base>/c#<digits>): docs/credential-format.md.
//
// The credential travels in the URL fragment, which the browser never sends to a server by
// itself. This script sends it once, in a POST body, to the verify form of the same origin
// ("verify", relative to this page), which runs the same checks as POST /api/v1/verify with
// only the issuer's published keys and status lists, logs nothing about it, and answers the
// result page; the result's <main> replaces this page's. No inline script: this file is
// served by the verifier so a Content-Security-Policy "script-src 'self'" holds.
(function () {
  "use strict";
  var pending = document.getElementById("pending");
  var packed = window.location.hash.replace(/^#/, "");
  function fail(zh, en) {
    pending.className = "verdict bad";
    pending.innerHTML = "";
    [zh, en].forEach(function (text, i) {
      var line = document.createElement("p");
      line.className = "big";
      if (i === 1) { line.lang = "en"; }
      line.textContent = text;
      pending.appendChild(line);
    });
  }
  if (!/^[0-9]+$/.test(packed)) {
    fail("链接中没有证书", "This link carries no credential");
    return;
  }
  var body = new URLSearchParams();
  body.set("credential", window.location.href);
  fetch("verify", {
    method: "POST",
    body: body,
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer"
  }).then(function (response) {
    return response.text();
  }).then(function (html) {
    var result = new DOMParser().parseFromString(html, "text/html");
    var main = result.querySelector("main");
    if (!main || !main.querySelector("section.verdict")) {
      throw new Error("no verdict");
    }
    document.querySelector("main").replaceWith(document.importNode(main, true));
    document.title = result.title;
  }).catch(function () {
    fail("暂时无法核验，请稍后重试", "Could not verify just now: please try again");
  });
})();
