"""Verify an SD-JWT VC presentation (``dc+sd-jwt`` with disclosures and a KB-JWT).

RFC 9901 §7 and draft-ietf-oauth-sd-jwt-vc, in this order; the first failure ends the run:

1. split ``<JWT>~<disclosure>~…~<KB-JWT>``; every disclosure non-empty (§4);
2. the issuer-signed JWT: ``typ`` exactly ``dc+sd-jwt``, ``alg`` on the allowlist, a ``kid``,
   no header naming its own key (``jwk``, ``jku``, ``x5u``, ``x5c``: RFC 8725 §3.10), ``iss``
   a trusted issuer, the key from that issuer's *published* keys (``KeyResolver``), the
   signature;
3. ``_sd_alg`` ``sha-256``; every disclosure's digest found exactly once, no digest twice,
   no disclosure unreferenced, no disclosed name ``_sd``/``...`` or already present, none of
   the claims SD-JWT VC forbids disclosing (§7.1 steps 3–5);
4. ``vct`` (the expected one, when given), ``nbf``/``exp`` with the clock skew;
5. the KB-JWT (§7.3): required (whether it is does not depend on what was sent), ``typ``
   ``kb+jwt``, signed with the ``cnf.jwk`` key under its one algorithm, ``nonce`` and
   ``aud`` equal to the caller's, ``iat`` fresh, ``sd_hash`` over the presentation;
6. the status through the Token Status List (``verifier.token_status_list``).

``verify_sd_jwt_vc`` never raises for any input: it answers an ``SdJwtVcVerification`` with a
stable ``reason`` code (a ``CredentialErrorCode`` or ``PresentationErrorCode`` value).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from verifier.encoding import b64url_decode
from verifier.errors import CredentialError, CredentialErrorCode, MalformedError
from verifier.format import ALLOWED_ALGORITHMS
from verifier.header import check_kid_shape
from verifier.jwk import algorithm_for_jwk, public_key_from_jwk
from verifier.jws import UnverifiedJws, decode_unverified_jws, verify_jws_signature
from verifier.sd_jwt import (
    ARRAY_DIGEST_KEY,
    KB_JWT_TYP,
    NEVER_DISCLOSABLE,
    SD_ALG,
    SD_ALG_KEY,
    SD_JWT_VC_TYP,
    SD_KEY,
    SEPARATOR,
    disclosure_digest,
    sd_hash,
)
from verifier.sources.keys import KeyResolver, check_key_binding
from verifier.sources.status_lists import StatusSource
from verifier.strict_json import loads_strict
from verifier.token_status_list import TokenStatus, check_token_status
from verifier.trust import TrustedIssuers
from verifier.validity import DEFAULT_CLOCK_SKEW, check_validity, from_numeric_date

log = logging.getLogger(__name__)

MAX_PRESENTATION_CHARS: Final = 64 * 1024
MAX_DISCLOSURES: Final = 64
DEFAULT_KB_MAX_AGE: Final = dt.timedelta(minutes=5)
_FORBIDDEN_HEADER: Final = ("jwk", "jku", "x5u", "x5c", "crit")
_HIDDEN_CLAIMS: Final = frozenset({SD_KEY, SD_ALG_KEY, "cnf", "status"})


class PresentationErrorCode(StrEnum):
    """Reasons only an SD-JWT VC presentation can fail for (public API, docs/sd-jwt-vc.md);
    other failures reuse the ``CredentialErrorCode`` of the same check."""

    MALFORMED_PRESENTATION = "malformed_presentation"
    INVALID_DISCLOSURE = "invalid_disclosure"
    DUPLICATE_DIGEST = "duplicate_digest"
    UNREFERENCED_DISCLOSURE = "unreferenced_disclosure"
    UNSUPPORTED_SD_ALG = "unsupported_sd_alg"
    WRONG_VCT = "wrong_vct"
    MISSING_CNF = "missing_cnf"
    KEY_BINDING_MISSING = "key_binding_missing"
    KEY_BINDING_INVALID = "key_binding_invalid"
    NONCE_MISMATCH = "nonce_mismatch"
    AUDIENCE_MISMATCH = "audience_mismatch"
    KEY_BINDING_NOT_FRESH = "key_binding_not_fresh"
    SD_HASH_MISMATCH = "sd_hash_mismatch"
    REVOKED = "revoked"
    SUSPENDED = "suspended"


_Code = PresentationErrorCode


@dataclass(frozen=True)
class SdJwtVcVerification:
    """The outcome. ``claims`` and ``disclosed`` are filled once the issuer's signature,
    the disclosures and the key binding are checked (also when the credential turns out
    expired, revoked or suspended: they are genuine); empty otherwise."""

    verified: bool
    reason: str | None
    claims: dict[str, Any] = field(default_factory=dict)
    disclosed: frozenset[str] = frozenset()
    status: TokenStatus = TokenStatus.UNKNOWN
    issuer: str | None = None
    vct: str | None = None


class PresentationError(CredentialError):
    """A presentation refused for an SD-JWT-specific reason (``reason``)."""

    def __init__(self, message: str, reason: PresentationErrorCode) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class KeyBindingPolicy:
    """What the verifier asked of the holder: its ``nonce`` and ``aud``, and how old the
    KB-JWT's ``iat`` may be."""

    nonce: str
    audience: str
    max_age: dt.timedelta = DEFAULT_KB_MAX_AGE


