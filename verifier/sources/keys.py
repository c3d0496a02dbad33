"""Issuer keys: the ``KeyResolver`` protocol and its static, HTTP and offline implementations.

A key is looked up by ``(issuer id, kid)`` with an exact ``kid`` match in the keys that issuer
publishes; nothing in a token's header is ever fetched or used as a key. The HTTP resolver
follows SD-JWT VC issuer metadata: ``<issuer>/.well-known/jwt-vc-issuer`` (whose ``issuer``
must equal the issuer id), then its ``jwks_uri`` (or inline ``jwks``), and only for trusted
issuers. JWKS are cached for ``ttl``; an unknown ``kid`` refetches at most once per
``refresh_interval`` (key rotation without letting junk kids cause fetch storms); when a
refetch fails, the cached keys are used, but only while they are younger than ``max_age``
(24 h by default): older ones are not trusted any more, and the check fails with
``key_source_stale`` (the credential cannot be checked now). Fetches go through an
``IssuerBreaker`` (failures remembered, docs/decisions/0022-slow-partners.md).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from verifier.errors import (
    CredentialError,
    CredentialErrorCode,
    KeyBindingError,
    KeyNotFoundError,
    KeySourceError,
    UntrustedIssuerError,
)
from verifier.jwk import PublicKey, algorithm_for_jwk, jwk_thumbprint, public_key_from_jwk
from verifier.sources.breaker import IssuerBreaker
from verifier.sources.offline_cache import CachedDocument, OfflineCache, describe_age
from verifier.strict_json import loads_strict_object
from verifier.trust import TrustedIssuers

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
MAX_JWKS_BYTES: Final = 64 * 1024
DEFAULT_KEYS_MAX_AGE: Final = dt.timedelta(hours=24)


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class VerificationKey:
    """A published public key, bound to exactly one algorithm (RFC 8725 §3.1)."""

    kid: str
    algorithm: str
    public_key: PublicKey
    thumbprint: str


class KeyResolver(Protocol):
    """Finds the public key an issuer publishes under ``kid``."""

    def resolve_key(self, issuer_id: str, kid: str) -> VerificationKey:
        """Return the key, or raise ``KeyNotFoundError`` / ``KeySourceError``."""
        ...


def keys_from_jwks(jwks: Any) -> dict[str, VerificationKey]:
    """Index a JWK Set by ``kid`` (a key without one by its RFC 7638 thumbprint).

    Keys we cannot use (other types or curves, ``use`` other than ``sig``, private members,
    an ``alg`` that does not fit the key) are skipped, not fatal: a JWKS may list keys for
    other verifiers. The first key wins if two share a ``kid``.
    """
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise KeySourceError("document is not a JWK Set")
    keys: dict[str, VerificationKey] = {}
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        try:
            public_key = public_key_from_jwk(jwk)
            algorithm = algorithm_for_jwk(jwk)
            thumbprint = jwk_thumbprint(jwk)
        except CredentialError:
            continue
        kid = jwk.get("kid", thumbprint)
        if isinstance(kid, str) and kid not in keys:
            keys[kid] = VerificationKey(kid, algorithm, public_key, thumbprint)
    return keys


def stale_keys_error(
    max_age: dt.timedelta, fetched_at: dt.datetime, now: dt.datetime, *, refreshed: bool = True
) -> KeySourceError:
    """Cached keys older than ``max_age`` (whose refresh failed, when ``refreshed``): fail
    closed, and say how old they are, what the limit is, and that trying again may help."""
    what = (
        "the issuer's keys could not be refreshed, and the cached copy"
        if refreshed
        else "the cached copy of the issuer's keys"
    )
    return KeySourceError(
        f"{what} was fetched {describe_age(now - fetched_at)} ago, over the limit of"
        f" {describe_age(max_age)}: the credential cannot be checked now; try again later",
        code=CredentialErrorCode.KEY_SOURCE_STALE,
        cached_at=fetched_at,
        max_age=max_age,
    )


def check_key_binding(key: VerificationKey, header: dict[str, Any], algorithm: str) -> None:
    """The header's ``alg`` must be the key's one algorithm; an inline ``jwk`` must be it."""
    if algorithm != key.algorithm:
        raise KeyBindingError("algorithm is not the one bound to this key")
    inline = header.get("jwk")
    if inline is not None:
        try:
            same = isinstance(inline, dict) and jwk_thumbprint(inline) == key.thumbprint
        except CredentialError:
            same = False
        if not same:
            raise KeyBindingError(
                "inline jwk is not the issuer's key", code=CredentialErrorCode.HEADER_JWK_MISMATCH
            )


class StaticKeyResolver:
    """Keys given up front, per issuer (a JWKS file, ``--jwks``, in-process publication)."""

    def __init__(self, keys_by_issuer: Mapping[str, Mapping[str, VerificationKey]]) -> None:
        self._keys = {issuer: dict(keys) for issuer, keys in keys_by_issuer.items()}

    @classmethod
    def from_jwks(cls, issuer_id: str, jwks: Any) -> StaticKeyResolver:
        """Trust the keys of one JWK Set for ``issuer_id``."""
        return cls({issuer_id: keys_from_jwks(jwks)})

    @classmethod
    def from_jwks_file(cls, issuer_id: str, path: Path) -> StaticKeyResolver:
        """Trust the keys of a JWKS file for ``issuer_id``."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KeySourceError(f"JWKS file cannot be read ({exc.strerror})") from None
        return cls.from_jwks(issuer_id, _parse_json(data))

    def resolve_key(self, issuer_id: str, kid: str) -> VerificationKey:
        key = self._keys.get(issuer_id, {}).get(kid)
        if key is None:
            raise KeyNotFoundError("no key with this kid is published by the issuer")
        return key


