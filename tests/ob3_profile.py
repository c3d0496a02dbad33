"""The Open Badges 3.0 rules a credential can be checked against offline.

Sources, each rule citing its own:

- the 1EdTech JSON schema (vendored, ``tests/vectors/schemas/``), with the VC 2.0 schema;
- OB 3.0 integrity.md "JSON Web Token Proof Format": claims ``iss``/``jti``/``nbf``/``sub``
  (and ``exp`` with ``validUntil``) equal to their credential fields; JOSE headers limited
  to ``alg``, ``kid``, ``jwk``, ``typ``;
- what the official 1EdTech validator (digital-credentials-public-validator,
  ``inspector-vc/.../probe/ExternalProofProbe.java`` at 38254719) applies to a JWT proof:
  ``alg`` is ``RS256`` or ``ES256``; the key is the ``jwk`` header or, when ``kid`` is
  present (it wins), what dereferencing ``kid`` answers: an HTTP(S) URL is fetched, a value
  without a scheme is resolved as a DID (and fails for an issuer that is not a DID); the
  JWK's ``kty`` is ``RSA`` or ``EC`` with ``crv`` ``P-256``. ``typ`` is not checked.

``dereference`` is how a URL is fetched (the test app's client): no network.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from jwcrypto import jwk, jws

from tests.issuer.helpers import schema

VALIDATOR_ALGORITHMS = frozenset({"RS256", "ES256"})
OB_HEADER_PARAMETERS = frozenset({"alg", "kid", "jwk", "typ"})

Dereference = Callable[[str], dict[str, Any] | None]


def schema_problems(payload: dict[str, Any]) -> list[str]:
    """Errors of the OB 3.0 (2019-09) and VC 2.0 (2020-12) JSON schemas."""
    ob = jsonschema.Draft201909Validator(schema("ob"))
    vc = jsonschema.Draft202012Validator(schema("vc"))
    return [f"ob schema: {e.message}" for e in ob.iter_errors(payload)] + [
        f"vc schema: {e.message}" for e in vc.iter_errors(payload)
    ]


def _numeric(value: str) -> int:
    return int(dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def claim_problems(payload: dict[str, Any]) -> list[str]:
    """OB 3.0 JWT claims: present, and equal to the credential fields they repeat."""
    issuer = payload["issuer"]
    expected: dict[str, object] = {
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": payload["id"],
        "nbf": _numeric(payload["validFrom"]),
    }
    subject_id = payload["credentialSubject"].get("id")
    if subject_id is not None:
        expected["sub"] = subject_id
    if "validUntil" in payload:
        expected["exp"] = _numeric(payload["validUntil"])
    return [
        f"{claim}: {payload.get(claim)!r} != {value!r}"
        for claim, value in expected.items()
        if payload.get(claim) != value
    ]


def header_problems(header: dict[str, Any]) -> list[str]:
    """OB 3.0's header rules and the validator's ``alg`` rule (``typ`` aside: decision 0002)."""
    problems = []
    if header.get("alg") not in VALIDATOR_ALGORITHMS:
        problems.append(f"alg {header.get('alg')!r} is neither RS256 nor ES256")
    if "kid" not in header and "jwk" not in header:
        problems.append("neither kid nor jwk")
    extra = set(header) - OB_HEADER_PARAMETERS
    if extra:
        problems.append(f"header parameters OB does not allow: {sorted(extra)}")
    return problems


def validator_key(header: dict[str, Any], dereference: Dereference) -> dict[str, Any]:
    """The JWK the validator would verify with; ``ValueError`` where it would give up."""
    kid = header.get("kid")
    if kid is None:
        key = header.get("jwk")
        if not isinstance(key, dict):
            raise ValueError("no key")
        return key
    if urlsplit(kid).scheme not in ("http", "https"):
        # No scheme: resolved as a DID (kid as a hint only for DID issuers), which an
        # https issuer is not.
        raise ValueError(f"kid {kid!r} is not a URL the validator can dereference")
    found = dereference(kid)
    if found is None:
        raise ValueError(f"kid {kid!r} does not dereference")
    if found.get("kty") != "EC" or found.get("crv") != "P-256":
        raise ValueError("the dereferenced JWK is not an EC P-256 key")
    return found


def verify_as_the_validator(token: str, dereference: Dereference) -> dict[str, Any]:
    """Header rules, key by ``kid``/``jwk``, signature (jwcrypto): the payload, or raise."""
    signed = jws.JWS()
    signed.deserialize(token)
    header = signed.jose_header
    problems = header_problems(header)
    if problems:
        raise ValueError("; ".join(problems))
    key = jwk.JWK(**validator_key(header, dereference))
    signed.verify(key, alg=header["alg"])
    payload: dict[str, Any] = json.loads(signed.payload)
    return payload