def verify_sd_jwt_vc(
    unverified_presentation: str,
    *,
    trusted_issuers: TrustedIssuers | Iterable[str],
    key_resolver: KeyResolver,
    status_source: StatusSource | None,
    key_binding: KeyBindingPolicy | None,
    now: dt.datetime,
    expected_vct: str | None = None,
    clock_skew: dt.timedelta = DEFAULT_CLOCK_SKEW,
) -> SdJwtVcVerification:
    """Verify ``unverified_presentation``; never raises.

    ``key_binding`` ``None`` accepts only an SD-JWT without a KB-JWT (an issuance, as a
    wallet receives it); otherwise a KB-JWT is required and checked against the policy.
    ``status_source`` ``None`` leaves the status ``unknown`` without failing.
    """
    trusted = (
        trusted_issuers
        if isinstance(trusted_issuers, TrustedIssuers)
        else TrustedIssuers(trusted_issuers)
    )
    run = _Run()
    try:
        return _verify(
            unverified_presentation,
            run,
            trusted=trusted,
            keys=key_resolver,
            status_source=status_source,
            key_binding=key_binding,
            now=now,
            expected_vct=expected_vct,
            skew=clock_skew,
        )
    except PresentationError as exc:
        return run.refused(exc.reason.value)
    except CredentialError as exc:
        return run.refused(exc.code.value)
    except Exception:
        log.exception("SD-JWT VC verification failed unexpectedly")
        return run.refused(CredentialErrorCode.INTERNAL_ERROR.value)


class _Run:
    """What has been established so far, for the result of a run that stops early."""

    def __init__(self) -> None:
        self.claims: dict[str, Any] = {}
        self.disclosed: frozenset[str] = frozenset()
        self.issuer: str | None = None
        self.vct: str | None = None

    def refused(
        self, reason: str, status: TokenStatus = TokenStatus.UNKNOWN
    ) -> SdJwtVcVerification:
        return SdJwtVcVerification(
            verified=False,
            reason=reason,
            claims=self.claims,
            disclosed=self.disclosed,
            status=status,
            issuer=self.issuer,
            vct=self.vct,
        )


