"""Test kit for the verifier: an issuer identity with fresh keys, credentials and status lists.

Keys are generated per test session (never read from ``keys/``). Tokens are signed with PyJWT
here; the interop test signs with jwcrypto instead.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from verifier.jwk import jwk_from_public_key
from verifier.sources.fetch import build_http_client
from verifier.sources.keys import StaticKeyResolver
from verifier.sources.status_lists import CallableStatusSource, StatusListNotPublishedError
from verifier.verification import Verifier

BASE = "https://issuer.test"
NOW = dt.datetime(2026, 11, 27, 12, 0, 0, tzinfo=dt.UTC)
LIST_ENTRIES = 131_072
STATUS_INDEX = 94_567


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_list(
    set_indices: set[int] | frozenset[int] = frozenset(), entries: int = LIST_ENTRIES
) -> str:
    """``u`` + base64url(GZIP(bitstring)), index 0 = most significant bit of byte 0."""
    bits = bytearray(entries // 8)
    for index in set_indices:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + b64url(gzip.compress(bytes(bits), mtime=0))


@dataclass
class SigningKey:
    private: Any
    algorithm: str

    @property
    def jwk(self) -> dict[str, str]:
        return jwk_from_public_key(self.private.public_key())

    @property
    def kid(self) -> str:
        return self.jwk["kid"]


def new_es256() -> SigningKey:
    return SigningKey(ec.generate_private_key(ec.SECP256R1()), "ES256")


def new_ed25519() -> SigningKey:
    return SigningKey(ed25519.Ed25519PrivateKey.generate(), "EdDSA")


def sign(payload: dict[str, Any], key: SigningKey, **header: Any) -> str:
    """A compact JWS with ``alg``/``kid``/``typ`` defaults that ``header`` may override or drop."""
    fields: dict[str, Any] = {"kid": key.kid, "typ": "vc+jwt"}
    fields.update(header)
    fields = {k: v for k, v in fields.items() if v is not None}
    return jwt.encode(payload, key.private, algorithm=key.algorithm, headers=fields)


def sign_raw(
    header: dict[str, Any], payload: dict[str, Any] | bytes, key: SigningKey | None
) -> str:
    """A compact JWS with an exact header (for attacks PyJWT would refuse to produce)."""
    head = b64url(json.dumps(header, separators=(",", ":")).encode())
    body = (
        payload
        if isinstance(payload, bytes)
        else json.dumps(payload, separators=(",", ":")).encode()
    )
    signing_input = f"{head}.{b64url(body)}".encode()
    if key is None:
        return signing_input.decode() + "."
    algorithm = jwt.get_algorithm_by_name(key.algorithm)
    return f"{signing_input.decode()}.{b64url(algorithm.sign(signing_input, key.private))}"


@dataclass
class IssuerKit:
    """One issuer: base URL, keys, a status list, and helpers to sign what it publishes."""

    base: str = BASE
    key: SigningKey = field(default_factory=new_es256)
    ed_key: SigningKey = field(default_factory=new_ed25519)
    revoked: set[int] = field(default_factory=set)
    suspended: set[int] = field(default_factory=set)
    retired: list[SigningKey] = field(default_factory=list)

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.jwk, self.ed_key.jwk, *(k.jwk for k in self.retired)]}

    def credential(
        self,
        *,
        valid_from: dt.datetime | None = None,
        valid_until: dt.datetime | None = None,
        index: int = STATUS_INDEX,
        list_no: int = 1,
        **overrides: Any,
    ) -> dict[str, Any]:
        valid_from = valid_from or NOW - dt.timedelta(days=30)
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        holder = f"urn:uuid:{uuid.uuid4()}"
        payload: dict[str, Any] = {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ],
            "id": credential_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {
                "id": self.base,
                "type": ["Profile"],
                "name": "稀土集团 / Rare Earth Group",
                "url": self.base,
            },
            "validFrom": iso(valid_from),
            "name": "稀土冶炼工（高级） / Rare-earth smelter (senior)",
            "credentialSubject": {
                "id": holder,
                "type": ["AchievementSubject"],
                "identifier": [
                    {
                        "type": "IdentityObject",
                        "identityType": "name",
                        "hashed": False,
                        "identityHash": "张伟",
                    },
                    {
                        "type": "IdentityObject",
                        "identityType": "identifier",
                        "hashed": False,
                        "identityHash": "E10234",
                    },
                ],
                "achievement": {
                    "id": f"{self.base}/achievements/6-02-06-03-3",
                    "type": ["Achievement"],
                    "achievementType": "Certification",
                    "name": "稀土冶炼工 三级 / Rare-earth smelter, level 3",
                    "description": "National occupational standard, senior level.",
                    "criteria": {"narrative": "Passed the theory and practical exams."},
                    "humanCode": "6-02-06-03",
                },
                "source": {
                    "id": f"{self.base}/units/U01",
                    "type": ["Profile"],
                    "name": "包头冶炼厂 / Baotou Smelter",
                },
                "activityEndDate": "2026-11-20T00:00:00Z",
            },
            "credentialStatus": {
                "id": f"{self.base}/status/{list_no}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(index),
                "statusListCredential": f"{self.base}/status/{list_no}",
            },
            "iss": self.base,
            "jti": credential_id,
            "sub": holder,
            "nbf": int(valid_from.timestamp()),
            "iat": int(NOW.timestamp()) - 60,
        }
        if valid_until is not None:
            payload["validUntil"] = iso(valid_until)
            payload["exp"] = int(valid_until.timestamp())
        payload.update(overrides)
        return payload

    def token(
        self, payload: dict[str, Any] | None = None, *, key: SigningKey | None = None, **header: Any
    ) -> str:
        return sign(
            payload if payload is not None else self.credential(), key or self.key, **header
        )

    def status_list_payload(
        self,
        list_no: int = 1,
        *,
        purpose: str = "revocation",
        set_indices: set[int] | None = None,
        entries: int = LIST_ENTRIES,
        ttl: int = 300_000,
        **overrides: Any,
    ) -> dict[str, Any]:
        indices = (
            set_indices
            if set_indices is not None
            else (self.revoked if purpose == "revocation" else self.suspended)
        )
        url = f"{self.base}/status/{list_no}"
        payload: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.base,
            "validFrom": iso(NOW - dt.timedelta(days=1)),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": purpose,
                "encodedList": encode_list(indices, entries),
                "ttl": ttl,
            },
            "iss": self.base,
            "jti": url,
            "nbf": int((NOW - dt.timedelta(days=1)).timestamp()),
            "iat": int(NOW.timestamp()),
        }
        payload.update(overrides)
        return payload

    def status_list_token(self, list_no: int = 1, **kwargs: Any) -> str:
        return sign(self.status_list_payload(list_no, **kwargs), self.key)

    def status_list_for_url(self, url: str) -> str:
        if url.endswith("/suspension"):  # the kit's issuer publishes no suspension twin
            raise StatusListNotPublishedError("no twin")
        list_no = int(url.rsplit("/", 1)[1])
        return self.status_list_token(list_no)

    def verifier(
        self, *, status: bool = True, clock_now: dt.datetime = NOW, **kwargs: Any
    ) -> Verifier:
        return Verifier(
            trusted_issuers=[self.base],
            key_resolver=StaticKeyResolver.from_jwks(self.base, self.jwks),
            status_source=CallableStatusSource(self.status_list_for_url, clock=lambda: clock_now)
            if status
            else None,
            clock=lambda: clock_now,
            **kwargs,
        )


class FakeIssuerServer:
    """Serves an IssuerKit's published documents, counting requests per path."""

    def __init__(self, kit: IssuerKit) -> None:
        self.kit = kit
        self.requests: list[str] = []
        self.metadata_issuer = kit.base
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        if self.down:
            return httpx.Response(503)
        path = request.url.path
        if path == "/.well-known/jwt-vc-issuer":
            return httpx.Response(
                200,
                json={
                    "issuer": self.metadata_issuer,
                    "jwks_uri": f"{self.kit.base}/.well-known/jwks.json",
                },
            )
        if path == "/.well-known/jwks.json":
            return httpx.Response(200, json=self.kit.jwks)
        if path.startswith("/status/") and path.endswith("/suspension"):
            return httpx.Response(404)  # this issuer publishes no suspension twin
        if path.startswith("/status/"):
            assert request.headers["accept"] == "application/vc+jwt"
            token = self.kit.status_list_token(int(path.rsplit("/", 1)[1]))
            return httpx.Response(200, text=token, headers={"content-type": "application/vc+jwt"})
        if path.startswith("/v/"):
            assert request.headers["accept"] == "application/vc+jwt"
            return httpx.Response(200, text=self.kit.token())
        return httpx.Response(404)

    def client(self) -> httpx.Client:
        return build_http_client(transport=httpx.MockTransport(self.handler))
