"""The ``status`` check: Bitstring Status List v1.0 §3.2 for each ``BitstringStatusListEntry``.

For each entry: fetch the list through the ``StatusSource`` (failure: STATUS_RETRIEVAL_ERROR);
verify it as a ``vc+jwt`` signed by a published key of *the credential's issuer*, with
``issuer``/``iss`` equal to that issuer, ``type`` including ``BitstringStatusListCredential``,
``id`` (when present) equal to the entry's ``statusListCredential``, within its own validity
period, and a ``BitstringStatusList`` subject whose ``statusPurpose`` includes the entry's
(failure: STATUS_VERIFICATION_ERROR); decode ``encodedList``, require at least 131,072
entries (STATUS_LIST_LENGTH_ERROR) and the index in range (RANGE_ERROR); read the value.

A set ``revocation`` value means revoked, a set ``suspension`` value suspended (revoked wins).
For a revocation entry whose bit is clear, the list's suspension twin ``<list>/suspension``
is read the same way (docs/decisions/0008-suspension.md); an issuer that publishes none
(``StatusListNotPublishedError``) simply has no suspensions.
``refresh`` and ``message`` purposes do not change validity; entry types other than
``BitstringStatusListEntry`` are ignored as not understood (VC-JOSE-COSE §5.4) and said so
in the check's detail.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Final

from verifier.credential import is_url, issuer_id_of, types_of
from verifier.errors import (
    CredentialError,
    CredentialErrorCode,
    KeySourceError,
    StatusError,
    StatusRetrievalError,
    StatusVerificationError,
    ValidityError,
)
from verifier.format import (
    STATUS_LIST_CREDENTIAL,
    STATUS_LIST_ENTRY,
    STATUS_LIST_SUBJECT,
    STATUS_PURPOSE_REVOCATION,
    STATUS_PURPOSE_SUSPENSION,
    VC_V2_CONTEXT,
)
from verifier.header import check_header
from verifier.jws import decode_unverified_jws, verify_jws_signature
from verifier.result import CredentialStatus
from verifier.sources.keys import KeyResolver, check_key_binding
from verifier.sources.offline_cache import describe_age
from verifier.sources.status_lists import (
    StatusListNotPublishedError,
    StatusSource,
)
from verifier.status_list import (
    decode_encoded_list,
    parse_status_index,
    parse_status_size,
    read_status,
)
from verifier.urls import published_key_id, suspension_twin_url
from verifier.validity import check_validity, parse_date_time

MEMO_SIZE: Final = 32


@dataclass(frozen=True)
class StatusOutcome:
    """The status the lists give, a sentence about it, and the oldest list's fetch time."""

    status: CredentialStatus
    detail: str
    fetched_at: dt.datetime | None


@dataclass(frozen=True)
class _VerifiedList:
    kid: str
    key_thumbprint: str
    purposes: frozenset[str]
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    bitstring: bytes