def _verify(
    text: str,
    run: _Run,
    *,
    trusted: TrustedIssuers,
    keys: KeyResolver,
    status_source: StatusSource | None,
    key_binding: KeyBindingPolicy | None,
    now: dt.datetime,
    expected_vct: str | None,
    skew: dt.timedelta,
) -> SdJwtVcVerification:
    if not isinstance(text, str) or len(text) > MAX_PRESENTATION_CHARS:
        raise _refuse("presentation too large", _Code.MALFORMED_PRESENTATION)
    presentation = text.strip()
    parts = presentation.split(SEPARATOR)
    if len(parts) < 2 or len(parts) > MAX_DISCLOSURES + 2:
        raise _refuse("not an SD-JWT", _Code.MALFORMED_PRESENTATION)
    issuer_jwt, disclosures, kb_jwt = parts[0], parts[1:-1], parts[-1]
    if any(not d for d in disclosures):
        raise _refuse("an empty disclosure", _Code.MALFORMED_PRESENTATION)

    jws = decode_unverified_jws(issuer_jwt)
    issuer_id = _check_issuer_signature(jws, trusted, keys)
    payload = jws.payload
    run.issuer = issuer_id
    processed, disclosed = _disclose(payload, disclosures)

    vct = processed.get("vct")
    if not isinstance(vct, str) or not vct:
        raise MalformedError("vct is missing", code=CredentialErrorCode.MISSING_PROPERTY)
    if expected_vct is not None and vct != expected_vct:
        raise _refuse("another credential type", _Code.WRONG_VCT)

    # Key binding before anything is reported: claims shown only once the holder is proven.
    if key_binding is None:
        if kb_jwt:
            raise _refuse(
                "a key binding was not asked for", PresentationErrorCode.KEY_BINDING_INVALID
            )
    else:
        if not kb_jwt:
            raise _refuse("no key binding JWT", _Code.KEY_BINDING_MISSING)
        signed_part = presentation[: len(presentation) - len(kb_jwt)]
        _check_key_binding(kb_jwt, processed.get("cnf"), signed_part, key_binding, now, skew)

    run.vct = vct
    run.claims = {k: v for k, v in processed.items() if k not in _HIDDEN_CLAIMS}
    run.disclosed = disclosed

    not_before = from_numeric_date(payload["nbf"], "nbf") if "nbf" in payload else None
    not_after = from_numeric_date(payload["exp"], "exp") if "exp" in payload else None
    check_validity(now=now, not_before=not_before, not_after=not_after, skew=skew)

    status = TokenStatus.UNKNOWN
    if status_source is not None and "status" in payload:
        try:
            outcome = check_token_status(
                payload["status"],
                issuer_id=issuer_id,
                source=status_source,
                keys=keys,
                now=now,
                skew=skew,
            )
        except MalformedError:
            raise MalformedError(
                "the status claim is malformed", code=CredentialErrorCode.MALFORMED_STATUS_ENTRY
            ) from None
        status = outcome.status
        if status is TokenStatus.REVOKED:
            return run.refused(PresentationErrorCode.REVOKED.value, status)
        if status is TokenStatus.SUSPENDED:
            return run.refused(PresentationErrorCode.SUSPENDED.value, status)
        if status is TokenStatus.UNKNOWN:
            return run.refused(CredentialErrorCode.STATUS_ERROR.value, status)
    return SdJwtVcVerification(
        verified=True,
        reason=None,
        claims=run.claims,
        disclosed=disclosed,
        status=status,
        issuer=issuer_id,
        vct=vct,
    )


def _refuse(message: str, reason: PresentationErrorCode) -> PresentationError:
    return PresentationError(message, reason)


def _check_issuer_signature(jws: UnverifiedJws, trusted: TrustedIssuers, keys: KeyResolver) -> str:
    """The issuer-signed JWT's header, issuer, key and signature (step 2): the issuer id."""
    header = jws.header
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise CredentialError(
            "algorithm is not on the allowlist", code=CredentialErrorCode.UNSUPPORTED_ALGORITHM
        )
    if header.get("typ") != SD_JWT_VC_TYP:
        raise CredentialError("typ is not dc+sd-jwt", code=CredentialErrorCode.WRONG_TYP)
    if any(name in header for name in _FORBIDDEN_HEADER):
        raise CredentialError(
            "the header names its own key", code=CredentialErrorCode.FORBIDDEN_HEADER_PARAMETER
        )
    kid = check_kid_shape(header.get("kid"))
    issuer_id = jws.payload.get("iss")
    if not isinstance(issuer_id, str) or not issuer_id:
        raise CredentialError("iss is missing", code=CredentialErrorCode.MISSING_ISSUER)
    if issuer_id not in trusted:
        raise CredentialError(
            "the issuer is not trusted", code=CredentialErrorCode.UNTRUSTED_ISSUER
        )
    key = keys.resolve_key(issuer_id, kid)
    check_key_binding(key, header, alg)
    verify_jws_signature(jws, key.public_key, key.algorithm)
    return issuer_id


