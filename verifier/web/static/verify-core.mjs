// The in-page verifier: the checks of verifier/verification.py, in the same order and with
// the same error codes and verdicts, run in the browser (or Node) with WebCrypto.
//
// It needs only published documents, fetched whole through `options.fetchDocument(url,
// accept)`: the issuer's metadata and JWKS, its compromised-keys list and status lists. The
// credential, its id and anything derived from it stay in the page. A document older than
// `options.maxAgeSeconds` (a cached copy, offline) is not trusted: the verdict is
// `unavailable`. Status details (reason, successor) are not fetched, since their URL names
// the credential: a revoked credential reads `revoked`, never `superseded`.
import {
  CheckError,
  b64urlDecode as decodeB64,
  checkHeader,
  decodeJws,
  get,
  has,
  isObject,
  isString,
  publishedKeyId,
  pyStrip,
  same,
  unpackCredential,
} from "./verify-format.mjs";
import {
  STATUS_LIST_CREDENTIAL,
  VC_V2_CONTEXT,
  checkCredential,
  checkKeyBinding,
  checkValidity,
  isUrl,
  issuerForUrl,
  issuerIdOf,
  keysFromJwks,
  normaliseIssuerId,
  parseDateTime,
  parseDocument,
  typesOf,
  urlSplit,
  verifySignature,
} from "./verify-checks.mjs";
import { extractDisplay } from "./verify-display.mjs";
import { InflateError, gunzip } from "./inflate.mjs";

const fail = (code, message) => {
  throw new CheckError(code, message);
};

const UNAVAILABLE = new Set(["credential_store_unavailable", "key_source_unavailable",
  "key_source_stale", "status_retrieval_error", "status_verification_error",
  "malformed_status_list", "status_list_length_error", "status_index_out_of_range",
  "status_error", "internal_error"]);
const UNREADABLE = new Set(["invalid_packed_credential", "token_too_large", "malformed_token",
  "invalid_base64url", "invalid_json", "encrypted_token_unsupported",
  "json_serialization_unsupported", "sd_jwt_unsupported", "unsupported_token_type",
  "missing_issuer", "malformed_signature", "missing_property", "invalid_property",
  "claim_mismatch", "vc_vp_claim_present", "unsupported_legacy_credential",
  "status_list_as_credential", "malformed_status_entry"]);
const PERIOD = new Set(["expired", "not_yet_valid"]);

/** verifier/verdict.py `verdict_for`. */
export function verdictFor(error) {
  if (UNAVAILABLE.has(error)) return "unavailable";
  if (UNREADABLE.has(error)) return "unreadable";
  if (error === "untrusted_issuer" || error === "untrusted_verify_url") return "untrusted_issuer";
  if (error === "credential_not_found") return "not_found";
  if (PERIOD.has(error)) return error;
  return "invalid";
}

const MIN_STATUS_LIST_ENTRIES = 131072;
const MAX_BITSTRING_BYTES = 2 * 1024 * 1024;
const MAX_ENCODED_LIST_CHARS = 512 * 1024;
const STATUS_ERRORS = new Set(["status_retrieval_error", "status_verification_error",
  "status_list_length_error", "status_index_out_of_range", "malformed_status_entry",
  "malformed_status_list", "status_error"]);

class NotPublished extends CheckError {
  constructor() {
    super("status_retrieval_error", "the issuer publishes no such status list");
  }
}

/** The packed digits a submission carries (verifier/qr_packing.py packed_credential_in). */
export function packedCredentialIn(text) {
  const stripped = pyStrip(text);
  const lowered = stripped.slice(0, 8).toLowerCase();
  if (lowered.startsWith("http://") || lowered.startsWith("https://")) {
    const hash = stripped.indexOf("#");
    const fragment = hash < 0 ? "" : stripped.slice(hash + 1);
    return /^[0-9]+$/.test(fragment) ? fragment : null;
  }
  return /^[0-9]+$/.test(stripped) ? stripped : null;
}

class Run {
  constructor(options) {
    this.options = options;
    this.trusted = options.trusted.map(normaliseIssuerId).filter(Boolean);
    this.now = options.now;
    this.skew = (options.clockSkewSeconds ?? 60) * 1000;
    this.maxAge = (options.maxAgeSeconds ?? 86400) * 1000;
    this.checks = [];
    this.documents = new Map();
    this.keySets = new Map();
    this.keysAsOf = null;
  }

  // One fetch per URL per run: {status, text, fetchedAt}, or status 0 when it failed.
  document(url, accept) {
    if (!this.documents.has(url)) {
      const attempt = Promise.resolve()
        .then(() => this.options.fetchDocument(url, accept))
        .catch(() => ({ status: 0, text: "", fetchedAt: null }));
      this.documents.set(url, attempt);
    }
    return this.documents.get(url);
  }

