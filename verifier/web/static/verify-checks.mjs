// The credential's shape, dates, trust and keys, ported from verifier/credential.py,
// verifier/validity.py, verifier/trust.py, verifier/jwk.py and verifier/sources/keys.py.
import {
  ALGORITHM_FOR_KEY,
  CheckError,
  b64urlDecode,
  b64urlEncode,
  get,
  has,
  isObject,
  isString,
  loadsStrictObject,
  same,
} from "./verify-format.mjs";

const fail = (code, message) => {
  throw new CheckError(code, message);
};

export const VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2";
export const STATUS_LIST_CREDENTIAL = "BitstringStatusListCredential";
const PY_SPACE_CLASS = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const URL_PATTERN = new RegExp(`^[A-Za-z][A-Za-z0-9+.\\-]*:[^${PY_SPACE_CLASS}]+$`);
const OB_CONTEXT = /^https:\/\/purl\.imsglobal\.org\/spec\/ob\/v3p0\/context(-3\.\d\.\d)*\.json$/;

export const isUrl = (value) => isString(value) && URL_PATTERN.test(value);
export const typesOf = (value) => (Array.isArray(value) ? value : [value]).filter(isString);

export function issuerIdOf(payload) {
  const issuer = get(payload, "issuer");
  const id = isObject(issuer) ? get(issuer, "id") : issuer;
  if (!isString(id) || !id) fail("missing_issuer");
  return id;
}

// --- dates (verifier/validity.py): milliseconds since the epoch, UTC ---------------------
const DATE_TIME = new RegExp(
  "^(-?(?:[1-9][0-9]{3,}|0[0-9]{3}))-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])" +
    "T((?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]|24:00:00)(\\.[0-9]+)?" +
    "(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?$",
);
const MIN_MS = -62135596800000; // 0001-01-01T00:00:00Z
const MAX_MS = 253402300800000; // 10000-01-01T00:00:00Z

export function parseDateTime(value) {
  if (!isString(value)) fail("invalid_property");
  const match = DATE_TIME.exec(value);
  if (!match) fail("invalid_property");
  const [, yearText, month, day, time, fraction = "", offset = "Z"] = match;
  const endOfDay = time === "24:00:00";
  if (endOfDay && /[1-9]/.test(fraction)) fail("invalid_property");
  const year = Number(yearText);
  const daysInMonth = new Date(Date.UTC(2000, Number(month), 0)).getUTCDate();
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const lastDay = Number(month) === 2 ? (leap ? 29 : 28) : daysInMonth;
  if (yearText.startsWith("-") || yearText.length !== 4 || year < 1 || Number(day) > lastDay) {
    fail("invalid_property", "outside the supported date range");
  }
  if (endOfDay && `${yearText}-${month}-${day}` === "9999-12-31") fail("invalid_property");
  const [hours, minutes, seconds] = (endOfDay ? "00:00:00" : time).split(":").map(Number);
  const moment = new Date(0);
  moment.setUTCFullYear(year, Number(month) - 1, Number(day));
  moment.setUTCHours(hours, minutes, seconds, 0);
  let ms = moment.getTime() + (endOfDay ? 86400000 : 0);
  ms += Number(`0${fraction.slice(0, 7)}`) * 1000 || 0;
  if (offset !== "Z") {
    const sign = offset[0] === "-" ? -1 : 1;
    ms -= sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60000;
  }
  return ms;
}

export function fromNumericDate(value) {
  if (typeof value !== "number") fail("invalid_property", "not a NumericDate");
  const ms = value * 1000;
  if (!(ms >= MIN_MS && ms < MAX_MS)) fail("invalid_property", "outside the supported range");
  return ms;
}

export function checkValidity(now, notBefore, notAfter, skewMs) {
  if (notBefore !== null && now + skewMs < notBefore) fail("not_yet_valid");
  if (notAfter !== null && now - skewMs >= notAfter) fail("expired");
}