class StatusChecker:
    """Runs the status check; remembers recently verified lists (by exact token) so a cached
    list is not re-inflated and re-verified on every request. A memo hit still re-resolves
    the key, so a key the issuer stops publishing stops vouching for its lists."""

    def __init__(self, status_source: StatusSource, key_resolver: KeyResolver) -> None:
        self._source = status_source
        self._one_reading: Callable[[], AbstractContextManager[object]] = getattr(
            status_source, "one_reading", nullcontext
        )
        self._keys = key_resolver
        self._memo: OrderedDict[tuple[str, str, str], _VerifiedList] = OrderedDict()
        self._lock = threading.Lock()

    def check(
        self, entries: list[dict[str, Any]], *, issuer_id: str, now: dt.datetime, skew: dt.timedelta
    ) -> StatusOutcome:
        """Check every entry; raise a ``StatusError`` subclass when status cannot be known."""
        with self._one_reading():
            return self._check(entries, issuer_id=issuer_id, now=now, skew=skew)

    def _check(
        self, entries: list[dict[str, Any]], *, issuer_id: str, now: dt.datetime, skew: dt.timedelta
    ) -> StatusOutcome:
        revoked = suspended = False
        ignored = 0
        oldest: dt.datetime | None = None
        for entry in entries:
            if entry.get("type") != STATUS_LIST_ENTRY:
                ignored += 1
                continue
            purpose, value, fetched_at = self._check_entry(
                entry, issuer_id=issuer_id, now=now, skew=skew
            )
            oldest = fetched_at if oldest is None else min(oldest, fetched_at)
            revoked = revoked or (purpose == STATUS_PURPOSE_REVOCATION and value != 0)
            suspended = suspended or (purpose == STATUS_PURPOSE_SUSPENSION and value != 0)
            if purpose == STATUS_PURPOSE_REVOCATION and value == 0:
                twin = self._check_twin(entry, issuer_id=issuer_id, now=now, skew=skew)
                if twin is not None:
                    oldest = min(oldest, twin[1])
                    suspended = suspended or twin[0] != 0
        note = (
            f"; {ignored} status entr{'y' if ignored == 1 else 'ies'} of unsupported type ignored"
            if ignored
            else ""
        )
        if revoked:
            return StatusOutcome(
                CredentialStatus.REVOKED, "the revocation bit is set" + note, oldest
            )
        if suspended:
            return StatusOutcome(
                CredentialStatus.SUSPENDED, "the suspension bit is set" + note, oldest
            )
        if oldest is None:
            return StatusOutcome(
                CredentialStatus.VALID, "the credential has no status list entry" + note, None
            )
        return StatusOutcome(CredentialStatus.VALID, "no status bit is set" + note, oldest)

    def _check_twin(
        self, entry: dict[str, Any], *, issuer_id: str, now: dt.datetime, skew: dt.timedelta
    ) -> tuple[int, dt.datetime] | None:
        """The suspension twin's value for a revocation entry, or ``None`` when the issuer
        publishes no twin (decision 0008: one OB-valid entry, suspension beside it)."""
        twin_url = suspension_twin_url(entry["statusListCredential"])
        twin_entry = {
            **entry,
            "id": f"{twin_url}#{entry.get('statusListIndex')}",
            "statusPurpose": STATUS_PURPOSE_SUSPENSION,
            "statusListCredential": twin_url,
        }
        try:
            _purpose, value, fetched_at = self._check_entry(
                twin_entry, issuer_id=issuer_id, now=now, skew=skew
            )
        except StatusListNotPublishedError:
            return None
        return value, fetched_at

    def _check_entry(
        self, entry: dict[str, Any], *, issuer_id: str, now: dt.datetime, skew: dt.timedelta
    ) -> tuple[str, int, dt.datetime]:
        purpose = entry.get("statusPurpose")
        url = entry.get("statusListCredential")
        if not isinstance(purpose, str) or not is_url(url) or not isinstance(url, str):
            raise StatusError(
                "status entry lacks statusPurpose or statusListCredential",
                code=CredentialErrorCode.MALFORMED_STATUS_ENTRY,
            )
        if entry.get("id") == url:
            raise StatusError(
                "status entry id must not be the list URL",
                code=CredentialErrorCode.MALFORMED_STATUS_ENTRY,
            )
        index = parse_status_index(entry.get("statusListIndex"))
        size = parse_status_size(entry.get("statusSize"))
        document = self._source.fetch_status_list(url)
        verified = self._verify_list(document.unverified_token, url=url, issuer_id=issuer_id)
        try:
            check_validity(
                now=now, not_before=verified.not_before, not_after=verified.not_after, skew=skew
            )
        except ValidityError:
            raise StatusVerificationError(
                "the status list, fetched"
                f" {describe_age(now - document.fetched_at)} ago, is outside its validity"
                " period: its status cannot be known now; try again later",
                cached_at=document.fetched_at,
            ) from None
        if purpose not in verified.purposes:
            raise StatusVerificationError("the status list serves another purpose")
        return (
            purpose,
            read_status(verified.bitstring, index, status_size=size),
            document.fetched_at,
        )

    def _verify_list(self, unverified_token: str, *, url: str, issuer_id: str) -> _VerifiedList:
        memo_key = (issuer_id, url, unverified_token)
        with self._lock:
            memo = self._memo.get(memo_key)
        try:
            if memo is not None:
                # These exact bytes verified before: only re-check that the key still vouches.
                key = self._keys.resolve_key(issuer_id, memo.kid)
                if key.thumbprint == memo.key_thumbprint:
                    return memo
            jws = decode_unverified_jws(unverified_token)
            header = check_header(jws.header, jws.payload, allow_ob_jwt=False)
            if (
                issuer_id_of(jws.payload) != issuer_id
                or jws.payload.get("iss", issuer_id) != issuer_id
            ):
                raise StatusVerificationError("the status list has another issuer")
            kid = published_key_id(issuer_id, header.kid)
            key = self._keys.resolve_key(issuer_id, kid)
            check_key_binding(key, jws.header, header.algorithm)
            verify_jws_signature(jws, key.public_key, key.algorithm)
            verified = _read_list(jws.payload, url=url, kid=kid, thumbprint=key.thumbprint)
        except KeySourceError as exc:
            raise StatusRetrievalError(
                f"the issuer's keys are unavailable: {exc}",
                cached_at=exc.cached_at,
                max_age=exc.max_age,
            ) from None
        except StatusError:
            raise
        except CredentialError as exc:
            raise StatusVerificationError(f"the status list did not verify ({exc.code})") from None
        with self._lock:
            self._memo[memo_key] = verified
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return verified


def _read_list(payload: dict[str, Any], *, url: str, kid: str, thumbprint: str) -> _VerifiedList:
    context = payload.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_V2_CONTEXT:
        raise StatusVerificationError("the status list is not a VC 2.0 credential")
    if STATUS_LIST_CREDENTIAL not in types_of(payload.get("type")):
        raise StatusVerificationError("the document is not a BitstringStatusListCredential")
    if "id" in payload and payload["id"] != url:
        raise StatusVerificationError("the status list's id is not the URL the credential names")
    subject = payload.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != STATUS_LIST_SUBJECT:
        raise StatusVerificationError("the status list subject is not a BitstringStatusList")
    raw_purposes = subject.get("statusPurpose")
    purposes = raw_purposes if isinstance(raw_purposes, list) else [raw_purposes]
    not_before = (
        parse_date_time(payload["validFrom"], "validFrom") if "validFrom" in payload else None
    )
    not_after = (
        parse_date_time(payload["validUntil"], "validUntil") if "validUntil" in payload else None
    )
    return _VerifiedList(
        kid=kid,
        key_thumbprint=thumbprint,
        purposes=frozenset(p for p in purposes if isinstance(p, str)),
        not_before=not_before,
        not_after=not_after,
        bitstring=decode_encoded_list(subject.get("encodedList")),
    )