def _decode_disclosure(disclosure: str) -> list[Any]:
    try:
        value = loads_strict(b64url_decode(disclosure))
    except CredentialError:
        raise _refuse(
            "a disclosure is not base64url JSON", PresentationErrorCode.INVALID_DISCLOSURE
        ) from None
    if not isinstance(value, list) or len(value) not in (2, 3) or not isinstance(value[0], str):
        raise _refuse(
            "a disclosure is not [salt, (name,) value]", PresentationErrorCode.INVALID_DISCLOSURE
        )
    if len(value) == 3 and not isinstance(value[1], str):
        raise _refuse(
            "a disclosure's claim name is not a string", PresentationErrorCode.INVALID_DISCLOSURE
        )
    return value


def _disclose(
    payload: dict[str, Any], disclosures: list[str]
) -> tuple[dict[str, Any], frozenset[str]]:
    """The payload with every disclosure put in place (RFC 9901 §7.1 steps 3–5)."""
    sd_alg = payload.get(SD_ALG_KEY, SD_ALG)
    if sd_alg != SD_ALG:
        raise _refuse("only sha-256 digests are accepted", _Code.UNSUPPORTED_SD_ALG)
    by_digest: dict[str, list[Any]] = {}
    for disclosure in disclosures:
        digest = disclosure_digest(disclosure)
        if digest in by_digest:
            raise _refuse("a disclosure is sent twice", _Code.DUPLICATE_DIGEST)
        by_digest[digest] = _decode_disclosure(disclosure)
    walk = _Walk(by_digest)
    processed = walk.object(payload, top=True)
    if walk.used != by_digest.keys():
        raise _refuse(
            "a disclosure is not referenced", PresentationErrorCode.UNREFERENCED_DISCLOSURE
        )
    return processed, frozenset(walk.names)


class _Walk:
    """One pass over the payload: digests replaced by what they disclose, each once."""

    def __init__(self, by_digest: dict[str, list[Any]]) -> None:
        self.by_digest = by_digest
        self.seen: set[str] = set()
        self.used: set[str] = set()
        self.names: set[str] = set()

    def _see(self, digest: object) -> list[Any] | None:
        if not isinstance(digest, str):
            raise _refuse("a digest is not a string", _Code.INVALID_DISCLOSURE)
        if digest in self.seen:
            raise _refuse("a digest appears twice", _Code.DUPLICATE_DIGEST)
        self.seen.add(digest)
        disclosure = self.by_digest.get(digest)
        if disclosure is not None:
            self.used.add(digest)
        return disclosure

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return self.object(value, top=False)
        if isinstance(value, list):
            return self.array(value)
        return value

    def object(self, obj: dict[str, Any], *, top: bool) -> dict[str, Any]:
        if not top and SD_ALG_KEY in obj:
            raise _refuse("_sd_alg below the top level", _Code.INVALID_DISCLOSURE)
        result = {k: self.value(v) for k, v in obj.items() if k not in (SD_KEY, SD_ALG_KEY)}
        digests = obj.get(SD_KEY, [])
        if not isinstance(digests, list):
            raise _refuse("_sd is not an array", _Code.INVALID_DISCLOSURE)
        for digest in digests:
            disclosure = self._see(digest)
            if disclosure is None:
                continue  # a decoy, or a claim the holder did not disclose
            if len(disclosure) != 3:
                raise _refuse(
                    "an array disclosure in _sd", PresentationErrorCode.INVALID_DISCLOSURE
                )
            _, name, claim = disclosure
            if name in (SD_KEY, ARRAY_DIGEST_KEY) or name in result:
                raise _refuse(
                    "a disclosed name is reserved or present",
                    PresentationErrorCode.INVALID_DISCLOSURE,
                )
            if top and name in NEVER_DISCLOSABLE:
                raise _refuse(
                    "a claim that may not be disclosed selectively",
                    PresentationErrorCode.INVALID_DISCLOSURE,
                )
            result[name] = self.value(claim)
            self.names.add(name)
        return result

    def array(self, items: list[Any]) -> list[Any]:
        result: list[Any] = []
        for item in items:
            if isinstance(item, dict) and ARRAY_DIGEST_KEY in item:
                if len(item) != 1:
                    raise _refuse("'...' with other keys", _Code.INVALID_DISCLOSURE)
                disclosure = self._see(item[ARRAY_DIGEST_KEY])
                if disclosure is None:
                    continue  # not disclosed: the element is dropped
                if len(disclosure) != 2:
                    raise _refuse(
                        "an object disclosure in an array", PresentationErrorCode.INVALID_DISCLOSURE
                    )
                result.append(self.value(disclosure[1]))
            else:
                result.append(self.value(item))
        return result


