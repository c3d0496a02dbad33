"""Bitstring Status List allocation, encoding and publication (W3C BSL v1.0).

Indexes are random and never reused (BSL §2.1, §6.5); a list is at least 131,072 entries
(§3.2) and is closed once half full so random allocation stays cheap and herds stay large.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from issuer.credentials.claims import xsd_datetime
from issuer.errors import NotFoundError
from issuer.keys.signer import Signer
from issuer.store.models import StatusAllocation, StatusList, core_table
from verifier.encoding import b64url_encode
from verifier.format import (
    MIN_STATUS_LIST_ENTRIES,
    STATUS_LIST_CREDENTIAL,
    STATUS_LIST_ENTRY,
    STATUS_LIST_SUBJECT,
    STATUS_PURPOSE_REVOCATION,
    STATUS_PURPOSE_SUSPENSION,
    VC_V2_CONTEXT,
    VERIFIABLE_CREDENTIAL,
)
from verifier.urls import IssuerUrls

LIST_SIZE = MIN_STATUS_LIST_ENTRIES
FILL_LIMIT = LIST_SIZE // 2


def status_entry(base_url: str, list_id: int, index: int) -> dict[str, str]:
    """The credential's ``credentialStatus`` object (BSL §2.1; OB allows exactly one)."""
    urls = IssuerUrls(base_url)
    url = urls.status_list(list_id)
    return {
        "id": urls.status_entry(list_id, index),
        "type": STATUS_LIST_ENTRY,
        "statusPurpose": STATUS_PURPOSE_REVOCATION,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def allocate_indexes(
    session: Session, count: int, *, now: dt.datetime, rng: random.Random
) -> list[tuple[int, int]]:
    """Reserve ``count`` fresh random ``(list_id, index)`` pairs, opening lists as needed.

    The cost does not grow with how full a list is: the list's fill is counted in the
    database (an index-only count of at most ``FILL_LIMIT`` entries), and random candidates
    are checked against the allocations through the ``(list_id, index)`` index, never by
    reading every used index (decision 0061). Below half full, a candidate is free with
    probability above 1/2, so a draw of twice what is missing rarely needs a second round.
    Callers hold the register's write lock (``lock_writes``); the unique constraint on
    ``(list_id, index)`` is the final guard against two writers.
    """
    pairs: list[tuple[int, int]] = []
    while len(pairs) < count:
        current = session.scalars(
            select(StatusList)
            .where(StatusList.purpose == STATUS_PURPOSE_REVOCATION)
            .order_by(StatusList.id.desc())
            .limit(1)
        ).first()
        filled = 0
        if current is not None:
            filled = _count_allocated(session, current.id)
            filled += sum(1 for list_id, _ in pairs if list_id == current.id)
        if current is None or filled >= FILL_LIMIT:
            current = StatusList(purpose=STATUS_PURPOSE_REVOCATION, size=LIST_SIZE, created_at=now)
            session.add(current)
            session.flush()
            filled = 0
        take = min(count - len(pairs), FILL_LIMIT - filled)
        mine = {index for list_id, index in pairs if list_id == current.id}
        pairs.extend(
            (current.id, index) for index in _free_indexes(session, current, take, mine, rng)
        )
    return pairs


def _count_allocated(session: Session, list_id: int) -> int:
    query = select(func.count()).select_from(StatusAllocation)
    return session.scalar(query.where(StatusAllocation.list_id == list_id)) or 0


_CANDIDATES = select(StatusAllocation.index).where(
    StatusAllocation.list_id == bindparam("list_id"),
    StatusAllocation.index.in_(bindparam("candidates", expanding=True)),
)
_PROBE = 500  # candidates per look-up: one bound array, compiled once and cached


def _free_indexes(
    session: Session, status_list: StatusList, take: int, mine: set[int], rng: random.Random
) -> list[int]:
    """``take`` random indexes of ``status_list`` that no allocation (nor ``mine``) holds."""
    chosen: list[int] = []
    taken = set(mine)
    while len(chosen) < take:
        wanted = min(2 * (take - len(chosen)), _PROBE)
        candidates: list[int] = []
        while len(candidates) < wanted:
            index = rng.randrange(status_list.size)
            if index not in taken:
                taken.add(index)
                candidates.append(index)
        used = set(
            session.scalars(_CANDIDATES, {"list_id": status_list.id, "candidates": candidates})
        )
        for index in candidates:
            if index not in used and len(chosen) < take:
                chosen.append(index)
    return chosen


def encode_bitstring(set_indexes: list[int], size: int) -> str:
    """``u`` + base64url(GZIP(bitstring)); index 0 is the most significant bit of byte 0."""
    bits = bytearray(size // 8)
    for index in set_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + b64url_encode(gzip.compress(bytes(bits), compresslevel=9, mtime=0))


@dataclass(frozen=True)
class PublishedList:
    jws: str
    etag: str
    ttl_seconds: int


@dataclass(frozen=True)
class _Signed:
    revision: int
    kid: str
    signed_at: dt.datetime
    published: PublishedList


class StatusListPublisher:
    """Signs status-list credentials, re-signing only when the bits or the key change.

    ``cached`` answers from memory for a revision the caller read (``Services.published_list``
    reads it through ``ListRevisions``); ``publish`` reads the revision itself. Only a changed
    ``revision`` (a bit was set or cleared), a new active key, or age make it re-encode and
    re-sign. Safe across replicas: the revision lives in the database.
    """

    def __init__(self, base_url: str, ttl_seconds: int, *, resign_after: dt.timedelta) -> None:
        self._base_url = base_url
        self._ttl = ttl_seconds
        self._resign_after = resign_after
        self._cache: dict[tuple[int, str], _Signed] = {}
        self._lock = threading.Lock()
        # Told of every publish: True when the signed copy was current (issuer/web/metrics.py).
        self.on_lookup: Callable[[bool], None] | None = None

    def publish(
        self,
        session: Session,
        list_id: int,
        signer: Signer,
        *,
        now: dt.datetime,
        purpose: str = STATUS_PURPOSE_REVOCATION,
    ) -> PublishedList:
        """The signed list ``list_id``; ``purpose`` ``suspension`` gives its suspension twin
        (the same index space, bits from ``suspended_at``; docs/decisions/0008-suspension.md).
        """
        row = session.execute(
            select(StatusList.revision, StatusList.size, StatusList.purpose).where(
                StatusList.id == list_id
            )
        ).first()
        if row is None:
            raise NotFoundError("no such status list")
        if purpose not in (STATUS_PURPOSE_REVOCATION, STATUS_PURPOSE_SUSPENSION):
            raise NotFoundError("no such status list")
        current = self.cached(list_id, purpose, row.revision, signer.kid, now=now)
        if current is not None:
            return current
        if self.on_lookup is not None:
            self.on_lookup(False)
        column = (
            StatusAllocation.set_at
            if purpose == STATUS_PURPOSE_REVOCATION
            else StatusAllocation.suspended_at
        )
        set_indexes = list(
            session.scalars(
                select(StatusAllocation.index).where(
                    StatusAllocation.list_id == list_id, column.is_not(None)
                )
            )
        )
        encoded = encode_bitstring(set_indexes, row.size)
        version = f"{list_id}|{purpose}|{row.revision}|{signer.kid}|{now.isoformat()}"
        etag = hashlib.sha256(version.encode()).hexdigest()[:32]
        jws = signer.sign(self._list_credential(list_id, purpose, encoded, now))
        published = PublishedList(jws=jws, etag=etag, ttl_seconds=self._ttl)
        with self._lock:
            self._cache[(list_id, purpose)] = _Signed(row.revision, signer.kid, now, published)
        return published

    def cached(
        self, list_id: int, purpose: str, revision: int, kid: str, *, now: dt.datetime
    ) -> PublishedList | None:
        """The signed copy if it is of ``revision``, signed by ``kid`` and young enough."""
        with self._lock:
            signed = self._cache.get((list_id, purpose))
        if (
            signed is None
            or signed.revision != revision
            or signed.kid != kid
            or now - signed.signed_at >= self._resign_after
        ):
            return None
        if self.on_lookup is not None:
            self.on_lookup(True)
        return signed.published

    def _list_credential(
        self, list_id: int, purpose: str, encoded: str, now: dt.datetime
    ) -> dict[str, object]:
        urls = IssuerUrls(self._base_url)
        url = urls.status_list(list_id)
        if purpose == STATUS_PURPOSE_SUSPENSION:
            url = urls.suspension_list(list_id)
        valid_until = now + self._resign_after * 2
        return {
            "@context": [VC_V2_CONTEXT],
            "id": url,
            "type": [VERIFIABLE_CREDENTIAL, STATUS_LIST_CREDENTIAL],
            "issuer": self._base_url,
            "validFrom": xsd_datetime(now),
            "validUntil": xsd_datetime(valid_until),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": STATUS_LIST_SUBJECT,
                "statusPurpose": purpose,
                "encodedList": encoded,
                "ttl": self._ttl * 1000,  # BSL §2.2: milliseconds
            },
            # JWT claims the VC 2.0 context defines, that describe the signature (VC-JOSE-COSE
            # §3.1.3; a JOSE-only verifier finds the keys from ``iss``, §4.2.1, and refuses a
            # stale list by ``exp``). No ``jti`` (no context defines it and no rule asks for it)
            # nor ``nbf`` (NOT RECOMMENDED, §3.1.3): decision 0053.
            "iss": self._base_url,
            "iat": int(now.timestamp()),
            "exp": int(valid_until.timestamp()),
        }


def set_status_bit(session: Session, credential_id: str, *, now: dt.datetime | None) -> None:
    """Set (``now``) or clear (``None``) the credential's bit and bump its list's revision."""
    _set_bit(session, credential_id, "set_at", now)


def set_status_bits(session: Session, credential_ids: list[str], *, now: dt.datetime) -> None:
    """Set the bits of many credentials at once: one UPDATE of their allocations, one
    revision bump per list touched (a bulk re-issue's chunk, decision 0066)."""
    if not credential_ids:
        return
    allocations = core_table(StatusAllocation)  # no ORM rows to synchronise
    touched = session.execute(
        update(allocations)
        .where(allocations.c.credential_id.in_(credential_ids))
        .values(set_at=now)
        .returning(allocations.c.list_id)
    ).scalars()
    lists = sorted(set(touched))
    session.execute(
        update(StatusList).where(StatusList.id.in_(lists)).values(revision=StatusList.revision + 1)
    )


def set_suspension_bit(session: Session, credential_id: str, *, now: dt.datetime | None) -> None:
    """Set (``now``) or clear (``None``) the credential's bit in the suspension twin."""
    _set_bit(session, credential_id, "suspended_at", now)


def _set_bit(session: Session, credential_id: str, column: str, now: dt.datetime | None) -> None:
    # Both lists share the allocation row and the revision that publishers compare.
    allocation = session.scalars(
        select(StatusAllocation).where(StatusAllocation.credential_id == credential_id)
    ).one()
    setattr(allocation, column, now)
    session.execute(
        update(StatusList)
        .where(StatusList.id == allocation.list_id)
        .values(revision=StatusList.revision + 1)
    )
