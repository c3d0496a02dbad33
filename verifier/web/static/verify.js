// Tessera verify page for packed QR links (<base>/c#<digits>): docs/credential-format.md.
//
// The credential travels in the URL fragment, which the browser never sends to a server, and
// it is verified here, in the page (verify-core.mjs, the same checks as the Python verifier):
// the only requests are for the page's own files and for the issuer's published documents
// (metadata, keys, compromised keys, status lists), fetched whole as any verifier fetches
// them. Those documents are kept, with the time they were fetched, so a later visit verifies
// with no network; kept copies older than the server's limit give the verdict "unavailable".
// No inline script: this file is served by the verifier, so "script-src 'self'" holds.
// Decision 0028.
import { verifySubmission } from "./verify-core.mjs";
import { PACKING_VERSIONS } from "./verify-format.mjs";

const DOCUMENTS = "tessera-documents-v1";
const here = (path) => new URL(path, import.meta.url).href;

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// The page's words, in the language it was asked in (verifier/web/phone.py phone_words): each
// key holds [中文, English] when both are shown, else the one language's text.
const WORDS = JSON.parse(document.getElementById("words").textContent);
const BOTH = WORDS.lang === "both";
const LANGS = BOTH ? [0, 1] : [0];
const ZONE = WORDS.time_zone;

// One key's text in the page's i-th language, "{name}" fields filled (a function value is
// called with i, for values that are words themselves).
function textIn(key, i, values = {}) {
  const found = WORDS.words[key] || [key, key];
  return found[i].replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in values)) return whole;
    const value = values[name];
    return String(typeof value === "function" ? value(i) : value);
  });
}
const sayPlain = (key, values) => LANGS.map((i) => textIn(key, i, values)).join(" / ");

// Inline words (a heading, a field name): with both, the English in a lang="en" span.
function inline(key) {
  if (!BOTH) return [textIn(key, 0)];
  return [`${textIn(key, 0)} `, element("span", { class: "en", lang: "en" }, textIn(key, 1))];
}

// Paragraphs, one per language shown; make(i) gives the i-th language's text.
function paragraphs(make, attributes = {}) {
  return LANGS.map((i) => element("p", i === 1 ? { ...attributes, lang: "en" } : attributes, make(i)));
}

function zoneParts(ms) {
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "longOffset",
  });
  return Object.fromEntries(format.formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
}

// "+8" or "+5:30", as verifier/local_time.py says it.
function offsetOf(parts) {
  const found = /([+-])(\d\d):(\d\d)/.exec(parts.timeZoneName || "");
  if (!found) return "+0";
  return `${found[1]}${Number(found[2])}${found[3] === "00" ? "" : `:${found[3]}`}`;
}

function zoneIn(ms, i) {
  const values = { offset: offsetOf(zoneParts(ms)), name: ZONE };
  return textIn(ZONE === "Asia/Shanghai" ? "zone.beijing" : "zone.named", i, values);
}

function clock(ms) {
  const p = zoneParts(ms);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}
const momentIn = (ms, i) => `${clock(ms)} ${zoneIn(ms, i)}`;
const moment = (ms) => `${clock(ms)} ${LANGS.map((i) => zoneIn(ms, i)).join(" / ")}`;

// The day an ISO date or date-time falls on where the issuer is (verifier/local_time.py).
function localDate(value) {
  if (!value) return null;
  if (!/(Z|[+-]\d\d:\d\d)$/i.test(value)) return value.slice(0, 10);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value.slice(0, 10);
  const p = zoneParts(ms);
  return `${p.year}-${p.month}-${p.day}`;
}

function row(list, key, value) {
  if (!value) return;
  list.append(element("dt", {}, ...inline(key)));
  list.append(element("dd", {}, value));
}

async function documentStore() {
  try {
    return await caches.open(DOCUMENTS);
  } catch {
    return null; // no Cache Storage (a private window, an old browser): online only
  }
}

// Fetches one published document; keeps 200 and 404 answers with their time; when the
// network fails, answers from the kept copy. `used` collects the fetch times of what was used.
function documentFetcher(store, used) {
  return async (url, accept) => {
    try {
      const response = await fetch(url, {
        headers: { Accept: accept },
        credentials: "omit",
        cache: "no-cache",
        referrerPolicy: "no-referrer",
      });
      if (response.status === 200 || response.status === 404) {
        const answer = { status: response.status, text: await response.text(), fetchedAt: Date.now() };
        if (store) {
          const headers = { "x-tessera-status": String(answer.status), "x-tessera-fetched-at": String(answer.fetchedAt) };
          await store.put(url, new Response(answer.text, { headers }));
        }
        used.push({ fetchedAt: answer.fetchedAt, kept: false });
        return answer;
      }
    } catch {
      // offline or unreachable: the kept copy, if there is one
    }
    const kept = store ? await store.match(url) : undefined;
    if (!kept) throw new Error("unavailable");
    const fetchedAt = Number(kept.headers.get("x-tessera-fetched-at"));
    used.push({ fetchedAt, kept: true });
    return { status: Number(kept.headers.get("x-tessera-status")), text: await kept.text(), fetchedAt };
  };
}

const SYMBOLS = { passed: "✔", failed: "✖" };