// --- the credential's shape (verifier/credential.py) ------------------------------------
function require(condition, message, code = "invalid_property") {
  if (!condition) fail(code, message);
}

function checkEnvelope(payload) {
  if (has(payload, "vc") && !has(payload, "@context")) fail("unsupported_legacy_credential");
  require(!has(payload, "vc") && !has(payload, "vp"), "vc/vp", "vc_vp_claim_present");
  const context = get(payload, "@context");
  require(context !== null, "@context", "missing_property");
  const contexts = Array.isArray(context) ? context : [context];
  require(contexts.length > 0 && same(contexts[0], VC_V2_CONTEXT), "@context[0]");
  require(contexts.every((c) => isString(c) || isObject(c)), "@context item");
  const types = typesOf(get(payload, "type"));
  require(has(payload, "type"), "type", "missing_property");
  require(types.includes("VerifiableCredential"), "type");
  if (types.includes(STATUS_LIST_CREDENTIAL)) fail("status_list_as_credential");
  if (has(payload, "id")) require(isUrl(payload.id), "id");
  const issuer = get(payload, "issuer");
  require(isUrl(isObject(issuer) ? get(issuer, "id") : issuer), "issuer");
  const subject = get(payload, "credentialSubject");
  require(subject !== null, "credentialSubject", "missing_property");
  const subjects = Array.isArray(subject) ? subject : [subject];
  require(subjects.length > 0 && subjects.every(isObject), "credentialSubject");
  const status = get(payload, "credentialStatus");
  if (status !== null) {
    const entries = Array.isArray(status) ? status : [status];
    require(entries.every((e) => isObject(e) && isString(get(e, "type"))), "credentialStatus");
  }
  return types;
}

function checkOpenBadge(payload) {
  const contexts = Array.isArray(payload["@context"]) ? payload["@context"] : [];
  require(contexts.some((c) => isString(c) && OB_CONTEXT.test(c)), "OB context");
  require(Array.isArray(get(payload, "type")), "OB type");
  require(has(payload, "id"), "id", "missing_property");
  require(has(payload, "validFrom"), "validFrom", "missing_property");
  const subject = payload.credentialSubject;
  require(isObject(subject), "OB subject");
  const identifiers = get(subject, "identifier");
  const hasIdentifier = Array.isArray(identifiers) && identifiers.length > 0;
  require(has(subject, "id") || hasIdentifier, "subject id", "missing_property");
  const achievement = get(subject, "achievement");
  require(isObject(achievement), "achievement", "missing_property");
  for (const name of ["id", "type", "name", "description", "criteria"]) {
    require(has(achievement, name), `achievement.${name}`, "missing_property");
  }
  require(isUrl(achievement.id), "achievement.id");
  require(typesOf(achievement.type).includes("Achievement"), "achievement.type");
  require(isObject(achievement.criteria), "achievement.criteria");
  for (const claim of ["iss", "jti", "nbf"]) require(has(payload, claim), claim, "missing_property");
  if (has(subject, "id")) require(has(payload, "sub"), "sub", "missing_property");
  if (has(payload, "validUntil")) require(has(payload, "exp"), "exp", "missing_property");
}

const sameInstant = (a, b) => Math.abs(a - b) < 1000;

