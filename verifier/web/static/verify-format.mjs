// The format rules of the in-page verifier, ported one for one from the Python verifier so
// both give the same verdict (tests/verifier/test_phone_parity.py): base64url
// (verifier/encoding.py), strict JSON (verifier/strict_json.py), QR unpacking
// (verifier/qr_packing.py), the header (verifier/header.py), dates (verifier/validity.py) and
// the credential's shape (verifier/credential.py). Every failure throws a CheckError whose
// `code` is the Python verifier's error code (docs/errors.md).
import { InflateError, inflateRaw } from "./inflate.mjs";

export class CheckError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

const fail = (code, message) => {
  throw new CheckError(code, message);
};

// --- values, compared and read as Python reads them -------------------------------------
export const has = (object, name) => isObject(object) && Object.prototype.hasOwnProperty.call(object, name);
export const get = (object, name) => (has(object, name) ? object[name] : null);
export const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
export const isString = (value) => typeof value === "string";

/** Python's `==` on JSON values (true == 1, 1 == 1.0, lists and dicts by content). */
export function same(a, b) {
  const scalar = (v) => typeof v === "number" || typeof v === "boolean";
  if (scalar(a) && scalar(b)) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => same(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => has(b, k) && same(a[k], b[k]));
  }
  return a === b;
}

// --- base64url (RFC 7515 §2), canonical only --------------------------------------------
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

export function b64urlDecode(text) {
  if (text.length % 4 === 1) fail("malformed", "not base64url");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let count = 0;
  let n = 0;
  for (const char of text) {
    const value = VALUE.get(char);
    if (value === undefined) fail("malformed", "not base64url");
    bits = (bits << 6) | value;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[n++] = (bits >> count) & 0xff;
    }
  }
  if (bits & ((1 << count) - 1)) fail("malformed", "not canonical base64url");
  return out;
}

export function b64urlEncode(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j += 1) text += ALPHABET[(chunk >> (18 - 6 * j)) & 63];
  }
  return text;
}

// --- strict JSON ------------------------------------------------------------------------
export const MAX_JSON_DEPTH = 32;
const STRUCTURE = /"(?:[^"\\]|\\[\s\S])*"?|[[\]{}]/g;
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

function checkDepth(text) {
  const opening = (text.match(/[[{]/g) || []).length;
  if (opening <= MAX_JSON_DEPTH) return;
  let depth = 0;
  for (const [token] of text.matchAll(STRUCTURE)) {
    if (token === "[" || token === "{") {
      depth += 1;
      if (depth > MAX_JSON_DEPTH) fail("json_too_deep");
    } else if (token === "]" || token === "}") {
      depth -= 1;
    }
  }
}

function wellFormed(text) {
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i += 1;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}

function parseText(text) {
  let at = 0;
  const bad = () => fail("invalid_json", "not valid JSON");
  const space = () => {
    while (at < text.length && " \t\n\r".includes(text[at])) at += 1;
  };
  const string = () => {
    at += 1;
    let out = "";
    for (;;) {
      if (at >= text.length) bad();
      const char = text[at++];
      if (char === '"') break;
      if (char < " ") bad();
      if (char !== "\\") {
        out += char;
        continue;
      }
      const escape = text[at++];
      if (escape === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at, at + 4))) bad();
        out += String.fromCharCode(parseInt(text.slice(at, at + 4), 16));
        at += 4;
      } else if (escape in ESCAPES) {
        out += ESCAPES[escape];
      } else {
        bad();
      }
    }
    if (!wellFormed(out)) fail("invalid_json", "JSON string is not valid Unicode");
    return out;
  };
  const value = () => {
    space();
    const char = text[at];
    if (char === "{") {
      at += 1;
      const pairs = [];
      space();
      if (text[at] === "}") {
        at += 1;
      } else {
        for (;;) {
          space();
          if (text[at] !== '"') bad();
          const key = string();
          space();
          if (text[at++] !== ":") bad();
          pairs.push([key, value()]);
          space();
          const next = text[at++];
          if (next === "}") break;
          if (next !== ",") bad();
        }
      }
      const object = Object.create(null);
      for (const [key, item] of pairs) {
        if (Object.prototype.hasOwnProperty.call(object, key)) fail("duplicate_json_key");
        object[key] = item;
      }
      return object;
    }
    if (char === "[") {
      at += 1;
      const items = [];
      space();
      if (text[at] === "]") {
        at += 1;
        return items;
      }
      for (;;) {
        items.push(value());
        space();
        const next = text[at++];
        if (next === "]") return items;
        if (next !== ",") bad();
      }
    }
    if (char === '"') return string();
    for (const [word, result] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return result;
      }
    }
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (!match) bad();
    at += match[0].length;
    if (!match[1] && !match[2] && match[0].replace("-", "").length > 4300) bad();
    const number = Number(match[0]);
    if (!Number.isFinite(number)) fail("invalid_json", "JSON holds a non-finite number");
    return number;
  };
  const result = value();
  space();
  if (at !== text.length) bad();
  return result;
}

