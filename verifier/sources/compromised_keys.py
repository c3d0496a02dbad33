"""Compromised issuer keys: the issuer's public list, so a verifier can say *why* a key no
longer vouches for a credential (``key_compromised``) instead of just "unknown key".

A Tessera issuer publishes ``<issuer>/compromised-keys.json``:
``{"issuer": "<id>", "keys": [{"kid": "...", "compromised_at": "<dateTimeStamp>"}]}``.
A compromised key is also removed from the JWKS, so a verifier that never reads this list
still refuses its credentials (``key_not_found``). Every credential the key signed fails,
whatever its ``iat``: a signature made before the compromise cannot be told from a forged,
back-dated one (docs/decisions/0009-superseded-and-compromised-keys.md).

The list is read only for trusted issuers, through a small interface (``CompromisedKeySource``)
with HTTP, offline-cache and in-process implementations. An issuer that publishes none (404),
or a list that cannot be read, counts as "none known": the JWKS check still stands.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any, Final, Protocol

import httpx

from verifier.errors import CredentialError, CredentialErrorCode, KeyNotFoundError
from verifier.sources.breaker import IssuerBreaker
from verifier.sources.fetch import DocumentNotFoundError
from verifier.sources.keys import Clock, utc_now
from verifier.sources.offline_cache import CachedDocument, OfflineCache
from verifier.strict_json import loads_strict_object
from verifier.trust import TrustedIssuers
from verifier.urls import IssuerUrls

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES: Final = 64 * 1024


class KeyCompromisedError(KeyNotFoundError):
    """The issuer lists this key as compromised: nothing it signed is trusted."""

    code = CredentialErrorCode.KEY_COMPROMISED


class CompromisedKeySource(Protocol):
    """The ``kid`` s an issuer lists as compromised, with the time of compromise."""

    def compromised_keys(self, issuer_id: str) -> dict[str, str]:
        """``{kid: compromised_at}``; empty when none are known."""
        ...


def check_key_not_compromised(source: CompromisedKeySource, issuer_id: str, kid: str) -> None:
    """Raise ``KeyCompromisedError`` when the issuer lists ``kid`` as compromised."""
    since = source.compromised_keys(issuer_id).get(kid)
    if since is not None:
        raise KeyCompromisedError(
            f"the issuer reports this signing key compromised since {since}",
            code=CredentialErrorCode.KEY_COMPROMISED,
        )


def parse_compromised_keys(text: str, issuer_id: str) -> dict[str, str]:
    """Read the document; anything malformed, or another issuer's, counts as empty."""
    try:
        document: dict[str, Any] = loads_strict_object(text.encode("utf-8"))
    except CredentialError:
        return {}
    keys = document.get("keys")
    if document.get("issuer") != issuer_id or not isinstance(keys, list):
        return {}
    found: dict[str, str] = {}
    for item in keys:
        if isinstance(item, dict) and isinstance(item.get("kid"), str):
            since = item.get("compromised_at")
            found[item["kid"]] = since if isinstance(since, str) else "an unknown time"
    return found


class CallableCompromisedKeySource:
    """In-process: a function ``issuer_id -> {kid: compromised_at}``."""

    def __init__(self, keys_for_issuer: Callable[[str], dict[str, str]]) -> None:
        self._keys_for_issuer = keys_for_issuer

    def compromised_keys(self, issuer_id: str) -> dict[str, str]:
        return self._keys_for_issuer(issuer_id)


class HttpCompromisedKeySource:
    """``<issuer>/compromised-keys.json`` over HTTP, cached for ``ttl``, written through to
    the offline cache."""

    def __init__(
        self,
        trusted_issuers: TrustedIssuers,
        client: httpx.Client,
        *,
        clock: Clock = utc_now,
        ttl: dt.timedelta = dt.timedelta(minutes=5),
        cache: OfflineCache | None = None,
        breaker: IssuerBreaker | None = None,
    ) -> None:
        self._trusted = trusted_issuers
        self._client = client
        self._clock = clock
        self._breaker = breaker or IssuerBreaker()
        self._ttl = ttl
        self._offline_cache = cache
        self._entries: dict[str, tuple[dt.datetime, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def compromised_keys(self, issuer_id: str) -> dict[str, str]:
        if issuer_id not in self._trusted:
            return {}
        now = self._clock()
        with self._lock:
            entry = self._entries.get(issuer_id)
        if entry is not None and now - entry[0] < self._ttl:
            return entry[1]
        url = IssuerUrls(issuer_id).compromised_keys
        try:
            text = self._breaker.fetch(
                self._client,
                issuer_id,
                url,
                accept="application/json",
                max_bytes=MAX_DOCUMENT_BYTES,
            ).decode("utf-8")
        except DocumentNotFoundError:
            text = ""  # publishes none: an answer, remembered for ``ttl``
        except (CredentialError, UnicodeDecodeError):
            # Not remembered as "none": keys known compromised stay so, and the list is asked
            # again once the breaker lets it (decision 0022).
            log.info("no compromised-keys list from a trusted issuer; relying on its JWKS")
            return entry[1] if entry is not None else {}
        keys = parse_compromised_keys(text, issuer_id) if text else {}
        if text and self._offline_cache is not None:
            self._offline_cache.store("compromised_keys", url, text, now)
        with self._lock:
            self._entries[issuer_id] = (now, keys)
        return keys


class OfflineCompromisedKeySource:
    """The cached copy an online run wrote; none cached means none known."""

    def __init__(self, cache: OfflineCache) -> None:
        self._cache = cache
        self.used: list[CachedDocument] = []

    def compromised_keys(self, issuer_id: str) -> dict[str, str]:
        document = self._cache.load("compromised_keys", IssuerUrls(issuer_id).compromised_keys)
        if document is None:
            return {}
        self.used.append(document)
        return parse_compromised_keys(document.text, issuer_id)