  tooOld(fetchedAt) {
    return fetchedAt !== null && this.now - fetchedAt > this.maxAge;
  }

  async keySet(issuerId) {
    if (!this.keySets.has(issuerId)) this.keySets.set(issuerId, this.fetchKeys(issuerId));
    return this.keySets.get(issuerId);
  }

  async fetchKeys(issuerId) {
    const unavailable = (message) => fail("key_source_unavailable", message);
    const parts = urlSplit(issuerId);
    if (!["http", "https"].includes(parts.scheme) || !parts.netloc) unavailable("not http(s)");
    const metadataUrl = `${parts.scheme}://${parts.netloc}/.well-known/jwt-vc-issuer${parts.path.replace(/\/+$/, "")}`;
    const metadataDocument = await this.document(metadataUrl, "application/json");
    if (metadataDocument.status !== 200) unavailable("no issuer metadata");
    const metadata = parseDocument(metadataDocument.text);
    if (!same(get(metadata, "issuer"), issuerId)) unavailable("metadata names another issuer");
    let jwks;
    let fetchedAt = metadataDocument.fetchedAt;
    if (has(metadata, "jwks")) {
      jwks = metadata.jwks;
      if (!isObject(jwks)) unavailable("not a JSON object");
    } else {
      const uri = get(metadata, "jwks_uri");
      if (!isString(uri)) unavailable("no jwks_uri");
      const jwksUrl = new URL(uri, `${issuerId}/`).href;
      if (parts.scheme === "https" && !jwksUrl.startsWith("https:")) unavailable("http jwks_uri");
      const jwksDocument = await this.document(jwksUrl, "application/jwk-set+json, application/json");
      if (jwksDocument.status !== 200) unavailable("no JWKS");
      jwks = parseDocument(jwksDocument.text);
      if (fetchedAt === null || (jwksDocument.fetchedAt !== null && jwksDocument.fetchedAt < fetchedAt)) {
        fetchedAt = jwksDocument.fetchedAt;
      }
    }
    if (this.tooOld(fetchedAt)) fail("key_source_stale", "the cached keys are too old");
    if (fetchedAt !== null && (this.keysAsOf === null || fetchedAt < this.keysAsOf)) {
      this.keysAsOf = fetchedAt;
    }
    return keysFromJwks(jwks);
  }

  async resolveKey(issuerId, kid) {
    if (!this.trusted.includes(issuerId)) fail("untrusted_issuer");
    const key = (await this.keySet(issuerId)).get(kid);
    if (!key) fail("key_not_found");
    // Published, but this browser has no WebCrypto for its algorithm: cannot check here.
    if (key.key === null) fail("internal_error", "this browser cannot check this signature");
    return key;
  }

  async compromisedKeys(issuerId) {
    const document = await this.document(`${issuerId.replace(/\/+$/, "")}/compromised-keys.json`, "application/json");
    if (document.status !== 200) return new Map();
    let parsed;
    try {
      parsed = parseDocument(document.text);
    } catch {
      return new Map();
    }
    const found = new Map();
    if (!same(get(parsed, "issuer"), issuerId) || !Array.isArray(get(parsed, "keys"))) return found;
    for (const item of parsed.keys) {
      if (isObject(item) && isString(get(item, "kid"))) found.set(item.kid, get(item, "compromised_at"));
    }
    return found;
  }

  passed(code) {
    this.checks.push({ code, passed: true, error: null });
  }

  failed(code, error) {
    this.checks.push({ code, passed: false, error });
  }

  async step(code, action) {
    try {
      return await action();
    } catch (error) {
      if (error instanceof CheckError) {
        this.failed(code, error.code);
        throw new StopRun();
      }
      this.failed(code, "internal_error");
      throw new StopRun();
    }
  }

  result(status, display = null, statusAsOf = null) {
    return {
      verified: status === "valid",
      status,
      checks: this.checks,
      credential: display,
      statusAsOf,
      keysAsOf: this.keysAsOf,
      checkedAt: this.now,
    };
  }

  failedResult(display = null) {
    const failed = this.checks.find((c) => !c.passed);
    return this.result(verdictFor(failed ? failed.error : null), display);
  }

  async submission(text) {
    const packed = packedCredentialIn(text);
    if (packed === null && /^https?:\/\//.test(pyStrip(text).slice(0, 8).toLowerCase())) {
      // A verify URL names a credential to fetch: the page never fetches one.
      this.failed("locate", "untrusted_verify_url");
      return this.failedResult();
    }
    if (packed === null) return this.verify(text);
    let token;
    try {
      token = unpackCredential(packed, this.options.dictionaries);
    } catch (error) {
      this.failed("locate", error instanceof CheckError ? error.code : "internal_error");
      return this.failedResult();
    }
    this.passed("locate");
    return this.verify(token);
  }

