"""The cases both verifiers must agree on: the Python ``Verifier`` and the in-page JavaScript
one (``verifier/web/static/verify-core.mjs``, run in Node with its built-in WebCrypto).

Each case is a submission (a compact JWS, packed digits or a packed link) and the documents
its issuer publishes (URL -> HTTP status and body): the Python verifier reads them through its
HTTP sources over ``httpx.MockTransport``, the JavaScript one through ``fetchDocument``. The
cases are the QR packing vectors, the W3C VC-JOSE-COSE vectors, Tessera credentials in every
state, and the attacks of tests/test_security_regressions.py and tests/verifier/.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import hmac
import json
import os
import random
import shutil
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.verifier.kit import NOW, IssuerKit, b64url, new_ed25519, new_es256, sign, sign_raw
from verifier.errors import LocatorError, StatusError
from verifier.format import UNDEFINED_TERMS_CONTEXT
from verifier.qr_packing import (
    DICTIONARIES,
    DICTIONARY,
    VERSION,
    _inflate,
    pack_credential,
    packed_verify_url,
)
from verifier.result import VerificationResult
from verifier.sources.breaker import IssuerBreaker
from verifier.sources.compromised_keys import HttpCompromisedKeySource
from verifier.sources.fetch import build_http_client
from verifier.sources.keys import HttpKeyResolver, issuer_metadata_url
from verifier.sources.status_lists import HttpStatusSource
from verifier.status_list import decode_encoded_list
from verifier.trust import TrustedIssuers
from verifier.verification import Verifier

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "verifier" / "web" / "static"
RUNNER = Path(__file__).with_name("phone_runner.mjs")
W3C = ROOT / "tests" / "vectors" / "w3c-vc-jose-cose"
W3C_ISSUER = "https://example.issuer/vc-jose-cose"
SKEW = dt.timedelta(seconds=60)

Documents = dict[str, tuple[int, str]]


@dataclass
class Case:
    name: str
    submission: str
    documents: Documents
    trusted: list[str]
    now: dt.datetime = NOW
    extra: dict[str, Any] = field(default_factory=dict)


def published(issuer: str, jwks: dict[str, Any], **more: tuple[int, str]) -> Documents:
    """The documents an issuer publishes: metadata, JWKS and whatever else is given."""
    return {
        issuer_metadata_url(issuer): (
            200,
            json.dumps({"issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks.json"}),
        ),
        f"{issuer}/.well-known/jwks.json": (200, json.dumps(jwks)),
        **more,
    }


def python_verdict(case: Case) -> tuple[str, str | None, str | None]:
    """(status, failed check, its error) from the Python verifier."""

    def handler(request: httpx.Request) -> httpx.Response:
        status, body = case.documents.get(str(request.url), (404, ""))
        return httpx.Response(status, text=body)

    client = build_http_client(transport=httpx.MockTransport(handler))
    trusted = TrustedIssuers(case.trusted)
    breaker = IssuerBreaker()
    clock = lambda: case.now  # noqa: E731
    verifier = Verifier(
        trusted_issuers=trusted,
        key_resolver=HttpKeyResolver(trusted, client, clock=clock, breaker=breaker),
        status_source=HttpStatusSource(trusted, client, clock=clock, breaker=breaker),
        compromised_keys=HttpCompromisedKeySource(trusted, client, clock=clock, breaker=breaker),
        clock=clock,
        clock_skew=SKEW,
    )
    return summary(verifier.verify_submission(case.submission))


def summary(result: VerificationResult) -> tuple[str, str | None, str | None]:
    failed = result.failed_check()
    if failed is None:
        return result.status.value, None, None
    return result.status.value, failed.code.value, failed.error


def javascript_verdicts(cases: list[Case]) -> dict[str, tuple[str, str | None, str | None]]:
    """Every case through the JavaScript verifier, in one Node process."""
    request = {
        "static": str(STATIC),
        "dictionaries": _dictionaries(),
        "version": VERSION,
        "skew": int(SKEW.total_seconds()),
        "cases": [
            {
                "name": c.name,
                "submission": c.submission,
                "documents": c.documents,
                "trusted": c.trusted,
                "now": int(c.now.timestamp() * 1000),
            }
            for c in cases
        ],
    }
    completed = subprocess.run(
        ["node", str(RUNNER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answers = json.loads(completed.stdout)
    return {a["name"]: (a["status"], a["check"], a["error"]) for a in answers}


# --- the cases ------------------------------------------------------------------------------


def _dictionaries() -> dict[str, str]:
    return {str(v): base64.b64encode(d).decode() for v, d in DICTIONARIES.items()}


def qr_vector_cases() -> list[Case]:
    """The published vectors of every format version: version 1's are codes already printed."""
    cases = []
    for version, name in ((1, "qr-packing-vectors.json"), (2, "qr-packing-vectors-v2.json")):
        vectors = json.loads((ROOT / "docs" / name).read_text("utf-8"))
        issuer = vectors["base_url"]
        keys = []
        for vector in vectors["vectors"]:
            jwk = vector["jwk"]
            keys += [jwk, {**jwk, "kid": f"{issuer}/keys/{jwk['kid']}"}]
        documents = published(issuer, {"keys": keys})
        at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        for n, vector in enumerate(vectors["vectors"]):
            for form, text in (("link", vector["qr_text"]), ("jws", vector["jws"])):
                cases.append(
                    Case(f"qr-v{version}-vector-{n}-{form}", text, documents, [issuer], at)
                )
    return cases


