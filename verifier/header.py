"""The protected header of a credential or status-list JWS, checked before any key is used.

Rules, in order (docs/errors.md lists the codes):

- ``alg`` exactly one of ``ALLOWED_ALGORITHMS`` (case-sensitive allowlist, RFC 8725 §3.1);
  ``none``, ``HS*``, ``RS*``, ``ES384``... are refused. The binding of ``alg`` to the key's
  type is checked once the key is resolved (``verifier.sources.keys.check_key_binding``).
- ``crit`` present, even empty, is refused: we understand no extensions (RFC 7515 §4.1.11).
- ``jku``, ``x5u`` and ``x5c`` are refused outright: keys come only from the trusted issuer's
  published JWKS, and a token naming its own key source is an attack or another trust model
  (RFC 8725 §3.10). An inline ``jwk`` is tolerated only if it is the very key the issuer
  publishes under ``kid`` (standards C11); it is never used to verify.
- ``typ``: ``vc+jwt`` (case-insensitive, ``application/`` prefix allowed). ``JWT`` or no
  ``typ`` only when the payload claims to be an Open Badges credential (OB 3.0 JWT proof
  format says ``typ``, if present, MUST be ``JWT``; standards C2). Presentations and
  SD-JWT types are reported as unsupported; anything else is a wrong ``typ``.
- ``kid`` present and shaped like a key id: a bare id (``[A-Za-z0-9_-]``, e.g. an RFC 7638
  thumbprint) or an absolute URI without spaces, quotes, backslashes or ``..``. It is then
  looked up by exact match only (RFC 8725 §3.10), except that the issuer's own key URL
  ``<issuer>/keys/<id>`` names its key ``<id>`` (``verifier.urls.published_key_id``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from verifier.errors import CredentialErrorCode, HeaderError
from verifier.format import (
    ACHIEVEMENT_CREDENTIAL,
    ALLOWED_ALGORITHMS,
    OPEN_BADGE_CREDENTIAL,
    VC_JWT_TYP,
)

FORBIDDEN_KEY_PARAMETERS: Final = ("jku", "x5u", "x5c")
UNSUPPORTED_TYPES: Final = frozenset(
    {"vp+jwt", "vc+sd-jwt", "vp+sd-jwt", "dc+sd-jwt", "vc+cose", "vp+cose", "sd-jwt"}
)

_BARE_KID = re.compile(r"[A-Za-z0-9_\-]{1,128}")
_URI_KID = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]{1,500}")


@dataclass(frozen=True)
class CheckedHeader:
    """What the header check learned: the algorithm, key id and normalised ``typ``."""

    algorithm: str
    kid: str
    typ: str | None


def normalise_typ(value: str) -> str:
    """``typ`` compared as a media type: case-insensitive, ``application/`` optional."""
    lowered = value.lower()
    return lowered.removeprefix("application/")


def is_open_badge(payload: dict[str, Any]) -> bool:
    """True when the (unverified) payload's ``type`` names an Open Badges credential."""
    types = payload.get("type")
    names = types if isinstance(types, list) else [types]
    return OPEN_BADGE_CREDENTIAL in names or ACHIEVEMENT_CREDENTIAL in names


def check_kid_shape(kid: object) -> str:
    """Return ``kid`` if it is shaped like a key id, else raise ``HeaderError``."""
    if kid is None:
        raise HeaderError("header has no kid", code=CredentialErrorCode.MISSING_KID)
    if not isinstance(kid, str):
        raise HeaderError("kid is not a string", code=CredentialErrorCode.INVALID_KID)
    if ".." in kid or not (_BARE_KID.fullmatch(kid) or _URI_KID.fullmatch(kid)):
        raise HeaderError("kid is not shaped like a key id", code=CredentialErrorCode.INVALID_KID)
    return kid


def _check_typ(
    header: dict[str, Any], payload: dict[str, Any], *, allow_ob_jwt: bool
) -> str | None:
    raw = header.get("typ")
    if raw is None:
        if allow_ob_jwt and is_open_badge(payload):
            return None
        raise HeaderError("header has no typ", code=CredentialErrorCode.WRONG_TYP)
    if not isinstance(raw, str):
        raise HeaderError("typ is not a string", code=CredentialErrorCode.WRONG_TYP)
    typ = normalise_typ(raw)
    if typ == VC_JWT_TYP:
        return typ
    if typ == "jwt" and allow_ob_jwt and (is_open_badge(payload) or "vc" in payload):
        return typ
    if typ in UNSUPPORTED_TYPES:
        raise HeaderError(
            "presentations and SD-JWT are not supported",
            code=CredentialErrorCode.UNSUPPORTED_TOKEN_TYPE,
        )
    raise HeaderError("typ is not vc+jwt", code=CredentialErrorCode.WRONG_TYP)


def check_header(
    header: dict[str, Any], payload: dict[str, Any], *, allow_ob_jwt: bool = True
) -> CheckedHeader:
    """Check the protected header of a credential JWS (rules in the module docstring).

    ``allow_ob_jwt=False`` is used for status lists, which we always require as ``vc+jwt``.
    """
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise HeaderError(
            "algorithm is not on the allowlist", code=CredentialErrorCode.UNSUPPORTED_ALGORITHM
        )
    if "crit" in header:
        raise HeaderError(
            "critical header extensions are not supported",
            code=CredentialErrorCode.UNSUPPORTED_CRITICAL_HEADER,
        )
    for name in FORBIDDEN_KEY_PARAMETERS:
        if name in header:
            raise HeaderError(
                "header names its own key source",
                code=CredentialErrorCode.FORBIDDEN_HEADER_PARAMETER,
            )
    if "jwk" in header and not isinstance(header["jwk"], dict):
        raise HeaderError(
            "inline jwk is not an object", code=CredentialErrorCode.FORBIDDEN_HEADER_PARAMETER
        )
    cty = header.get("cty")
    if isinstance(cty, str) and normalise_typ(cty) == "jwt":
        raise HeaderError(
            "nested JWTs are not supported", code=CredentialErrorCode.UNSUPPORTED_TOKEN_TYPE
        )
    typ = _check_typ(header, payload, allow_ob_jwt=allow_ob_jwt)
    kid = check_kid_shape(header.get("kid"))
    return CheckedHeader(algorithm=alg, kid=kid, typ=typ)