  async verify(token) {
    try {
      return await this.checksOf(token);
    } catch (error) {
      if (!(error instanceof StopRun)) this.failed("status", "internal_error");
      return this.failedResult();
    }
  }

  async checksOf(token) {
    const jws = await this.step("parse", () => decodeJws(token));
    this.passed("parse");
    const header = await this.step("header", () => checkHeader(jws.header, jws.payload));
    this.passed("header");
    const issuerId = await this.step("issuer_trusted", () => this.trustedIssuer(jws.payload));
    this.passed("issuer_trusted");
    const kid = publishedKeyId(issuerId, header.kid);
    await this.step("key", async () => {
      if ((await this.compromisedKeys(issuerId)).has(kid)) fail("key_compromised");
    });
    const key = await this.step("key", () => this.resolveKey(issuerId, kid));
    await this.step("key", () => checkKeyBinding(key, jws.header, header.algorithm));
    this.passed("key");
    await this.step("signature", () => verifySignature(jws, key, key.algorithm));
    this.passed("signature");
    const display = extractDisplay(jws.payload, key.kid);
    const facts = await this.step("credential", () => checkCredential(jws.payload));
    this.passed("credential");

    let periodStatus = "valid";
    try {
      checkValidity(this.now, facts.notBefore, facts.notAfter, this.skew);
      this.passed("validity");
    } catch (error) {
      if (!(error instanceof CheckError)) throw error;
      this.failed("validity", error.code);
      periodStatus = error.code;
    }
    let outcome;
    try {
      outcome = await this.status(facts.statusEntries, issuerId);
    } catch (error) {
      this.failed("status", error instanceof CheckError && STATUS_ERRORS.has(error.code) ? error.code : "internal_error");
      return this.failedResult(display);
    }
    if (outcome.status === "valid") {
      this.passed("status");
      return this.result(periodStatus, display, outcome.fetchedAt);
    }
    this.failed("status", outcome.status);
    return this.result(outcome.status, display, outcome.fetchedAt);
  }

  trustedIssuer(payload) {
    const issuerId = issuerIdOf(payload);
    if (!this.trusted.includes(issuerId)) fail("untrusted_issuer");
    if (has(payload, "iss") && !same(payload.iss, issuerId)) fail("issuer_mismatch");
    return issuerId;
  }

  // --- status (verifier/status.py) -----------------------------------------------------
  async status(entries, issuerId) {
    let revoked = false;
    let suspended = false;
    let oldest = null;
    const older = (moment) => {
      if (moment !== null && (oldest === null || moment < oldest)) oldest = moment;
    };
    let checked = 0;
    for (const entry of entries) {
      if (get(entry, "type") !== "BitstringStatusListEntry") continue;
      const [purpose, value, fetchedAt] = await this.entry(entry, issuerId);
      checked += 1;
      older(fetchedAt);
      revoked = revoked || (purpose === "revocation" && value !== 0);
      suspended = suspended || (purpose === "suspension" && value !== 0);
      if (purpose === "revocation" && value === 0) {
        const twinUrl = `${entry.statusListCredential}/suspension`;
        const twin = { ...entry, id: `${twinUrl}#${get(entry, "statusListIndex")}`,
          statusPurpose: "suspension", statusListCredential: twinUrl };
        try {
          const [, twinValue, twinAt] = await this.entry(twin, issuerId);
          older(twinAt);
          suspended = suspended || twinValue !== 0;
        } catch (error) {
          if (!(error instanceof NotPublished)) throw error;
        }
      }
    }
    const status = revoked ? "revoked" : suspended ? "suspended" : "valid";
    return { status, fetchedAt: checked ? oldest : null };
  }