def _check_key_binding(
    kb_jwt: str,
    cnf: object,
    signed_part: str,
    policy: KeyBindingPolicy,
    now: dt.datetime,
    skew: dt.timedelta,
) -> None:
    """RFC 9901 §7.3: the KB-JWT, signed with the ``cnf`` key."""
    holder_jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(holder_jwk, dict):
        raise _refuse("the credential names no holder key", _Code.MISSING_CNF)
    try:
        holder_key = public_key_from_jwk(holder_jwk)
        holder_alg = algorithm_for_jwk(holder_jwk)
        kb = decode_unverified_jws(kb_jwt)
    except CredentialError:
        raise _refuse(
            "the key binding cannot be read", PresentationErrorCode.KEY_BINDING_INVALID
        ) from None
    header = kb.header
    if (
        header.get("typ") != KB_JWT_TYP
        or header.get("alg") != holder_alg
        or any(name in header for name in _FORBIDDEN_HEADER)
    ):
        raise _refuse(
            "the key binding header is refused", PresentationErrorCode.KEY_BINDING_INVALID
        )
    try:
        verify_jws_signature(kb, holder_key, holder_alg)
    except CredentialError:
        raise _refuse(
            "the key binding signature does not verify", PresentationErrorCode.KEY_BINDING_INVALID
        ) from None
    claims = kb.payload
    if claims.get("nonce") != policy.nonce:
        raise _refuse("another nonce", _Code.NONCE_MISMATCH)
    if claims.get("aud") != policy.audience:
        raise _refuse("another audience", _Code.AUDIENCE_MISMATCH)
    try:
        issued_at = from_numeric_date(claims.get("iat"), "iat")
    except CredentialError:
        raise _refuse(
            "the key binding has no iat", PresentationErrorCode.KEY_BINDING_INVALID
        ) from None
    if issued_at > now + skew or issued_at < now - policy.max_age - skew:
        raise _refuse("the key binding is not fresh", _Code.KEY_BINDING_NOT_FRESH)
    if claims.get("sd_hash") != sd_hash(signed_part):
        raise _refuse(
            "sd_hash does not cover this presentation", PresentationErrorCode.SD_HASH_MISMATCH
        )


@dataclass(frozen=True)
class SdJwtVcVerifier:
    """``verify_sd_jwt_vc`` with its sources configured once: trusted issuers, where keys
    and Token Status Lists come from (``status_source`` ``None``: status not checked), a
    clock."""

    trusted_issuers: TrustedIssuers
    key_resolver: KeyResolver
    status_source: StatusSource | None
    clock: Callable[[], dt.datetime]
    clock_skew: dt.timedelta = DEFAULT_CLOCK_SKEW

    def verify(
        self,
        unverified_presentation: str,
        *,
        key_binding: KeyBindingPolicy | None,
        expected_vct: str | None = None,
    ) -> SdJwtVcVerification:
        return verify_sd_jwt_vc(
            unverified_presentation,
            trusted_issuers=self.trusted_issuers,
            key_resolver=self.key_resolver,
            status_source=self.status_source,
            key_binding=key_binding,
            now=self.clock(),
            expected_vct=expected_vct,
            clock_skew=self.clock_skew,
        )
