// Tessera verify page as an offline web app (docs/decisions/0028-verification-in-the-phone.md).
//
// Served as /sw.js, so its scope covers /c and /verify. It keeps the page itself (the packed
// link page, its scripts, styles, settings and the QR packing dictionary) so a packed link
// opens with no network: network first, the kept copy when the network fails. It never sees
// a credential (a packed link's credential is in the fragment, which no request carries) and
// does not handle keys or status lists: the page keeps those itself, with the time it
// fetched them, so it can tell how old they are.
const SHELL = "tessera-shell-v2";
const FILES = [
  "c",
  "verify/verify.js",
  "verify/verify-core.mjs",
  "verify/verify-format.mjs",
  "verify/verify-checks.mjs",
  "verify/verify-display.mjs",
  "verify/inflate.mjs",
  "verify/verify.css",
  "verify/page.json",
  "verify/manifest.webmanifest",
  "verify/icon.svg",
  "qr-packing/v1.dict",
  "qr-packing/v2.dict",
];
const SHELL_URLS = new Set(FILES.map((file) => new URL(file, self.registration.scope).href));

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll([...SHELL_URLS])).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("tessera-shell-") && n !== SHELL).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  url.hash = "";
  url.search = "";
  if (event.request.method !== "GET" || !SHELL_URLS.has(url.href)) return;
  event.respondWith(
    fetch(event.request).then(
      (response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(SHELL).then((cache) => cache.put(url.href, copy));
        }
        return response;
      },
      () => caches.open(SHELL).then((cache) => cache.match(url.href)).then(
        (kept) => kept || Response.error(),
      ),
    ),
  );
});