/** Strict UTF-8 JSON: no BOM, no duplicate names, no non-finite numbers, depth <= 32. */
export function loadsStrict(bytes) {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) fail("invalid_json", "BOM");
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return fail("invalid_json", "JSON is not valid UTF-8");
  }
  checkDepth(text);
  return parseText(text);
}

export function loadsStrictObject(bytes) {
  const value = loadsStrict(bytes);
  if (!isObject(value)) fail("invalid_json", "JSON is not an object");
  return value;
}

// --- compact JWS ------------------------------------------------------------------------
export const MAX_TOKEN_CHARS = 64 * 1024;
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// Python's str.strip() whitespace.
const PY_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004" +
  "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

export function pyStrip(text) {
  let start = 0;
  let end = text.length;
  while (start < end && PY_SPACE.includes(text[start])) start += 1;
  while (end > start && PY_SPACE.includes(text[end - 1])) end -= 1;
  return text.slice(start, end);
}

export function decodeJws(unverified) {
  const token = pyStrip(unverified);
  if (token.length > MAX_TOKEN_CHARS) fail("token_too_large");
  if (!token) fail("malformed_token");
  if (token.startsWith("{")) fail("json_serialization_unsupported");
  if (token.includes("~")) fail("sd_jwt_unsupported");
  const dots = token.split(".").length - 1;
  if (dots === 4) fail("encrypted_token_unsupported");
  if (dots !== 2 || !COMPACT.test(token)) fail("malformed_token");
  const parts = token.split(".");
  let decoded;
  try {
    decoded = parts.map(b64urlDecode);
  } catch {
    return fail("invalid_base64url");
  }
  return {
    token,
    signingInput: new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    header: loadsStrictObject(decoded[0]),
    payload: loadsStrictObject(decoded[1]),
    signature: decoded[2],
  };
}

// --- QR packing (verifier/qr_packing.py) ------------------------------------------------
export const MAX_PACKED_DIGITS = 7089;
const FIXED_FORMS = { 1: "ES256", 2: "EdDSA" };

// `dictionaries` maps each format version (the first digit) to its dictionary: version 1
// (codes printed before decision 0053) and version 2 (what the issuer packs now).
export const PACKING_VERSIONS = [1, 2];

