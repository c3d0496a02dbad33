/* Imports: refuse a file over the size limit before uploading it (in the page's words,
   data-too-large), and follow a running import (or bundle) by polling its progress every
   second, then show the finished page.
   The pages work without this script: the limit is checked on the server, and a
   "Refresh" link reloads the progress. */
(function () {
  "use strict";

  var file = document.getElementById("file");
  if (file && file.dataset.maxBytes) {
    var limit = Number(file.dataset.maxBytes);
    file.addEventListener("change", function () {
      var chosen = file.files && file.files[0];
      file.setCustomValidity(
        chosen && chosen.size > limit ? file.dataset.tooLarge : ""
      );
    });
  }

  var box = document.getElementById("progress");
  if (!box || !box.dataset.url) {
    return;
  }
  var started = { state: box.dataset.state, bundle: box.dataset.bundle };
  if (started.state !== "running" && started.bundle !== "building") {
    return;
  }

  function show(id, value) {
    var element = document.getElementById(id);
    if (element) {
      element.textContent = String(value);
    }
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
        document.getElementById("bar").value = progress.percent;
        show("processed", progress.processed_rows);
        show("total", progress.total_rows);
        show("percent", progress.percent);
        show("state", progress.state_words);
        show("count-issued", progress.issued);
        show("count-before", progress.already_issued);
        show("count-invalid", progress.invalid);
        show("count-not-passed", progress.not_passed);
        show("bundle-done", progress.bundle_chunks_done);
        show("bundle-total", progress.bundle_chunks_total);
        var finished = started.state === "running" && progress.state !== "running";
        var built = started.bundle === "building" && progress.bundle_state !== "building";
        if (finished || built) {
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