def w3c_cases() -> list[Case]:
    cases = []
    for case in json.loads((W3C / "cases.json").read_text("utf-8")):
        if case["function"] != "verify":
            continue
        method = json.loads((W3C / case["key"]).read_text("utf-8"))
        documents = published(W3C_ISSUER, {"keys": [method["publicKeyJwk"]]})
        text = (W3C / case["input"]).read_text("utf-8")
        cases.append(Case(f"w3c-{case['number']}-{case['input']}", text, documents, [W3C_ISSUER]))
    return cases


def header_of(kit: IssuerKit, **fields: Any) -> dict[str, Any]:
    header: dict[str, Any] = {"alg": "ES256", "kid": kit.key.kid, "typ": "vc+jwt"}
    header.update(fields)
    return {k: v for k, v in header.items() if v is not None}


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    signing_input = (
        b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    ).encode()
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{b64url(mac)}"


def kit_cases() -> list[Case]:
    kit = IssuerKit()
    kit.revoked.add(2_002)
    base = kit.base
    lists = {
        f"{base}/status/1": (200, kit.status_list_token(1)),
        f"{base}/status/1/suspension": (
            200,
            kit.status_list_token(
                1, purpose="suspension", set_indices={3_003}, id=f"{base}/status/1/suspension"
            ),
        ),
    }
    docs = published(base, kit.jwks, **lists)
    cases: list[Case] = []

    def add(name: str, submission: str, documents: Documents | None = None, **kw: Any) -> None:
        cases.append(Case(name, submission, documents or docs, [base], **kw))

    def with_list(payload: dict[str, Any] | str, name: str) -> None:
        token = payload if isinstance(payload, str) else sign(payload, kit.key)
        add(name, kit.token(), {**docs, f"{base}/status/1": (200, token)})

    valid = kit.token()
    add("valid", valid)
    add("valid-packed-link", packed_verify_url(base, valid))
    add("valid-packed-digits", pack_credential(valid))
    add(
        "valid-packed-v1-link",
        packed_verify_url(base, valid).replace(
            pack_credential(valid), pack_credential(valid, version=1)
        ),
    )
    add("valid-eddsa", kit.token(key=kit.ed_key))
    # Credentials as issued before decision 0053 (two contexts) and since (undefined-terms
    # context last) both verify; an Open Badge without the OB context does not.
    vc2, ob3, undefined = kit.credential()["@context"] + [UNDEFINED_TERMS_CONTEXT]

    def with_contexts(*contexts: str) -> str:
        payload = kit.credential()
        payload["@context"] = list(contexts)
        return kit.token(payload)

    add("valid-two-contexts", with_contexts(vc2, ob3))
    add("valid-three-contexts", with_contexts(vc2, ob3, undefined))
    add("valid-three-contexts-packed", packed_verify_url(base, with_contexts(vc2, ob3, undefined)))
    add("open-badge-without-its-context", with_contexts(vc2, undefined))
    # A kid that is the issuer's own key URL names the published key (decision 0054).
    add("valid-kid-url", sign(kit.credential(), kit.key, kid=f"{base}/keys/{kit.key.kid}"))
    add(
        "valid-kid-url-packed",
        packed_verify_url(base, sign(kit.credential(), kit.key, kid=f"{base}/keys/{kit.key.kid}")),
    )
    add(
        "kid-url-of-another-host",
        sign(kit.credential(), kit.key, kid=f"https://x.example/keys/{kit.key.kid}"),
    )
    add("kid-url-not-a-key-id", sign(kit.credential(), kit.key, kid=f"{base}/keys/{kit.key.kid}/x"))
    add("valid-eddsa-packed", packed_verify_url(base, kit.token(key=kit.ed_key)))
    add("revoked", kit.token(kit.credential(index=2_002)))
    add("revoked-packed", packed_verify_url(base, kit.token(kit.credential(index=2_002))))
    add("suspended", kit.token(kit.credential(index=3_003)))
    add("expired", kit.token(kit.credential(valid_until=NOW - dt.timedelta(minutes=5))))
    add("within-skew", kit.token(kit.credential(valid_until=NOW + dt.timedelta(seconds=30))))
    add("not-yet-valid", kit.token(kit.credential(valid_from=NOW + dt.timedelta(days=1))))
    add(
        "revoked-and-expired",
        kit.token(kit.credential(index=2_002, valid_until=NOW - dt.timedelta(days=1))),
    )
    add("no-status-entry", kit.token(kit.credential(credentialStatus=None)))
    generic = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": base,
        "credentialSubject": {"id": "did:example:1"},
    }
    add("generic-vc", kit.token(generic))
    add("generic-vc-typ-jwt", kit.token(generic, typ="JWT"))
    add("open-badge-typ-jwt", kit.token(typ="JWT"))
    add("open-badge-no-typ", kit.token(typ=None))
    add("typ-uppercase", kit.token(typ="APPLICATION/VC+JWT"))

    # algorithm and key attacks
    credential = kit.credential()
    add("alg-none", sign_raw(header_of(kit, alg="none"), credential, None))
    add("alg-none-case", sign_raw(header_of(kit, alg="noNE"), credential, None))
    add(
        "hs256-jwk-secret",
        hs256(header_of(kit, alg="HS256"), credential, json.dumps(kit.key.jwk).encode()),
    )
    for alg in ("RS256", "ES512", "PS256", "ES256K", "Ed25519"):
        add(f"alg-{alg}", sign_raw(header_of(kit, alg=alg), credential, None) + "AAAA")
    add("eddsa-header-p256-kid", sign_raw(header_of(kit, alg="EdDSA"), credential, kit.ed_key))
    add("es256-header-ed-kid", sign_raw(header_of(kit, kid=kit.ed_key.kid), credential, kit.key))
    add("psychic-signature", sign_raw(header_of(kit), credential, None) + b64url(bytes(64)))
    stranger = new_es256()
    add("unknown-kid", sign(credential, stranger))
    for n, kid in enumerate(["../../etc/passwd", "' OR 1=1 --", "key\x00", "a b", "..", 42]):
        add(f"kid-shape-{n}", sign_raw(header_of(kit, kid=kid), credential, kit.key))
    add("kid-missing", sign_raw(header_of(kit, kid=None), credential, kit.key))
    for name, value in (
        ("jku", "https://evil.test/j"),
        ("x5u", "https://evil.test/c"),
        ("x5c", ["MII"]),
    ):
        add(
            f"header-{name}",
            sign_raw(header_of(kit, kid=stranger.kid, **{name: value}), credential, stranger),
        )
    add("attacker-jwk", sign_raw(header_of(kit, jwk=stranger.jwk), credential, stranger))
    add(
        "attacker-jwk-own-kid",
        sign_raw(header_of(kit, kid=stranger.kid, jwk=stranger.jwk), credential, stranger),
    )
    add("inline-jwk-equal", sign_raw(header_of(kit, jwk=kit.key.jwk), credential, kit.key))
    add("inline-jwk-not-object", sign_raw(header_of(kit, jwk="x"), credential, kit.key))
    add("stranger-our-kid", sign(credential, stranger, kid=kit.key.kid))
    add("ed-stranger-our-kid", sign(credential, new_ed25519(), kid=kit.ed_key.kid))
    other = IssuerKit(base="https://stranger.test")
    add("untrusted-issuer", other.token())
    add("iss-mismatch", kit.token(kit.credential(iss="https://stranger.test")))
    add("no-issuer", kit.token(kit.credential(issuer=None)))
    add("crit", sign_raw(header_of(kit, crit=["exp"]), credential, kit.key))
    add("crit-empty", sign_raw(header_of(kit, crit=[]), credential, kit.key))
    add("b64-false", sign_raw(header_of(kit, crit=["b64"], b64=False), credential, kit.key))
    for typ in ("statuslist+jwt", "kb+jwt", "", 42, "vp+jwt", "dc+sd-jwt", "vc+sd-jwt"):
        add(f"typ-{typ}", sign_raw(header_of(kit, typ=typ), credential, kit.key))
    add("cty-jwt", kit.token(cty="JWT"))
    add("status-list-as-credential", kit.status_list_token())
    add(
        "compromised-key",
        valid,
        {
            **docs,
            f"{base}/compromised-keys.json": (
                200,
                json.dumps(
                    {
                        "issuer": base,
                        "keys": [{"kid": kit.key.kid, "compromised_at": "2026-11-01T00:00:00Z"}],
                    }
                ),
            ),
        },
    )
    add(
        "compromised-list-other-issuer",
        valid,
        {
            **docs,
            f"{base}/compromised-keys.json": (
                200,
                json.dumps({"issuer": "x", "keys": [{"kid": kit.key.kid}]}),
            ),
        },
    )
    add("jwks-unavailable", valid, {**docs, f"{base}/.well-known/jwks.json": (503, "")})
    add(
        "metadata-other-issuer",
        valid,
        {
            **docs,
            issuer_metadata_url(base): (
                200,
                json.dumps({"issuer": "https://x.test", "jwks_uri": "/j"}),
            ),
        },
    )
    add(
        "metadata-inline-jwks",
        valid,
        {**docs, issuer_metadata_url(base): (200, json.dumps({"issuer": base, "jwks": kit.jwks}))},
    )
    junk = {
        "keys": [
            {"kty": "RSA", "n": "x", "e": "AQAB"},
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
            {**kit.key.jwk, "d": "AA"},
            {**kit.key.jwk, "use": "enc"},
            kit.key.jwk,
        ]
    }
    add("jwks-with-junk", valid, {**docs, f"{base}/.well-known/jwks.json": (200, json.dumps(junk))})

    # integrity and format
    header, payload, signature = valid.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["achievement"]["name"] = "高级技师"
    add("tampered-payload", f"{header}.{b64url(json.dumps(claims).encode())}.{signature}")
    add(
        "tampered-header",
        f"{b64url(json.dumps(header_of(kit, cty='vc')).encode())}.{payload}.{signature}",
    )
    add("truncated-signature-2", valid[:-2])
    add("truncated-signature-1", valid[:-1])
    add("empty-signature", f"{header}.{payload}.")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(valid[-1])
    add("non-canonical-signature", valid[:-1] + alphabet[(last & ~0b1111) | 5])
    add("oversized", kit.token(kit.credential(description="x" * 70_000)))
    add("deep-json", sign_raw(header_of(kit), b'{"a":' * 5000 + b"1" + b"}" * 5000, kit.key))
    body = json.dumps(credential).encode()
    add(
        "duplicate-key",
        sign_raw(header_of(kit), body[:-1] + b', "issuer": "https://stranger.test"}', kit.key),
    )
    dup_header = (
        b'{"alg":"ES256","alg":"none","kid":"' + kit.key.kid.encode() + b'","typ":"vc+jwt"}'
    )
    add("duplicate-header-key", f"{b64url(dup_header)}.{payload}.{signature}")
    add("bom-json", sign_raw(header_of(kit), b"\xef\xbb\xbf" + body, kit.key))
    add("not-utf8", sign_raw(header_of(kit), body.replace(b"Rare", b"R\xffre", 1), kit.key))
    add("lone-surrogate", sign_raw(header_of(kit), body[:-1] + b', "x": "\\ud800"}', kit.key))
    add("nan", sign_raw(header_of(kit), body[:-1] + b', "x": NaN}', kit.key))
    add("huge-number", sign_raw(header_of(kit), body[:-1] + b', "x": 1e400}', kit.key))
    add("trailing-data", sign_raw(header_of(kit), body + b" x", kit.key))
    add("json-array", sign_raw(header_of(kit), b"[1]", kit.key))
    jwe = ".".join(b64url(p) for p in (b'{"alg":"RSA-OAEP"}', b"k", b"iv", b"ct", b"tag"))
    add("jwe", jwe)
    add(
        "json-serialization",
        json.dumps({"payload": payload, "protected": header, "signature": signature}),
    )
    add("sd-jwt", valid + "~")
    add(
        "plus-character",
        valid.replace("-", "+", 1) if "-" in valid else valid[:5] + "+" + valid[6:],
    )
    add("space-inside", valid[:10] + " " + valid[10:])
    add("vp-claim", kit.token(kit.credential(vp={"x": 1})))
    add("legacy-vc-claim", kit.token({"vc": {"type": ["VerifiableCredential"]}, "iss": base}))
    add("empty", "")
    add("garbage", "hello world")

    # the credential's shape
    context: dict[str, Any] = {"@context": None}
    add("no-context", kit.token(kit.credential(**context)))
    context = {"@context": ["https://example.org"]}
    add("wrong-context", kit.token(kit.credential(**context)))
    add("id-not-url", kit.token(kit.credential(id="not a url", jti="not a url")))
    add("jti-mismatch", kit.token(kit.credential(jti="urn:uuid:other")))
    add("sub-mismatch", kit.token(kit.credential(sub="urn:uuid:other")))
    add("nbf-mismatch", kit.token(kit.credential(nbf=int(NOW.timestamp()))))
    add(
        "exp-mismatch",
        kit.token(kit.credential(valid_until=NOW + dt.timedelta(days=9), exp=int(NOW.timestamp()))),
    )
    add("valid-from-bad-date", kit.token(kit.credential(validFrom="2026-02-30T00:00:00Z")))
    add(
        "valid-from-offset",
        kit.token(
            kit.credential(
                validFrom="2026-10-28T20:00:00+08:00",
                nbf=int((NOW - dt.timedelta(days=30)).timestamp()),
            )
        ),
    )
    add(
        "valid-from-24h",
        kit.token(
            kit.credential(
                validFrom="2026-10-27T24:00:00Z", nbf=int((NOW - dt.timedelta(days=30)).timestamp())
            )
        ),
    )
    add("period-reversed", kit.token(kit.credential(valid_until=NOW - dt.timedelta(days=60))))
    add("no-achievement", kit.token(kit.credential(credentialSubject={"id": "urn:x"}, sub="urn:x")))
    add("type-string", kit.token(kit.credential(type="VerifiableCredential")))

    # status lists
    add(
        "status-malformed-index",
        kit.token(
            kit.credential(
                credentialStatus={**credential["credentialStatus"], "statusListIndex": "01"}
            )
        ),
    )
    add(
        "status-size-zero",
        kit.token(
            kit.credential(credentialStatus={**credential["credentialStatus"], "statusSize": 0})
        ),
    )
    add("status-index-out-of-range", kit.token(kit.credential(index=900_000)))
    add("status-entry-unknown-type", kit.token(kit.credential(credentialStatus={"type": "Other"})))
    with_list(sign(kit.status_list_payload(), stranger, kid=kit.key.kid), "list-signed-by-stranger")
    with_list(other.status_list_token(), "list-of-other-issuer")
    with_list(kit.token(), "credential-as-list")
    bomb = kit.status_list_payload()
    bomb["credentialSubject"]["encodedList"] = "u" + b64url(gzip.compress(bytes(8 * 1024 * 1024)))
    with_list(bomb, "list-bomb")
    short = kit.status_list_payload(entries=1024, set_indices=set())
    with_list(short, "list-too-short")
    with_list(kit.status_list_payload(validUntil="2026-11-01T00:00:00Z"), "list-expired")
    with_list(kit.status_list_payload(purpose="suspension"), "list-other-purpose")
    not_gzip = kit.status_list_payload()
    not_gzip["credentialSubject"]["encodedList"] = "u" + b64url(b"not gzip at all, really not")
    with_list(not_gzip, "list-not-gzip")
    trailing = kit.status_list_payload()
    raw = gzip.compress(bytes(16384), mtime=0) + gzip.compress(b"", mtime=0)
    trailing["credentialSubject"]["encodedList"] = "u" + b64url(raw)
    with_list(trailing, "list-two-gzip-members")
    add("list-unavailable", valid, {**docs, f"{base}/status/1": (503, "")})
    add("list-not-published", valid, {k: v for k, v in docs.items() if k != f"{base}/status/1"})
    add(
        "twin-not-published",
        valid,
        {k: v for k, v in docs.items() if not k.endswith("/suspension")},
    )
    add("twin-unavailable", valid, {**docs, f"{base}/status/1/suspension": (500, "")})
    for n, tail in enumerate(
        ["/status/../status/1", "/status/%2e%2e/1", "/status/1%2f..", "/x\\..\\status/1"]
    ):
        entry = {**credential["credentialStatus"], "statusListCredential": base + tail}
        add(f"list-url-escape-{n}", kit.token(kit.credential(credentialStatus=entry)))
    entry = {
        **credential["credentialStatus"],
        "statusListCredential": "https://stranger.test/status/1",
    }
    add("list-url-untrusted", kit.token(kit.credential(credentialStatus=entry)))
    return cases


