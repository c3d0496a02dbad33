"""A ``Signer``: compact JWS (RFC 7515) with one private key, ES256 or EdDSA."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from verifier.encoding import b64url_encode
from verifier.format import VC_JWT_TYP

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class SignedJws(NamedTuple):
    """A compact JWS and the exact bytes its three parts encode."""

    token: str
    header: bytes
    payload: bytes
    signature: bytes


@dataclass(frozen=True)
class Signer:
    """Signs compact JWS with one key. ``repr`` shows the ``kid`` only.

    ``kid`` is the key's thumbprint, its id everywhere; ``header_kid``, when set, is what the
    header names instead (the key's URL: docs/decisions/0054-open-badges-profile.md).
    """

    kid: str
    algorithm: str
    private_key: PrivateKey
    header_kid: str | None = None

    def __repr__(self) -> str:
        return f"Signer(kid={self.kid!r}, algorithm={self.algorithm!r})"

    def sign(self, payload: dict[str, Any], *, typ: str = VC_JWT_TYP) -> str:
        """A compact JWS (RFC 7515 §7.1) over ``payload``, header ``alg``, ``kid``, ``typ``.

        The payload is UTF-8 JSON without ASCII escapes: Chinese text costs 3 bytes a
        character instead of 6, which keeps tokens (and QR codes) small.
        """
        return self.sign_parts(payload, typ=typ).token

    def sign_parts(self, payload: dict[str, Any], *, typ: str = VC_JWT_TYP) -> SignedJws:
        """``sign``, also giving the exact header, payload and signature bytes it encodes."""
        header, encoded_header = _header(self.algorithm, self.header_kid or self.kid, typ)
        body = orjson.dumps(payload)
        signing_input = f"{encoded_header}.{b64url_encode(body)}"
        signature = self._signature(signing_input.encode("ascii"))
        return SignedJws(f"{signing_input}.{b64url_encode(signature)}", header, body, signature)

    def sign_with_header(self, payload: dict[str, Any], header: dict[str, Any]) -> str:
        """A compact JWS whose protected header is ``alg``, ``kid`` and the members of
        ``header`` (``typ``, ``x5c``): for documents other than credentials, such as the
        signed request object of a presentation request."""
        protected = {**header, "alg": self.algorithm, "kid": self.kid}
        encoded = b64url_encode(json.dumps(protected, separators=(",", ":")).encode("ascii"))
        signing_input = f"{encoded}.{b64url_encode(orjson.dumps(payload))}"
        signature = self._signature(signing_input.encode("ascii"))
        return f"{signing_input}.{b64url_encode(signature)}"

    def _signature(self, data: bytes) -> bytes:
        """ES256: ECDSA P-256/SHA-256 as raw ``r || s``, 32 bytes each (RFC 7518 §3.4), not
        DER; EdDSA: the 64-byte Ed25519 signature (RFC 8037 §3.1)."""
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self.private_key.sign(data, _ECDSA_SHA256))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.private_key.sign(data)


_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


@functools.lru_cache(maxsize=16)
def _header(algorithm: str, kid: str, typ: str) -> tuple[bytes, str]:
    """The protected header's JSON bytes and their base64url."""
    header = json.dumps({"alg": algorithm, "kid": kid, "typ": typ}, separators=(",", ":"))
    return header.encode("ascii"), b64url_encode(header.encode("ascii"))
