/* An export being written: poll its progress every second, show the rows written, and
   show the finished page once it is no longer queued or running.
   The page works without this script: its "Refresh" link reloads it. */
(function () {
  "use strict";

  var box = document.getElementById("export");
  if (!box || !box.dataset.url) {
    return;
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error("progress " + answer.status);
        }
        return answer.json();
      })
      .then(function (progress) {
        document.getElementById("export-rows").textContent = String(progress.rows);
        if (progress.state !== box.dataset.state) {
          window.location.replace(window.location.pathname);
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
