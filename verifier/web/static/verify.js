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

const english = (text) => element("span", { lang: "en" }, text);
const moment = (ms) => `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;

function row(list, zh, en, value) {
  if (!value) return;
  list.append(element("dt", {}, `${zh} `, element("span", { class: "en", lang: "en" }, en)));
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

function renderResult(config, result, used) {
  const verdict = config.verdicts[result.status];
  const section = element("section", { class: `verdict ${verdict.tone}`, role: "status", "aria-live": "polite" },
    element("p", { class: "big" }, element("span", { class: "symbol", "aria-hidden": "true" }, verdict.symbol), verdict.zh),
    element("p", { class: "big", lang: "en" }, verdict.en));
  const failed = result.checks.find((check) => !check.passed);
  const genuine = ["valid", "revoked", "suspended", "expired", "not_yet_valid", "superseded"].includes(result.status);
  const oldest = used.length ? Math.min(...used.map((u) => u.fetchedAt)) : null;
  if (!genuine && failed) {
    const problem = config.problems[failed.error] || { zh: "验证失败", en: "Verification failed" };
    section.append(element("p", {}, `原因：${problem.zh}`), element("p", { lang: "en" }, `Reason: ${problem.en}`));
  }
  if (result.status === "unavailable" && oldest !== null && result.checkedAt - oldest > config.max_age_seconds * 1000) {
    const hours = Math.round(config.max_age_seconds / 3600);
    section.append(
      element("p", {}, `本机保存的密钥和状态数据获取于 ${moment(oldest)}，已超过 ${hours} 小时，请联网后重试`),
      element("p", { lang: "en" }, `The keys and status kept in this phone are as of ${moment(oldest)}, older than ${hours} h: connect and try again`),
    );
  }
  const parts = [section];
  if (result.credential) {
    const c = result.credential;
    const details = element("dl");
    row(details, "持证人", "Holder", c.holder_name);
    row(details, "工号", "Employee number", c.employee_number);
    row(details, "职业及等级", "Occupation and level", c.achievement_name || c.credential_name);
    row(details, "职业编码", "Occupation code", c.achievement_code);
    row(details, "颁发机构", "Issuer", c.issuer_name || c.issuer_id);
    row(details, "颁发机构标识", "Issuer id", c.issuer_name ? c.issuer_id : null);
    row(details, "单位", "Unit", c.unit_name);
    row(details, "考试日期", "Exam date", c.exam_date && c.exam_date.slice(0, 10));
    row(details, "颁发日期", "Awarded", c.awarded_date && c.awarded_date.slice(0, 10));
    row(details, "生效日期", "Valid from", c.valid_from && c.valid_from.slice(0, 10));
    row(details, "有效期至", "Valid until", c.valid_until && c.valid_until.slice(0, 10));
    row(details, "证书编号", "Credential id", c.credential_id);
    row(details, "签名密钥", "Signing key", c.key_id);
    parts.push(element("h2", {}, "证书信息 ", english("Credential")), details);
  }
  const verification = element("dl", { id: "verification" });
  row(verification, "核验时间", "Checked at", moment(result.checkedAt));
  row(verification, "密钥和状态数据获取于", "Keys and status as of", oldest === null ? null : moment(oldest));
  row(verification, "核验方式", "How",
    used.some((u) => u.kept)
      ? "离线，在本机核验（使用本机保存的密钥和状态数据） / Offline, in this phone, with the keys and status it kept"
      : "在本机核验，证书未发送给任何服务器 / In this phone: the credential was sent nowhere");
  parts.push(element("h2", {}, "核验 ", english("Verification")), verification);
  const checks = element("ul", { class: "checks" });
  for (const check of result.checks) {
    checks.append(element("li", {}, `${check.passed ? "通过 passed" : "未通过 failed"}: `, english(check.code)));
  }
  parts.push(element("details", {}, element("summary", {}, "核验步骤 ", english("Checks")), checks));
  parts.push(element("p", {}, element("a", { href: here("../verify") }, "核验其他证书 ", english("Verify another credential"))));
  document.title = `${verdict.zh} ${verdict.en} · 证书核验`;
  return parts;
}

function show(nodes) {
  const pending = document.getElementById("pending");
  const rest = [...pending.parentNode.children].filter((n) => n !== pending && n.tagName !== "H1" && n.tagName !== "FOOTER" && n.tagName !== "NOSCRIPT");
  rest.forEach((n) => n.remove());
  pending.replaceWith(...nodes);
}

function showMessage(zh, en) {
  const box = element("div", { id: "pending", class: "verdict bad", role: "status" },
    element("p", { class: "big" }, zh), element("p", { class: "big", lang: "en" }, en));
  show([box]);
}

async function main() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(here("../sw.js"), { scope: here("../") }).catch(() => {});
  }
  const packed = window.location.hash.replace(/^#/, "");
  if (!packed) {
    showMessage("链接中没有证书", "This link carries no credential");
    return;
  }
  let config;
  let dictionary;
  try {
    const [configResponse, dictionaryResponse] = await Promise.all([fetch(here("page.json")), fetch(here("../qr-packing/v1.dict"))]);
    if (!configResponse.ok || !dictionaryResponse.ok) throw new Error("page files");
    config = await configResponse.json();
    dictionary = new Uint8Array(await dictionaryResponse.arrayBuffer());
  } catch {
    showMessage("暂时无法核验，请稍后重试", "Could not verify just now: please try again");
    return;
  }
  const used = [];
  const result = await verifySubmission(packed, {
    trusted: config.issuers,
    dictionary,
    now: Date.now(),
    clockSkewSeconds: config.clock_skew_seconds,
    maxAgeSeconds: config.max_age_seconds,
    fetchDocument: documentFetcher(await documentStore(), used),
  });
  show(renderResult(config, result, used));
}

window.addEventListener("hashchange", () => window.location.reload());
main();
