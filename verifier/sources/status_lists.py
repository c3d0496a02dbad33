"""Where status-list credentials come from: the ``StatusSource`` protocol and implementations.

A source returns the status list's compact JWS *unverified*; ``verifier.status`` verifies it
every time (signature, issuer, type, purpose), so a cache can never turn into a trust hole.

- ``HttpStatusSource``: GET with ``Accept: application/vc+jwt``, only URLs under a trusted
  issuer, through an ``IssuerBreaker`` (an issuer that just failed is not asked again yet);
  cached in memory for the list's ``credentialSubject.ttl`` (milliseconds, BSL §2.2),
  ``default_ttl`` when absent, never longer than ``max_ttl``; counts ``fetches`` and
  ``cache_hits``; optionally writes through to the offline cache.
- ``CallableStatusSource``: in-process (the issuer app hands over its current list).
- ``StaticStatusSource``: one list for every URL (``--status-list FILE``); the list's own
  ``id`` must still equal the URL the credential names.
- ``OfflineStatusSource``: the on-disk cache only.

``StatusDetailSource`` is the extension point for what a bit cannot say: the reason
category of a revocation or suspension and the credential that superseded this one
(``HttpStatusDetailSource``: ``<issuer>/credentials/<uuid>/status``, asked only once a bit
is set; ``OfflineStatusDetailSource``: its cached copy).

A Tessera issuer publishes beside each revocation list ``<list>`` a ``suspension`` twin at
``<list>/suspension`` (docs/decisions/0008-suspension.md). Sources raise
``StatusListNotPublishedError`` when the issuer publishes no such document (HTTP 404, or no
cached copy of a twin offline): that is an answer, not an outage.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

import httpx

from verifier.credential import is_url
from verifier.errors import CredentialError, KeySourceError, StatusRetrievalError
from verifier.format import VC_JWT_MEDIA_TYPE
from verifier.jws import decode_unverified_jws
from verifier.sources.breaker import IssuerBreaker
from verifier.sources.fetch import DocumentNotFoundError
from verifier.sources.keys import Clock, utc_now
from verifier.sources.offline_cache import CachedDocument, OfflineCache
from verifier.strict_json import loads_strict_object
from verifier.trust import TrustedIssuers
from verifier.urls import SUSPENSION_SUFFIX, status_detail_url
from verifier.validity import parse_date_time

MAX_STATUS_LIST_BYTES: Final = 256 * 1024
MAX_STATUS_DETAIL_BYTES: Final = 8 * 1024


class StatusListNotPublishedError(StatusRetrievalError):
    """The issuer does not publish this status list (404): not a retrieval failure."""


@dataclass(frozen=True)
class StatusListDocument:
    """An unverified status-list JWS and when it was fetched from its publisher."""

    unverified_token: str
    fetched_at: dt.datetime


class StatusSource(Protocol):
    """Fetches the status-list credential at ``url``.

    A source may also offer ``one_reading() -> ContextManager``: the lists fetched inside it
    (one credential's entries) may be read as of one moment, the first fetch's, rather than
    each at its own. The status check of one credential then costs one freshness check, not
    one per list; a change committed while it runs shows on the next check."""

    def fetch_status_list(self, url: str) -> StatusListDocument:
        """Return the list, or raise ``StatusRetrievalError``."""
        ...


@dataclass(frozen=True)
class StatusDetail:
    """What the issuer says beyond the bit: a reason category, a successor and when the
    credential was revoked, suspended or replaced, if it says so."""

    reason: str | None = None
    superseded_by: str | None = None
    changed_at: dt.datetime | None = None


class StatusDetailSource(Protocol):
    """Optional detail for a credential whose status bit is set (revoked or suspended)."""

    def get_status_detail(
        self, credential_id: str, status: str, *, issuer_id: str
    ) -> StatusDetail | None:
        """Detail for ``credential_id`` (of the verified ``issuer_id``) now in ``status``, or
        ``None`` if there is none."""
        ...


def ttl_of(unverified_token: str, default: dt.timedelta, maximum: dt.timedelta) -> dt.timedelta:
    """The cache lifetime a status list asks for, bounded: a Bitstring Status List's
    ``credentialSubject.ttl`` in milliseconds (BSL §2.2), a Token Status List's top-level
    ``ttl`` in seconds (draft-ietf-oauth-status-list "Status List Token in JWT Format")."""
    try:
        payload = decode_unverified_jws(unverified_token).payload
    except CredentialError:
        return dt.timedelta(0)
    subject = payload.get("credentialSubject")
    if "status_list" in payload:
        ttl, unit = payload.get("ttl"), dt.timedelta(seconds=1)
    else:
        ttl = subject.get("ttl") if isinstance(subject, dict) else None
        unit = dt.timedelta(milliseconds=1)
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0:
        return min(default, maximum)
    return min(unit * ttl, maximum)


@dataclass
class _CacheEntry:
    document: StatusListDocument
    expires_at: dt.datetime


class HttpStatusSource:
    """Status lists over HTTP from trusted issuers, cached for their ``ttl``."""

    def __init__(
        self,
        trusted_issuers: TrustedIssuers,
        client: httpx.Client,
        *,
        clock: Clock = utc_now,
        default_ttl: dt.timedelta = dt.timedelta(minutes=5),
        max_ttl: dt.timedelta = dt.timedelta(days=1),
        cache: OfflineCache | None = None,
        on_lookup: Callable[[bool], None] | None = None,
        breaker: IssuerBreaker | None = None,
        accept: str = VC_JWT_MEDIA_TYPE,
    ) -> None:
        self._trusted = trusted_issuers
        self._accept = accept  # application/statuslist+jwt for Token Status Lists
        self._on_lookup = on_lookup  # told True on a cache hit, False before a fetch
        self._client = client
        self._clock = clock
        self._breaker = breaker or IssuerBreaker()
        self._default_ttl = default_ttl
        self._max_ttl = max_ttl
        self._offline_cache = cache
        self._entries: dict[str, _CacheEntry] = {}
        self._absent: dict[str, dt.datetime] = {}  # 404s, remembered for ``default_ttl``
        self._lock = threading.Lock()
        self.fetches = 0
        self.cache_hits = 0

    def fetch_status_list(self, url: str) -> StatusListDocument:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None and now < entry.expires_at:
                self.cache_hits += 1
                if self._on_lookup is not None:
                    self._on_lookup(True)
                return entry.document
            absent_until = self._absent.get(url)
            if absent_until is not None and now < absent_until:
                raise StatusListNotPublishedError("the issuer publishes no such status list")
        issuer_id = self._trusted.issuer_for_url(url)
        if issuer_id is None:
            raise StatusRetrievalError("status lists are fetched only from trusted issuers")
        if self._on_lookup is not None:
            self._on_lookup(False)
        try:
            body = self._breaker.fetch(
                self._client,
                issuer_id,
                url,
                accept=self._accept,
                max_bytes=MAX_STATUS_LIST_BYTES,
            )
        except DocumentNotFoundError:
            with self._lock:
                self._absent[url] = now + self._default_ttl
            raise StatusListNotPublishedError("the issuer publishes no such status list") from None
        except KeySourceError as exc:
            raise StatusRetrievalError(f"status list could not be fetched: {exc}") from None
        try:
            token = body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise StatusRetrievalError("status list response is not a compact JWS") from None
        self.fetches += 1
        document = StatusListDocument(unverified_token=token, fetched_at=now)
        expires_at = now + ttl_of(token, self._default_ttl, self._max_ttl)
        with self._lock:
            self._entries[url] = _CacheEntry(document, expires_at)
        if self._offline_cache is not None:
            self._offline_cache.store("status_list", url, token, now)
        return document


class CallableStatusSource:
    """Status lists from a function ``url -> compact JWS`` (in-process publication)."""

    def __init__(self, list_for_url: Callable[[str], str], *, clock: Clock = utc_now) -> None:
        self._list_for_url = list_for_url
        self._clock = clock

    def fetch_status_list(self, url: str) -> StatusListDocument:
        try:
            token = self._list_for_url(url)
        except StatusListNotPublishedError:
            raise
        except CredentialError as exc:
            raise StatusRetrievalError(f"status list unavailable: {exc}") from None
        return StatusListDocument(unverified_token=token, fetched_at=self._clock())


class StaticStatusSource:
    """One status list, given up front, served for whichever URL is asked."""

    def __init__(self, unverified_token: str, fetched_at: dt.datetime) -> None:
        self._document = StatusListDocument(unverified_token.strip(), fetched_at)
        try:
            self._list_id = decode_unverified_jws(self._document.unverified_token).payload.get("id")
        except CredentialError:
            self._list_id = None

    def fetch_status_list(self, url: str) -> StatusListDocument:
        if url.endswith(SUSPENSION_SUFFIX) and self._list_id != url:
            raise StatusListNotPublishedError("only one status list was given")
        return self._document


class OfflineStatusSource:
    """Status lists from the on-disk cache only; remembers which documents it used."""

    def __init__(self, cache: OfflineCache) -> None:
        self._cache = cache
        self.used: list[CachedDocument] = []

    def fetch_status_list(self, url: str) -> StatusListDocument:
        document = self._cache.load("status_list", url)
        if document is None and url.endswith(SUSPENSION_SUFFIX):
            # Online runs cache every twin they find; none cached means none was published.
            raise StatusListNotPublishedError("no suspension list was published")
        if document is None:
            raise StatusRetrievalError(
                "no cached copy of this status list (run once without --offline)"
            )
        self.used.append(document)
        return StatusListDocument(unverified_token=document.text, fetched_at=document.fetched_at)


def parse_status_detail(text: str, credential_id: str) -> StatusDetail | None:
    """The detail document's reason category and successor; ``None`` if it is unusable."""
    try:
        document = loads_strict_object(text.encode("utf-8"))
    except CredentialError:
        return None
    if document.get("id") != credential_id:
        return None
    reason, successor = document.get("reason"), document.get("superseded_by")
    return StatusDetail(
        reason=reason if isinstance(reason, str) and reason.isidentifier() else None,
        superseded_by=successor if isinstance(successor, str) and is_url(successor) else None,
        changed_at=_moment(document.get("changed_at")),
    )


def _moment(value: object) -> dt.datetime | None:
    """An RFC 3339 date-time with a time zone (``changed_at``), in UTC; ``None`` otherwise,
    so an issuer that sends no date or a bad one still gets its reason shown."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = parse_date_time(value, "changed_at")
    except CredentialError:
        return None
    return moment.astimezone(dt.UTC)


class HttpStatusDetailSource:
    """Detail from the issuer's ``/credentials/<uuid>/status`` (trusted issuers only).

    Asked only for a credential whose status bit is set, so checking a valid credential
    never tells the issuer which one is being checked (VCDM 2.0 §4.10, BSL §6).
    """

    def __init__(
        self,
        trusted_issuers: TrustedIssuers,
        client: httpx.Client,
        *,
        clock: Clock = utc_now,
        cache: OfflineCache | None = None,
        on_lookup: Callable[[bool], None] | None = None,
        breaker: IssuerBreaker | None = None,
        accept: str = VC_JWT_MEDIA_TYPE,
    ) -> None:
        self._trusted = trusted_issuers
        self._accept = accept  # application/statuslist+jwt for Token Status Lists
        self._on_lookup = on_lookup  # told True on a cache hit, False before a fetch
        self._client = client
        self._clock = clock
        self._offline_cache = cache
        self._breaker = breaker or IssuerBreaker()

    def get_status_detail(
        self, credential_id: str, status: str, *, issuer_id: str
    ) -> StatusDetail | None:
        url = status_detail_url(issuer_id, credential_id)
        if url is None or issuer_id not in self._trusted:
            return None
        try:
            body = self._breaker.fetch(
                self._client,
                issuer_id,
                url,
                accept="application/json",
                max_bytes=MAX_STATUS_DETAIL_BYTES,
            )
            text = body.decode("utf-8")
        except (KeySourceError, UnicodeDecodeError):
            return None
        if self._offline_cache is not None:
            self._offline_cache.store("status_detail", url, text, self._clock())
        return parse_status_detail(text, credential_id)


class OfflineStatusDetailSource:
    """Detail from the on-disk cache that online runs wrote."""

    def __init__(self, cache: OfflineCache) -> None:
        self._cache = cache
        self.used: list[CachedDocument] = []

    def get_status_detail(
        self, credential_id: str, status: str, *, issuer_id: str
    ) -> StatusDetail | None:
        url = status_detail_url(issuer_id, credential_id)
        document = self._cache.load("status_detail", url) if url else None
        if document is None:
            return None
        self.used.append(document)
        return parse_status_detail(document.text, credential_id)