def packed_mutation_cases() -> list[Case]:
    """Damaged and hostile packed links: truncated, altered, not canonical, not ours."""
    kit = IssuerKit()
    docs = published(
        kit.base, kit.jwks, **{f"{kit.base}/status/1": (200, kit.status_list_token(1))}
    )
    packed = pack_credential(kit.token())
    rng = random.Random(15)
    texts = {
        "packed-one-digit": "1",
        "packed-version-3": "3" + packed[1:],
        "packed-version-1-of-v2-digits": "1" + packed[1:],
        "packed-leading-zero": "10" + packed[1:],
        "packed-too-long": "1" * 7_090,
        "packed-form-9": "1" + str(int.from_bytes(b"\x09" + bytes(120), "big")),
        "packed-truncated": packed[:-12],
        "packed-short-fixed": "1" + str(int.from_bytes(b"\x01" + bytes(40), "big")),
        "packed-generic-short": "1" + str(int.from_bytes(b"\x03\xff\xff" + bytes(5), "big")),
        "packed-link-no-digits": f"{kit.base}/c#",
        "packed-link-letters": f"{kit.base}/c#12ab",
    }
    for n in range(24):
        position = rng.randrange(1, len(packed))
        digit = str((int(packed[position]) + rng.randrange(1, 10)) % 10)
        texts[f"packed-altered-{n}"] = packed[:position] + digit + packed[position + 1 :]
    return [Case(name, text, docs, [kit.base]) for name, text in texts.items()]