function renderResult(config, result, used) {
  const verdict = config.verdicts[result.status];
  const [first, ...rest] = paragraphs((i) => textIn(`verdict.${result.status}`, i), { class: "big" });
  first.prepend(element("span", { class: "symbol", "aria-hidden": "true" }, verdict.symbol));
  const section = element("section", { class: `verdict ${verdict.tone}`, role: "status", "aria-live": "polite" }, first, ...rest);
  const failed = result.checks.find((check) => !check.passed);
  const genuine = ["valid", "revoked", "suspended", "expired", "not_yet_valid", "superseded"].includes(result.status);
  const oldest = used.length ? Math.min(...used.map((u) => u.fetchedAt)) : null;
  if (!genuine && failed) {
    const problem = WORDS.words[`problem.${failed.error}`] ? `problem.${failed.error}` : "problem.credential_error";
    section.append(...paragraphs((i) => textIn("page.reason", i, { reason: (j) => textIn(problem, j) })));
  }
  if (result.status === "unavailable" && oldest !== null && result.checkedAt - oldest > config.max_age_seconds * 1000) {
    const hours = Math.round(config.max_age_seconds / 3600);
    section.append(...paragraphs((i) => textIn("phone.kept_too_old", i, { when: (j) => momentIn(oldest, j), hours })));
  }
  const parts = [section];
  if (result.credential) {
    const c = result.credential;
    const until = localDate(c.valid_until);
    if (genuine) {
      section.append(...paragraphs((i) => (until ? textIn("page.valid_until", i, { date: until }) : textIn("page.no_expiry", i))));
      section.append(...paragraphs((i) => textIn("page.compare_id", i)));
    }
    const issued = localDate(c.awarded_date) || localDate(c.valid_from);
    const validFrom = localDate(c.valid_from);
    const details = element("dl");
    row(details, "field.holder_name", c.holder_name);
    row(details, "field.employee_number", c.employee_number);
    row(details, "field.achievement", c.achievement_name || c.credential_name);
    row(details, "field.occupation_code", c.achievement_code);
    row(details, "field.issuer", c.issuer_name || c.issuer_id);
    row(details, "field.unit", c.unit_name);
    row(details, "field.exam_date", localDate(c.exam_date));
    row(details, "field.date_of_issue", issued);
    row(details, "field.valid_from", validFrom !== issued ? validFrom : null);
    row(details, "field.valid_until", until || sayPlain("page.no_expiry"));
    row(details, "field.description", c.achievement_description);
    row(details, "field.criteria", c.criteria_narrative);
    if (c.criteria_url && /^https?:\/\//.test(c.criteria_url)) {
      details.append(element("dt", {}, ...inline("field.criteria")));
      details.append(element("dd", {}, element("a", { href: c.criteria_url }, ...inline("page.criteria_link"))));
    }
    const internal = element("dl");
    row(internal, "field.issuer_id", c.issuer_id);
    row(internal, "field.credential_id", c.credential_id);
    row(internal, "field.signing_key", c.key_id);
    parts.push(element("h2", {}, ...inline("page.credential")), details,
      element("details", { class: "internal" }, element("summary", {}, ...inline("page.internal")), internal));
  }
  const checks = element("ul", { class: "checks" });
  for (const check of result.checks) {
    const outcome = check.passed ? "passed" : "failed";
    checks.append(element("li", { "data-check": check.code },
      element("span", { class: "symbol", "aria-hidden": "true" }, SYMBOLS[outcome]), ...inline(`check.${check.code}.${outcome}`)));
  }
  const verification = element("dl", { id: "verification" });
  row(verification, "page.checked_at", moment(result.checkedAt));
  row(verification, "phone.keys_as_of", oldest === null ? null : moment(oldest));
  row(verification, "phone.how", sayPlain(used.some((u) => u.kept) ? "phone.offline" : "phone.in_phone"));
  parts.push(element("h2", {}, ...inline("page.verification")), checks, verification);
  parts.push(element("p", {}, element("a", { href: here(BOTH ? "../verify" : `../verify?lang=${WORDS.lang}`) }, ...inline("page.another"))));
  document.title = `${sayPlain(`verdict.${result.status}`)} · ${LANGS.map((i) => textIn("page.title", i)).join(" ")}`;
  return parts;
}

function show(nodes) {
  const pending = document.getElementById("pending");
  const rest = [...pending.parentNode.children].filter((n) => n !== pending && n.tagName !== "H1" && n.tagName !== "FOOTER" && n.tagName !== "NOSCRIPT");
  rest.forEach((n) => n.remove());
  pending.replaceWith(...nodes);
}

function showMessage(key) {
  const box = element("div", { id: "pending", class: "verdict bad", role: "status" },
    ...paragraphs((i) => textIn(key, i), { class: "big" }));
  show([box]);
}

async function main() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(here("../sw.js"), { scope: here("../") }).catch(() => {});
  }
  const packed = window.location.hash.replace(/^#/, "");
  if (!packed) {
    showMessage("phone.no_credential");
    return;
  }
  let config;
  const dictionaries = {};
  try {
    // Only the dictionary of the link's own format version (its first digit) is needed.
    const version = Number(packed[0]);
    const wanted = PACKING_VERSIONS.includes(version) ? [version] : [];
    const [configResponse, ...dictionaryResponses] = await Promise.all([
      fetch(here("page.json")),
      ...wanted.map((v) => fetch(here(`../qr-packing/v${v}.dict`))),
    ]);
    if (!configResponse.ok || dictionaryResponses.some((r) => !r.ok)) throw new Error("page files");
    config = await configResponse.json();
    for (const [i, response] of dictionaryResponses.entries()) {
      dictionaries[wanted[i]] = new Uint8Array(await response.arrayBuffer());
    }
  } catch {
    showMessage("phone.cannot_start");
    return;
  }
  const used = [];
  const result = await verifySubmission(packed, {
    trusted: config.issuers,
    dictionaries,
    now: Date.now(),
    clockSkewSeconds: config.clock_skew_seconds,
    maxAgeSeconds: config.max_age_seconds,
    fetchDocument: documentFetcher(await documentStore(), used),
  });
  show(renderResult(config, result, used));
}

window.addEventListener("hashchange", () => window.location.reload());
main();