export function checkCredential(payload) {
  const types = checkEnvelope(payload);
  if (types.includes("OpenBadgeCredential") || types.includes("AchievementCredential")) {
    checkOpenBadge(payload);
  }
  const issuerId = issuerIdOf(payload);
  const validFrom = has(payload, "validFrom") ? parseDateTime(payload.validFrom) : null;
  const validUntil = has(payload, "validUntil") ? parseDateTime(payload.validUntil) : null;
  if (validFrom !== null && validUntil !== null) require(validFrom <= validUntil, "period");
  const nbf = has(payload, "nbf") ? fromNumericDate(payload.nbf) : null;
  const exp = has(payload, "exp") ? fromNumericDate(payload.exp) : null;
  if (has(payload, "iss")) require(same(payload.iss, issuerId), "iss", "claim_mismatch");
  if (has(payload, "jti")) require(same(payload.jti, get(payload, "id")), "jti", "claim_mismatch");
  const subject = payload.credentialSubject;
  if (has(payload, "sub")) {
    require(same(payload.sub, isObject(subject) ? get(subject, "id") : null), "sub", "claim_mismatch");
  }
  if (nbf !== null && validFrom !== null) require(sameInstant(nbf, validFrom), "nbf", "claim_mismatch");
  if (exp !== null && validUntil !== null) require(sameInstant(exp, validUntil), "exp", "claim_mismatch");
  const status = get(payload, "credentialStatus");
  const entries = Array.isArray(status) ? status : status !== null ? [status] : [];
  const starts = [validFrom, nbf].filter((d) => d !== null);
  const ends = [validUntil, exp].filter((d) => d !== null);
  return {
    credentialId: isString(get(payload, "id")) ? payload.id : null,
    issuerId,
    notBefore: starts.length ? Math.max(...starts) : null,
    notAfter: ends.length ? Math.min(...ends) : null,
    statusEntries: entries,
  };
}

// --- trust and URLs (verifier/trust.py) -------------------------------------------------
export const normaliseIssuerId = (id) => id.trim().replace(/\/+$/, "");

/** Python's urlsplit, as far as the checks need it: scheme, netloc and path. */
export function urlSplit(url) {
  const text = url.replace(/[\t\r\n]/g, "").replace(/^[\x00-\x20]+/, "");
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  let rest = scheme ? text.slice(scheme[0].length) : text;
  let netloc = "";
  if (rest.startsWith("//")) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, 2 + end);
    rest = end < 0 ? "" : rest.slice(2 + end);
  }
  const pathEnd = rest.search(/[?#]/);
  return {
    scheme: scheme ? scheme[1].toLowerCase() : "",
    netloc,
    path: pathEnd < 0 ? rest : rest.slice(0, pathEnd),
  };
}

function unquote(text) {
  if (!text.includes("%")) return text;
  const bytes = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; ) {
    if (text[i] === "%" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const end = text.indexOf("%", i + 1);
      const chunk = text.slice(i, end < 0 ? text.length : end);
      bytes.push(...encoder.encode(chunk));
      i += chunk.length;
    }
  }
  return new TextDecoder("utf-8").decode(new Uint8Array(bytes));
}

export function pathIsPlain(path) {
  let decoded = path;
  for (let round = 0; round < 3; round += 1) {
    if (decoded.includes("\\") || decoded.includes("\x00")) return false;
    if (decoded.split("/").some((s) => [".", ".."].includes(s.split(";")[0]))) return false;
    const lowered = decoded.toLowerCase();
    if (lowered.includes("%2f") || lowered.includes("%5c")) return false;
    const once = unquote(decoded);
    if (once === decoded) return true;
    decoded = once;
  }
  return false;
}

export function issuerForUrl(trusted, url) {
  const parts = urlSplit(url);
  if (!["http", "https"].includes(parts.scheme) || !parts.netloc || parts.netloc.includes("@")) {
    return null;
  }
  if (!pathIsPlain(parts.path)) return null;
  for (const issuerId of trusted) {
    const base = urlSplit(issuerId);
    if (base.scheme !== parts.scheme || base.netloc.toLowerCase() !== parts.netloc.toLowerCase()) continue;
    const prefix = base.path.replace(/\/+$/, "");
    if (parts.path === prefix || parts.path.startsWith(`${prefix}/`)) return issuerId;
  }
  return null;
}

// --- keys (verifier/jwk.py, verifier/sources/keys.py) -----------------------------------
const REQUIRED_MEMBERS = { EC: ["crv", "kty", "x", "y"], RSA: ["e", "kty", "n"], OKP: ["crv", "kty", "x"] };
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

