"""The verifier as this server runs it: its own keys, lists and credentials read in-process.

Behind the verifier's own interfaces (``KeyResolver``, ``StatusSource``,
``CredentialLocator``, ``StatusDetailSource``), so the checks are exactly those an outside
verifier runs; other trusted issuers are fetched over HTTP like any verifier would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson
from sqlalchemy.exc import SQLAlchemyError

from issuer.credentials.lifecycle import get_credential
from issuer.credentials.list_revisions import ListRevisions
from issuer.documents.share_link import resolve_share_link
from issuer.errors import IssuerError
from issuer.keys.jwks import compromised_keys_document, published_jwks
from issuer.services import Services
from issuer.store.models import Credential
from verifier.credential import issuer_id_of
from verifier.encoding import b64url_decode
from verifier.errors import (
    CredentialError,
    CredentialErrorCode,
    KeyNotFoundError,
    KeySourceError,
    LocatorError,
    MalformedError,
    StatusRetrievalError,
)
from verifier.holder_files import SHARE_FILE
from verifier.jws import decode_unverified_jws
from verifier.qr_packing import packed_credential_in, unpack_credential
from verifier.sd_jwt_vc import SdJwtVcVerifier
from verifier.sources.breaker import IssuerBreaker
from verifier.sources.compromised_keys import CallableCompromisedKeySource, parse_compromised_keys
from verifier.sources.credential_locator import CallableCredentialLocator, looks_like_url
from verifier.sources.fetch import build_http_client
from verifier.sources.keys import HttpKeyResolver, VerificationKey, keys_from_jwks
from verifier.sources.status_lists import (
    CallableStatusSource,
    HttpStatusSource,
    StatusDetail,
    StatusListDocument,
)
from verifier.token_status_list import STATUS_LIST_JWT_MEDIA_TYPE
from verifier.trust import TrustedIssuers
from verifier.urls import IssuerUrls
from verifier.verification import Verifier

_JWKS_CACHE_SECONDS = 5.0  # key rotation and compromise show within this


class _OwnKeys:
    """This issuer's published keys, re-read from the database at most every few seconds
    and indexed by ``kid`` once per reading (three look-ups per verification: the
    credential's key and, for its two lists, that the key still vouches)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, VerificationKey]] | None = None

    def resolve_key(self, issuer_id: str, kid: str) -> VerificationKey:
        if issuer_id != self._services.base_url:
            raise KeyNotFoundError("not this server's issuer")
        key = self._keys().get(kid)
        if key is None:
            raise KeyNotFoundError("no key with this kid is published by the issuer")
        return key

    def _keys(self) -> dict[str, VerificationKey]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > _JWKS_CACHE_SECONDS:
                try:
                    with self._services.read_sessions() as session:
                        jwks = published_jwks(session)
                except SQLAlchemyError:
                    raise KeySourceError("the key store is unavailable") from None
                self._cached = (now, keys_from_jwks(jwks))
            return self._cached[1]


class _RoutingKeys:
    """Own keys in-process; other trusted issuers' keys over HTTP."""

    def __init__(self, own_issuer: str, own: _OwnKeys, others: HttpKeyResolver | None) -> None:
        self._own_issuer, self._own, self._others = own_issuer, own, others

    def resolve_key(self, issuer_id: str, kid: str) -> VerificationKey:
        if issuer_id == self._own_issuer:
            return self._own.resolve_key(issuer_id, kid)
        if self._others is None:
            raise KeyNotFoundError("no key source for this issuer")
        return self._others.resolve_key(issuer_id, kid)


class _RoutingStatus:
    """Own status lists in-process (current at once); others over HTTP, cached for ttl.
    ``one_reading`` reads each own list's revision once per credential checked."""

    def __init__(
        self,
        own_prefix: str,
        own: CallableStatusSource,
        others: HttpStatusSource | None,
        revisions: ListRevisions,
    ) -> None:
        self._own_prefix, self._own, self._others = own_prefix, own, others
        self.one_reading = revisions.one_reading

    def fetch_status_list(self, url: str) -> StatusListDocument:
        if url.startswith(self._own_prefix):
            return self._own.fetch_status_list(url)
        if self._others is None:
            raise StatusRetrievalError("no status source for this list")
        return self._others.fetch_status_list(url)


@dataclass(frozen=True)
class _Trust:
    """Whom a verifier in this server trusts, and how it reaches their keys: this issuer's
    own in-process, others' (``TESSERA_TRUSTED_ISSUERS``) over one HTTP client and breaker."""

    trusted: TrustedIssuers
    others: TrustedIssuers
    client: httpx.Client | None
    breaker: IssuerBreaker
    keys: _RoutingKeys


def _trust(services: Services) -> _Trust:
    settings = services.settings
    base = services.base_url
    # did:key entries are for embedded-proof credentials in presentations only (decision 0055).
    web_issuers = [i for i in settings.trusted_issuers if not i.startswith("did:")]
    trusted = TrustedIssuers([base, *web_issuers])
    others = TrustedIssuers([i for i in trusted if i != base])
    client = (
        build_http_client(timeout=settings.verify_http_timeout_seconds) if len(others) else None
    )
    breaker = IssuerBreaker(settings.failure_policy)
    keys = _RoutingKeys(
        base,
        _OwnKeys(services),
        HttpKeyResolver(others, client, max_age=settings.keys_max_age, breaker=breaker)
        if client
        else None,
    )
    return _Trust(trusted, others, client, breaker, keys)


def build_local_verifier(
    services: Services, *, on_remote_lookup: Callable[[bool], None] | None = None
) -> Verifier:
    """A verifier trusting this server (and ``TESSERA_TRUSTED_ISSUERS``); ``on_remote_lookup``
    hears of every other issuer's status-list lookup (True: served from the cache)."""
    settings = services.settings
    base = services.base_url
    trust = _trust(services)
    urls = IssuerUrls(base)

    def status_list_for(url: str) -> str:
        parsed = urls.parse_status_list(url)
        if parsed is None:
            raise StatusRetrievalError("no such status list")
        list_id, purpose = parsed
        try:
            published = services.published_list(list_id, purpose=purpose)
        except IssuerError:
            raise StatusRetrievalError("no such status list") from None
        except SQLAlchemyError:
            raise StatusRetrievalError("the status list is unavailable") from None
        return published.jws

    def token_for(url: str) -> str:
        credential_id = urls.parse_verify_page(url)
        share_token = _share_token(base, url)
        if credential_id is None and share_token is None:
            raise LocatorError(
                "not a verify link of this issuer", code=CredentialErrorCode.CREDENTIAL_NOT_FOUND
            )
        with services.read_sessions() as session:
            try:
                if share_token is not None:
                    return resolve_share_link(session, share_token, now=services.clock()).jws
                return get_credential(session, credential_id or "").jws
            except IssuerError:
                raise LocatorError(
                    "no such credential", code=CredentialErrorCode.CREDENTIAL_NOT_FOUND
                ) from None
            except SQLAlchemyError:
                raise LocatorError(
                    "the credential store is unavailable",
                    code=CredentialErrorCode.CREDENTIAL_STORE_UNAVAILABLE,
                ) from None

    return Verifier(
        trusted_issuers=trust.trusted,
        key_resolver=trust.keys,
        status_source=_RoutingStatus(
            urls.status_list_prefix,
            CallableStatusSource(status_list_for, clock=services.clock),
            HttpStatusSource(
                trust.others, trust.client, on_lookup=on_remote_lookup, breaker=trust.breaker
            )
            if trust.client
            else None,
            services.revisions,
        ),
        credential_locator=CallableCredentialLocator(token_for),
        status_detail_source=_StatusDetails(services),
        compromised_keys=CallableCompromisedKeySource(_OwnCompromisedKeys(services)),
        clock=services.clock,
        clock_skew=settings.clock_skew,
        memo_size=settings.verify_memo_size,
    )


def build_local_sd_jwt_vc_verifier(services: Services) -> SdJwtVcVerifier:
    """An SD-JWT VC verifier trusting this server (and ``TESSERA_TRUSTED_ISSUERS``): own
    keys and Token Status Lists in-process, other issuers' over HTTP, as for ``vc+jwt``."""
    settings = services.settings
    trust = _trust(services)
    urls = IssuerUrls(services.base_url)

    def token_status_list_for(url: str) -> str:
        list_id = urls.parse_token_status_list(url)
        if list_id is None:
            raise StatusRetrievalError("no such status list")
        try:
            return services.published_token_status_list(list_id).jws
        except IssuerError:
            raise StatusRetrievalError("no such status list") from None
        except SQLAlchemyError:
            raise StatusRetrievalError("the status list is unavailable") from None

    return SdJwtVcVerifier(
        trusted_issuers=trust.trusted,
        key_resolver=trust.keys,
        status_source=_RoutingStatus(
            urls.status_list_prefix,
            CallableStatusSource(token_status_list_for, clock=services.clock),
            HttpStatusSource(
                trust.others, trust.client, breaker=trust.breaker, accept=STATUS_LIST_JWT_MEDIA_TYPE
            )
            if trust.client
            else None,
            services.revisions,
        ),
        clock=services.clock,
        clock_skew=settings.clock_skew,
    )


def _share_token(base_url: str, url: str) -> str | None:
    """The token of a holder's share link as a verifier fetches it,
    ``<base>/s/<token>/credential.jwt`` (``verifier.holder_files``), else ``None``."""
    prefix, suffix = f"{base_url}/s/", f"/{SHARE_FILE}"
    if not (url.startswith(prefix) and url.endswith(suffix)):
        return None
    token = url[len(prefix) : -len(suffix)]
    return token if token and "/" not in token else None


def stays_in_process(base_url: str, submission: str) -> bool:
    """True when verifying ``submission`` cannot reach the network: it names this server's
    own issuer (a pasted token or packed QR link), or it is a link (links are answered from
    this server's own credential store only). Anything else may fetch another issuer's keys
    or lists, and is verified off the event loop (decision 0022)."""
    packed = packed_credential_in(submission)
    if packed is None and looks_like_url(submission):
        return True
    try:
        token = unpack_credential(packed) if packed is not None else submission
        peeked = _peek_issuer(token)
        if peeked is not None:
            return peeked == base_url
        return issuer_id_of(decode_unverified_jws(token).payload) == base_url
    except CredentialError:
        return True  # refused before any key is looked up


def _peek_issuer(token: str) -> str | None:
    """The issuer a compact JWS's payload names, read with a fast, lenient JSON parser: a
    routing hint only, ``None`` when this reading fails (the caller then parses strictly).

    It cannot send a token the verifier will attribute to another issuer onto the event
    loop: where the lenient reading succeeds, the strict one (``verifier.strict_json``) either
    refuses the payload (repeated members, a BOM, ...) before any key is looked up, or reads
    the same ``issuer``; what the lenient parser refuses takes the strict path. The
    verifier's own checks always parse strictly."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        payload = orjson.loads(b64url_decode(parts[1]))
    except (MalformedError, orjson.JSONDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    try:
        return issuer_id_of(payload)
    except CredentialError:
        return None


class _StatusDetails:
    """The reason category, successor and date of the change that a status bit cannot
    carry (own credentials)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def get_status_detail(
        self, credential_id: str, status: str, *, issuer_id: str
    ) -> StatusDetail | None:
        if issuer_id != self._services.base_url:
            return None
        if not credential_id.startswith("urn:uuid:"):
            return None
        with self._services.read_sessions() as session:
            try:
                row: Credential = get_credential(session, credential_id.removeprefix("urn:uuid:"))
            except IssuerError:
                return None
            successor = (
                self._services.urls.verify_page(row.replaced_by_id) if row.replaced_by_id else None
            )
            return StatusDetail(
                reason=row.state_reason,
                superseded_by=successor,
                changed_at=row.state_changed_at,
            )


class _OwnCompromisedKeys:
    """This issuer's compromised keys, re-read from the database at most every few seconds;
    other issuers' lists are not fetched in-process (their JWKS check still applies)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, str]] | None = None

    def __call__(self, issuer_id: str) -> dict[str, str]:
        base = self._services.base_url
        if issuer_id != base:
            return {}
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > _JWKS_CACHE_SECONDS:
                with self._services.read_sessions() as session:
                    document = compromised_keys_document(session, base)
                self._cached = (now, parse_compromised_keys(orjson.dumps(document).decode(), base))
            return self._cached[1]