  async entry(entry, issuerId) {
    const purpose = get(entry, "statusPurpose");
    const url = get(entry, "statusListCredential");
    if (!isString(purpose) || !isUrl(url)) fail("malformed_status_entry");
    if (same(get(entry, "id"), url)) fail("malformed_status_entry");
    const indexText = get(entry, "statusListIndex");
    if (!isString(indexText) || !/^(?:0|[1-9][0-9]{0,18})$/.test(indexText)) fail("malformed_status_entry");
    const index = Number(indexText);
    const sizeValue = get(entry, "statusSize");
    const size = sizeValue === null ? 1 : sizeValue;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > 8) {
      fail("malformed_status_entry");
    }
    const document = await this.statusList(url);
    const list = await this.verifyList(document.token, url, issuerId);
    try {
      checkValidity(this.now, list.notBefore, list.notAfter, this.skew);
    } catch (error) {
      if (error instanceof CheckError) fail("status_verification_error", "outside its period");
      throw error;
    }
    if (!list.purposes.has(purpose)) fail("status_verification_error", "another purpose");
    return [purpose, readStatus(list.bitstring, index, size), document.fetchedAt];
  }

  async statusList(url) {
    if (issuerForUrl(this.trusted, url) === null) fail("status_retrieval_error", "not a trusted issuer's");
    const document = await this.document(url, "application/vc+jwt");
    if (document.status === 404) throw new NotPublished();
    if (document.status !== 200) fail("status_retrieval_error", "could not be fetched");
    if (!/^[\x00-\x7f]*$/.test(document.text)) fail("status_retrieval_error", "not a compact JWS");
    if (this.tooOld(document.fetchedAt)) fail("status_retrieval_error", "the cached list is too old");
    return { token: pyStrip(document.text), fetchedAt: document.fetchedAt };
  }

  async verifyList(token, url, issuerId) {
    try {
      const jws = decodeJws(token);
      const header = checkHeader(jws.header, jws.payload, false);
      if (issuerIdOf(jws.payload) !== issuerId || !same(has(jws.payload, "iss") ? jws.payload.iss : issuerId, issuerId)) {
        fail("status_verification_error", "another issuer");
      }
      let key;
      try {
        key = await this.resolveKey(issuerId, publishedKeyId(issuerId, header.kid));
      } catch (error) {
        if (error instanceof CheckError && ["key_source_unavailable", "key_source_stale"].includes(error.code)) {
          fail("status_retrieval_error", "the issuer's keys are unavailable");
        }
        throw error;
      }
      await checkKeyBinding(key, jws.header, header.algorithm);
      await verifySignature(jws, key, key.algorithm);
      return readList(jws.payload, url);
    } catch (error) {
      if (!(error instanceof CheckError) || STATUS_ERRORS.has(error.code)) throw error;
      return fail("status_verification_error", `the status list did not verify (${error.code})`);
    }
  }
}

class StopRun extends Error {}

function readList(payload, url) {
  const invalid = (message) => fail("status_verification_error", message);
  const context = get(payload, "@context");
  if (!Array.isArray(context) || !context.length || !same(context[0], VC_V2_CONTEXT)) invalid("not VC 2.0");
  if (!typesOf(get(payload, "type")).includes(STATUS_LIST_CREDENTIAL)) invalid("not a status list");
  if (has(payload, "id") && !same(payload.id, url)) invalid("another id");
  const subject = get(payload, "credentialSubject");
  if (!isObject(subject) || !same(get(subject, "type"), "BitstringStatusList")) invalid("subject");
  const raw = get(subject, "statusPurpose");
  const purposes = new Set((Array.isArray(raw) ? raw : [raw]).filter(isString));
  const notBefore = has(payload, "validFrom") ? parseDateTime(payload.validFrom) : null;
  const notAfter = has(payload, "validUntil") ? parseDateTime(payload.validUntil) : null;
  return { purposes, notBefore, notAfter, bitstring: decodeEncodedList(get(subject, "encodedList")) };
}

function decodeEncodedList(encoded) {
  const malformed = () => fail("malformed_status_list");
  if (!isString(encoded) || !encoded.startsWith("u") || encoded.length > MAX_ENCODED_LIST_CHARS) malformed();
  let compressed;
  try {
    compressed = decodeB64(encoded.slice(1));
  } catch {
    return malformed();
  }
  try {
    return gunzip(compressed, { limit: MAX_BITSTRING_BYTES });
  } catch (error) {
    if (error instanceof InflateError) return malformed();
    throw error;
  }
}

function readStatus(bitstring, index, size) {
  const bits = bitstring.length * 8;
  if (Math.floor(bits / size) < MIN_STATUS_LIST_ENTRIES) fail("status_list_length_error");
  const start = index * size;
  if (start + size > bits) fail("status_index_out_of_range");
  let value = 0;
  for (let position = start; position < start + size; position += 1) {
    value = (value << 1) | ((bitstring[position >> 3] >> (7 - (position % 8))) & 1);
  }
  return value;
}

/**
 * Verify a submission (a packed QR link, its digits, or a compact JWS) with `options`:
 * `trusted` (issuer ids), `dictionaries` (the QR packing dictionary of each format version,
 * `{1: Uint8Array, 2: Uint8Array}`), `now` (ms),
 * `clockSkewSeconds`, `maxAgeSeconds` and `fetchDocument(url, accept)` resolving to
 * `{status, text, fetchedAt}` (fetchedAt in ms, or null for "just now").
 */
export async function verifySubmission(text, options) {
  return new Run(options).submission(text);
}