export function unpackCredential(unverified, dictionaries) {
  const invalid = () => fail("invalid_packed_credential");
  const packed = pyStrip(unverified);
  if (packed.length > MAX_PACKED_DIGITS || !/^[0-9]+$/.test(packed)) invalid();
  const version = Number(packed[0]);
  if (!PACKING_VERSIONS.includes(version) || !dictionaries || !dictionaries[version]) invalid();
  const dictionary = dictionaries[version];
  const digits = packed.slice(1);
  if (!digits || digits[0] === "0") invalid();
  let hex = BigInt(digits).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const data = new Uint8Array(hex.length / 2);
  for (let i = 0; i < data.length; i += 1) data[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const inflate = (bytes) => {
    try {
      return inflateRaw(bytes, { dictionary, limit: MAX_TOKEN_CHARS });
    } catch (error) {
      if (error instanceof InflateError) return invalid();
      throw error;
    }
  };
  const form = data[0];
  const rest = data.subarray(1);
  let header;
  let payload;
  let signature;
  if (FIXED_FORMS[form]) {
    if (rest.length < 96) invalid();
    const kid = b64urlEncode(rest.subarray(0, 32));
    header = new TextEncoder().encode(`{"alg":"${FIXED_FORMS[form]}","kid":"${kid}","typ":"vc+jwt"}`);
    signature = rest.subarray(32, 96);
    payload = inflate(rest.subarray(96));
  } else if (form === 3) {
    const length = (rest[0] << 8) | rest[1];
    if (rest.length < 2 + length) invalid();
    signature = rest.subarray(2, 2 + length);
    const body = inflate(rest.subarray(2 + length));
    const headerLength = (body[0] << 8) | body[1];
    if (body.length < 2 + headerLength) invalid();
    header = body.subarray(2, 2 + headerLength);
    payload = body.subarray(2 + headerLength);
  } else {
    invalid();
  }
  return [header, payload, signature].map(b64urlEncode).join(".");
}

// --- the header (verifier/header.py) ----------------------------------------------------
export const ALGORITHM_FOR_KEY = { "EC P-256": "ES256", "OKP Ed25519": "EdDSA" };
const ALLOWED = new Set(Object.values(ALGORITHM_FOR_KEY));
const UNSUPPORTED_TYPES = new Set(["vp+jwt", "vc+sd-jwt", "vp+sd-jwt", "dc+sd-jwt", "vc+cose", "vp+cose", "sd-jwt"]);
const BARE_KID = /^[A-Za-z0-9_-]{1,128}$/;

/** The kid the issuer's JWKS lists for a header kid (verifier/urls.py published_key_id):
 * the issuer's own key URL `<issuer>/keys/<id>` names the key published as `<id>`. */
export function publishedKeyId(issuerId, kid) {
  const prefix = `${issuerId.replace(/\/+$/, "")}/keys/`;
  const rest = kid.startsWith(prefix) ? kid.slice(prefix.length) : "";
  return BARE_KID.test(rest) ? rest : kid;
}
const URI_KID = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$&()*+,;=%]{1,500}$/;
const OPEN_BADGE = "OpenBadgeCredential";
const ACHIEVEMENT = "AchievementCredential";

const normaliseTyp = (value) => {
  const lowered = value.toLowerCase();
  return lowered.startsWith("application/") ? lowered.slice(12) : lowered;
};

export function isOpenBadge(payload) {
  const types = get(payload, "type");
  const names = Array.isArray(types) ? types : [types];
  return names.includes(OPEN_BADGE) || names.includes(ACHIEVEMENT);
}

function checkTyp(header, payload, allowObJwt) {
  const raw = get(header, "typ");
  if (raw === null) {
    if (allowObJwt && isOpenBadge(payload)) return null;
    fail("wrong_typ");
  }
  if (!isString(raw)) fail("wrong_typ");
  const typ = normaliseTyp(raw);
  if (typ === "vc+jwt") return typ;
  if (typ === "jwt" && allowObJwt && (isOpenBadge(payload) || has(payload, "vc"))) return typ;
  if (UNSUPPORTED_TYPES.has(typ)) fail("unsupported_token_type");
  return fail("wrong_typ");
}

export function checkHeader(header, payload, allowObJwt = true) {
  const alg = get(header, "alg");
  if (!isString(alg) || !ALLOWED.has(alg)) fail("unsupported_algorithm");
  if (has(header, "crit")) fail("unsupported_critical_header");
  for (const name of ["jku", "x5u", "x5c"]) if (has(header, name)) fail("forbidden_header_parameter");
  if (has(header, "jwk") && !isObject(header.jwk)) fail("forbidden_header_parameter");
  const cty = get(header, "cty");
  if (isString(cty) && normaliseTyp(cty) === "jwt") fail("unsupported_token_type");
  checkTyp(header, payload, allowObJwt);
  const kid = get(header, "kid");
  if (kid === null) fail("missing_kid");
  if (!isString(kid)) fail("invalid_kid");
  if (kid.includes("..") || !(BARE_KID.test(kid) || URI_KID.test(kid))) fail("invalid_kid");
  return { algorithm: alg, kid };
}
