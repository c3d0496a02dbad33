"""IETF Token Status Lists (draft-ietf-oauth-status-list), derived from the status lists.

One Token Status List per status list, over the same index space: a credential's
``status_allocations`` row gives its index in both (decision 0056), so every lifecycle
action that sets or clears a Bitstring Status List bit changes the Token Status List value
in the same transaction. 2 bits per entry: 0 VALID, 1 INVALID (revoked: ``set_at``),
2 SUSPENDED (``suspended_at``, while not revoked). Packed **least significant bits first**
("Compressed Byte Array"), the opposite of the Bitstring Status List, so this module shares
no bit-order code with ``issuer/credentials/status_list.py``. ZLIB at level 9, base64url.

Served signed as ``statuslist+jwt`` at ``<list>/tsl``, re-signed only when the list's
``revision`` (the same counter the Bitstring lists use), the active key, or age changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.status_list import PublishedList
from issuer.errors import NotFoundError
from issuer.keys.signer import Signer
from issuer.store.models import StatusAllocation, StatusList
from verifier.encoding import b64url_encode
from verifier.format import STATUS_PURPOSE_REVOCATION
from verifier.token_status_list import STATUS_LIST_JWT_TYP, TokenStatusValue
from verifier.urls import IssuerUrls

BITS: Final = 2


def encode_token_status_list(values: Mapping[int, int], size: int, *, bits: int = BITS) -> str:
    """``lst``: base64url(ZLIB(level 9) of ``size`` entries of ``bits``), index 0 in the least
    significant bits of byte 0; entries not in ``values`` are 0 (VALID)."""
    per_byte = 8 // bits
    data = bytearray(-(-size // per_byte))
    mask = (1 << bits) - 1
    for index, value in values.items():
        if not 0 <= index < size or not 0 <= value <= mask:
            raise ValueError("index or value outside the list")
        data[index // per_byte] |= value << ((index % per_byte) * bits)
    return b64url_encode(zlib.compress(bytes(data), 9))


def list_values(session: Session, list_id: int) -> dict[int, int]:
    """The non-VALID entries of list ``list_id``: revoked wins over suspended."""
    rows = session.execute(
        select(StatusAllocation.index, StatusAllocation.set_at, StatusAllocation.suspended_at)
        .where(StatusAllocation.list_id == list_id)
        .where(
            (StatusAllocation.set_at.is_not(None)) | (StatusAllocation.suspended_at.is_not(None))
        )
    )
    return {
        index: TokenStatusValue.INVALID if set_at is not None else TokenStatusValue.SUSPENDED
        for index, set_at, _suspended_at in rows
    }


@dataclass(frozen=True)
class _Signed:
    revision: int
    kid: str
    signed_at: dt.datetime
    published: PublishedList


class TokenStatusListPublisher:
    """Signs Token Status Lists, re-signing only when the revision, the key or age change
    (as ``StatusListPublisher`` does for the Bitstring lists)."""

    def __init__(self, base_url: str, ttl_seconds: int, *, resign_after: dt.timedelta) -> None:
        self._urls = IssuerUrls(base_url)
        self._ttl = ttl_seconds
        self._resign_after = resign_after
        self._cache: dict[int, _Signed] = {}
        self._lock = threading.Lock()

    def cached(
        self, list_id: int, revision: int, kid: str, *, now: dt.datetime
    ) -> PublishedList | None:
        """The signed copy if it is of ``revision``, signed by ``kid`` and young enough."""
        with self._lock:
            signed = self._cache.get(list_id)
        if (
            signed is None
            or signed.revision != revision
            or signed.kid != kid
            or now - signed.signed_at >= self._resign_after
        ):
            return None
        return signed.published

    def publish(
        self, session: Session, list_id: int, signer: Signer, *, now: dt.datetime
    ) -> PublishedList:
        """The signed Token Status List of list ``list_id``."""
        row = session.execute(
            select(StatusList.revision, StatusList.size).where(
                StatusList.id == list_id, StatusList.purpose == STATUS_PURPOSE_REVOCATION
            )
        ).first()
        if row is None:
            raise NotFoundError("no such status list")
        current = self.cached(list_id, row.revision, signer.kid, now=now)
        if current is not None:
            return current
        lst = encode_token_status_list(list_values(session, list_id), row.size)
        uri = self._urls.token_status_list(list_id)
        issued = now.replace(microsecond=0)
        expires = issued + self._resign_after * 2
        claims = {
            "iss": self._urls.issuer_id,
            "sub": uri,  # MUST equal the credential's status.status_list.uri
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
            "ttl": self._ttl,  # seconds ("Status List Token in JWT Format")
            "status_list": {"bits": BITS, "lst": lst},
        }
        version = f"tsl|{list_id}|{row.revision}|{signer.kid}|{issued.isoformat()}"
        etag = hashlib.sha256(version.encode()).hexdigest()[:32]
        published = PublishedList(
            jws=signer.sign(claims, typ=STATUS_LIST_JWT_TYP), etag=etag, ttl_seconds=self._ttl
        )
        with self._lock:
            self._cache[list_id] = _Signed(row.revision, signer.kid, now, published)
        return published