class CallableKeyResolver:
    """Keys from a function ``issuer_id -> JWKS dict`` (the issuer app's own key store).

    The function is called on every lookup, so rotation shows at once; the parsed keys are
    reused while the JWKS it returns is unchanged.
    """

    def __init__(self, jwks_for_issuer: Callable[[str], Any]) -> None:
        self._jwks_for_issuer = jwks_for_issuer
        self._parsed: dict[str, tuple[Any, dict[str, VerificationKey]]] = {}

    def resolve_key(self, issuer_id: str, kid: str) -> VerificationKey:
        jwks = self._jwks_for_issuer(issuer_id)
        previous = self._parsed.get(issuer_id)
        if previous is not None and previous[0] == jwks:
            keys = previous[1]
        else:
            keys = keys_from_jwks(jwks)
            # A copy, so a caller changing its document in place is still seen as a change.
            self._parsed[issuer_id] = (copy.deepcopy(jwks), keys)
        key = keys.get(kid)
        if key is None:
            raise KeyNotFoundError("no key with this kid is published by the issuer")
        return key


def _parse_json(data: bytes) -> dict[str, Any]:
    try:
        return loads_strict_object(data)
    except CredentialError:
        raise KeySourceError("document is not a JSON object") from None


@dataclass
class _CachedKeys:
    keys: dict[str, VerificationKey]
    fetched_at: dt.datetime


