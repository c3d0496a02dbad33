// Tessera verify page (/verify): this device's camera reads the certificate's QR code, and a
// chosen file's size is checked before it is sent. Decision 0048.
//
// Without JavaScript the page still uploads, pastes and looks up; the camera section stays
// hidden until this script finds navigator.mediaDevices. Frames are decoded in the page, by
// the browser's BarcodeDetector where it reads QR codes, else by the vendored jsQR
// (vendor/jsqr/, loaded only then): no picture leaves the device. What the QR code holds goes
// where verification needs it: a link to this server's packed-link page (/c#...) or verify
// link (/v/...) is opened; anything else (a bare credential, another issuer's link) is posted
// to /verify like a pasted one. The page's words come from the server, in data- attributes.
// No inline script: this file is served by the verifier, so "script-src 'self'" holds.

const SCAN_EVERY_MS = 200;
const NOT_YET_AFTER_MS = 4000;
const LARGEST_FRAME = 1280; // pixels on the longer side handed to jsQR

function qrReaderFor(video) {
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async () => {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return null;
    const scale = Math.min(1, LARGEST_FRAME / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const code = globalThis.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return code ? code.data : null;
  };
}

// The browser's own reader when it has one for QR codes, else jsQR.
async function qrReader(video) {
  if ("BarcodeDetector" in globalThis) {
    try {
      const formats = await globalThis.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new globalThis.BarcodeDetector({ formats: ["qr_code"] });
        return async () => {
          const codes = await detector.detect(video);
          return codes.length ? codes[0].rawValue : null;
        };
      }
    } catch {
      // a detector that cannot say what it reads: use jsQR
    }
  }
  await import("./vendor/jsqr/jsQR.js"); // a UMD bundle: it sets globalThis.jsQR
  return qrReaderFor(video);
}

function handOver(text) {
  const value = text.trim();
  let url = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  const ours = url !== null && url.origin === location.origin;
  const packed = ours && url.pathname.endsWith("/c") && url.hash.length > 1;
  const verifyLink = ours && /\/v\/[^/]+$/.test(url.pathname);
  if (packed || verifyLink) {
    location.assign(url.href);
    return;
  }
  const box = document.getElementById("credential");
  box.value = value;
  box.form.requestSubmit();
}

function setUpCamera(section) {
  const words = section.dataset;
  const start = document.getElementById("scan-start");
  const stopButton = document.getElementById("scan-stop");
  const video = document.getElementById("scan-video");
  const status = document.getElementById("scan-status");
  let stream = null;
  let timer = null;

  const say = (name) => {
    status.textContent = words[name] || "";
  };

  function stop(quiet) {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (stream !== null) {
      for (const track of stream.getTracks()) track.stop();
    }
    const wasOn = stream !== null;
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    stopButton.hidden = true;
    start.hidden = false;
    if (wasOn && !quiet) {
      say("stopped");
      start.focus();
    }
  }

  function refused(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return "refused";
    if (name === "NotFoundError" || name === "OverconstrainedError") return "noCamera";
    return "failed";
  }

  async function begin() {
    stop(true);
    say("looking");
    let opened;
    try {
      opened = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      say(refused(error));
      return;
    }
    stream = opened;
    video.srcObject = opened;
    video.hidden = false;
    start.hidden = true;
    stopButton.hidden = false;
    stopButton.focus();
    let read;
    try {
      await video.play();
      read = await qrReader(video);
    } catch {
      stop(true);
      say("failed");
      return;
    }
    const began = Date.now();
    const tick = async () => {
      if (stream !== opened) return; // stopped meanwhile
      let text = null;
      try {
        text = await read();
      } catch {
        text = null; // a frame not ready yet
      }
      if (stream !== opened) return;
      if (text) {
        stop(true);
        say("found");
        handOver(text);
        return;
      }
      if (Date.now() - began > NOT_YET_AFTER_MS) say("notYet");
      timer = setTimeout(tick, SCAN_EVERY_MS);
    };
    tick();
  }

  start.addEventListener("click", begin);
  stopButton.addEventListener("click", () => stop(false));
  // The camera is off whenever the page is not in front.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) stop(true);
  });
  window.addEventListener("pagehide", () => stop(true));
  section.hidden = false;
}

function setUpFileCheck(input) {
  const limit = Number(input.dataset.maxBytes);
  input.addEventListener("change", () => {
    const chosen = input.files && input.files[0];
    input.setCustomValidity(chosen && chosen.size > limit ? input.dataset.tooLarge : "");
    input.reportValidity();
  });
}

const section = document.getElementById("scan");
if (section && navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === "function") {
  setUpCamera(section);
}
const fileInput = document.getElementById("file");
if (fileInput) setUpFileCheck(fileInput);