export async function jwkThumbprint(jwk) {
  const members = REQUIRED_MEMBERS[get(jwk, "kty")];
  if (!members || members.some((m) => !isString(get(jwk, m)))) fail("malformed");
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(",")}}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return b64urlEncode(new Uint8Array(digest));
}

async function importJwk(jwk) {
  if (PRIVATE_MEMBERS.some((m) => has(jwk, m))) fail("malformed");
  const algorithm = ALGORITHM_FOR_KEY[`${get(jwk, "kty")} ${get(jwk, "crv")}`];
  if (!algorithm) fail("malformed");
  if (has(jwk, "alg") && !same(jwk.alg, algorithm)) fail("malformed");
  const decode = (name) => {
    if (!isString(get(jwk, name))) fail("malformed");
    return b64urlDecode(jwk[name]);
  };
  try {
    if (algorithm === "ES256") {
      const [x, y] = [decode("x"), decode("y")];
      if (x.length !== 32 || y.length !== 32) fail("malformed");
      const point = new Uint8Array([4, ...x, ...y]);
      const params = { name: "ECDSA", namedCurve: "P-256" };
      return [algorithm, await crypto.subtle.importKey("raw", point, params, false, ["verify"])];
    }
    const raw = decode("x");
    if (raw.length !== 32) fail("malformed");
    return [algorithm, await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"])];
  } catch (error) {
    if (error instanceof CheckError) throw error;
    // A browser without Ed25519 cannot check this key: that is not the key's fault.
    if (error && error.name === "NotSupportedError") return [algorithm, null];
    return fail("malformed", "not a valid public key");
  }
}

/** `{kid: {kid, algorithm, key, thumbprint}}` of a JWK Set; unusable keys are skipped. */
export async function keysFromJwks(jwks) {
  if (!isObject(jwks) || !Array.isArray(get(jwks, "keys"))) fail("key_source_unavailable");
  const keys = new Map();
  for (const jwk of jwks.keys) {
    if (!isObject(jwk) || !same(has(jwk, "use") ? jwk.use : "sig", "sig")) continue;
    let imported;
    let thumbprint;
    try {
      imported = await importJwk(jwk);
      thumbprint = await jwkThumbprint(jwk);
    } catch (error) {
      if (error instanceof CheckError) continue;
      throw error;
    }
    const kid = has(jwk, "kid") ? jwk.kid : thumbprint;
    if (isString(kid) && !keys.has(kid)) {
      keys.set(kid, { kid, algorithm: imported[0], key: imported[1], thumbprint });
    }
  }
  return keys;
}

export function parseDocument(text) {
  try {
    return loadsStrictObject(new TextEncoder().encode(text));
  } catch (error) {
    if (error instanceof CheckError) return fail("key_source_unavailable", "not a JSON object");
    throw error;
  }
}

export async function checkKeyBinding(key, header, algorithm) {
  if (algorithm !== key.algorithm) fail("algorithm_not_bound_to_key");
  const inline = get(header, "jwk");
  if (inline !== null) {
    let sameKey = false;
    try {
      sameKey = isObject(inline) && (await jwkThumbprint(inline)) === key.thumbprint;
    } catch (error) {
      if (!(error instanceof CheckError)) throw error;
    }
    if (!sameKey) fail("header_jwk_mismatch");
  }
}

const SIGNATURE_BYTES = { ES256: 64, EdDSA: 64 }; // verifier/jws.py _SIGNATURE_BYTES

export async function verifySignature(jws, key, algorithm) {
  if (get(jws.header, "alg") !== algorithm) fail("bad_signature");
  // Not a signature of this algorithm at all: most often a truncated copy or scan.
  if (jws.signature.length !== SIGNATURE_BYTES[algorithm]) fail("malformed_signature");
  const params = algorithm === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
  let valid = false;
  try {
    valid = await crypto.subtle.verify(params, key.key, jws.signature, jws.signingInput);
  } catch {
    valid = false;
  }
  if (!valid) fail("bad_signature");
}