class HttpKeyResolver:
    """Keys fetched from trusted issuers' published metadata, cached with a TTL."""

    def __init__(
        self,
        trusted_issuers: TrustedIssuers,
        client: httpx.Client,
        *,
        clock: Clock = utc_now,
        ttl: dt.timedelta = dt.timedelta(minutes=10),
        refresh_interval: dt.timedelta = dt.timedelta(seconds=30),
        max_age: dt.timedelta = DEFAULT_KEYS_MAX_AGE,
        cache: OfflineCache | None = None,
        breaker: IssuerBreaker | None = None,
    ) -> None:
        self._trusted = trusted_issuers
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._refresh_interval = refresh_interval
        self._max_age = max_age
        self._breaker = breaker or IssuerBreaker()
        self._offline_cache = cache
        self._cache: dict[str, _CachedKeys] = {}
        self._lock = threading.Lock()
        self.fetches = 0
        self.cache_hits = 0

    def resolve_key(self, issuer_id: str, kid: str) -> VerificationKey:
        if issuer_id not in self._trusted:
            raise UntrustedIssuerError("keys are fetched only for trusted issuers")
        now = self._clock()
        with self._lock:
            cached = self._cache.get(issuer_id)
        fresh = cached is not None and now - cached.fetched_at < self._ttl
        if cached is not None and fresh and kid in cached.keys:
            self.cache_hits += 1
            return cached.keys[kid]
        may_refetch = (
            cached is None or not fresh or now - cached.fetched_at >= self._refresh_interval
        )
        if may_refetch:
            try:
                cached = self._fetch(issuer_id, now)
            except KeySourceError:
                if cached is None:
                    raise
                if now - cached.fetched_at > self._max_age:
                    raise stale_keys_error(self._max_age, cached.fetched_at, now) from None
                log.warning("key refresh failed for a trusted issuer; using cached keys")
        key = cached.keys.get(kid) if cached is not None else None
        if key is None:
            raise KeyNotFoundError("no key with this kid is published by the issuer")
        return key

    def _fetch(self, issuer_id: str, now: dt.datetime) -> _CachedKeys:
        self.fetches += 1
        metadata = _parse_json(
            self._breaker.fetch(
                self._client,
                issuer_id,
                issuer_metadata_url(issuer_id),
                accept="application/json",
                max_bytes=MAX_JWKS_BYTES,
            )
        )
        if metadata.get("issuer") != issuer_id:
            raise KeySourceError("issuer metadata names another issuer")
        if "jwks" in metadata:
            jwks_text = json.dumps(metadata["jwks"])
        else:
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str):
                raise KeySourceError("issuer metadata has no jwks_uri")
            jwks_uri = urljoin(issuer_id + "/", jwks_uri)
            if urlsplit(issuer_id).scheme == "https" and urlsplit(jwks_uri).scheme != "https":
                raise KeySourceError("an https issuer's jwks_uri must be https")
            raw = self._breaker.fetch(
                self._client,
                issuer_id,
                jwks_uri,
                accept="application/jwk-set+json, application/json",
                max_bytes=MAX_JWKS_BYTES,
            )
            jwks_text = raw.decode("utf-8", errors="replace")
        keys = keys_from_jwks(_parse_json(jwks_text.encode("utf-8")))
        entry = _CachedKeys(keys=keys, fetched_at=now)
        with self._lock:
            self._cache[issuer_id] = entry
        if self._offline_cache is not None:
            self._offline_cache.store("jwks", issuer_id, jwks_text, now)
        return entry


def issuer_metadata_url(issuer_id: str) -> str:
    """``/.well-known/jwt-vc-issuer`` inserted between host and path (SD-JWT VC §5)."""
    parts = urlsplit(issuer_id)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KeySourceError("issuer id is not an http(s) URL; its keys cannot be fetched")
    return f"{parts.scheme}://{parts.netloc}/.well-known/jwt-vc-issuer{parts.path.rstrip('/')}"


class OfflineKeyResolver:
    """Keys from the on-disk cache only; remembers which cached documents it used.

    With ``max_age``, a cached copy older than that is not trusted (``key_source_stale``).
    """

    def __init__(
        self, cache: OfflineCache, *, max_age: dt.timedelta | None = None, clock: Clock = utc_now
    ) -> None:
        self._cache = cache
        self._max_age = max_age
        self._clock = clock
        self.used: list[CachedDocument] = []

    def resolve_key(self, issuer_id: str, kid: str) -> VerificationKey:
        document = self._cache.load("jwks", issuer_id)
        if document is None:
            raise KeySourceError("no cached keys for this issuer (run once without --offline)")
        self.used.append(document)
        now = self._clock()
        if self._max_age is not None and document.age(now) > self._max_age:
            raise stale_keys_error(self._max_age, document.fetched_at, now, refreshed=False)
        key = keys_from_jwks(_parse_json(document.text.encode("utf-8"))).get(kid)
        if key is None:
            raise KeyNotFoundError("no key with this kid is in the cached keys of the issuer")
        return key