def require_node() -> None:
    if shutil.which("node"):
        return
    if os.environ.get("CI"):
        pytest.fail("CI must run the in-page verifier's tests: node is not installed")
    pytest.skip("node (Node.js 20 or later) is not installed")


def zlib_streams(seed: int = 28) -> list[tuple[bytes, bool]]:
    """(stream, is GZIP): raw DEFLATE streams zlib wrote with the QR packing dictionary at
    every level and strategy, GZIP members, and damaged copies of both."""
    rng = random.Random(seed)
    strategies = (
        zlib.Z_DEFAULT_STRATEGY,
        zlib.Z_FILTERED,
        zlib.Z_HUFFMAN_ONLY,
        zlib.Z_RLE,
        zlib.Z_FIXED,
    )
    streams: list[tuple[bytes, bool]] = []
    for n in range(120):
        start = rng.randrange(len(DICTIONARY))
        text = DICTIONARY[start : start + rng.randrange(1, 600)] + rng.randbytes(
            rng.randrange(0, 64)
        )
        text = text * rng.randrange(1, 40)
        compressor = zlib.compressobj(
            n % 10, zlib.DEFLATED, -15, 9, strategies[n % len(strategies)], DICTIONARY
        )
        streams.append((compressor.compress(text) + compressor.flush(), False))
        bits = bytearray(rng.randrange(1, 40_000))
        for _ in range(rng.randrange(0, 50)):
            bits[rng.randrange(len(bits))] = rng.randrange(256)
        streams.append((gzip.compress(bytes(bits), compresslevel=n % 10, mtime=0), True))
    damaged = []
    for stream, is_gzip in streams:
        data = bytearray(stream)
        kind = rng.randrange(4)
        if kind == 0:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del data[rng.randrange(len(data)) :]
        elif kind == 2:
            data.append(rng.randrange(256))
        else:
            data[rng.randrange(len(data))] = rng.randrange(256)
        damaged.append((bytes(data), is_gzip))
    return streams + damaged + [(gzip.compress(bytes(3 * 1024 * 1024)), True)]


def zlib_answer(data: bytes, is_gzip: bool) -> bytes | None:
    """What the Python verifier makes of a stream (verifier/qr_packing.py, status_list.py)."""
    if is_gzip:
        try:
            return decode_encoded_list("u" + b64url(data))
        except StatusError:
            return None
    try:
        return _inflate(data)
    except LocatorError:
        return None


def javascript_inflate(streams: list[tuple[bytes, bool]]) -> list[bytes | None]:
    request = {
        "static": str(STATIC),
        "dictionaries": _dictionaries(),
        "version": VERSION,
        "streams": [{"data": base64.b64encode(d).decode(), "gzip": g} for d, g in streams],
    }
    completed = subprocess.run(
        ["node", str(RUNNER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return [None if a is None else base64.b64decode(a) for a in json.loads(completed.stdout)]


def all_cases() -> list[Case]:
    return qr_vector_cases() + w3c_cases() + kit_cases() + packed_mutation_cases()
