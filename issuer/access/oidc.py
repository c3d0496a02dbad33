"""The console as an OpenID Connect relying party (docs/decisions/0041-single-sign-on.md).

The authorization code flow with PKCE (S256), ``state`` and ``nonce``, as a confidential
client. What is believed comes from the configured provider only: its metadata (whose
``issuer`` must be the configured one exactly), its token endpoint over a connection this
side opened, and the keys at its ``jwks_uri``. An ID token's header only chooses among those
keys (``kid``) and names an algorithm from a fixed list; a key or a URL in the header is never
used. Failures say what went wrong in words and never repeat a token, a code or a claim.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt

from issuer.config import Settings
from issuer.errors import AuthenticationError, ConfigurationError, IssuerErrorCode

# The ID token algorithms accepted, whatever else a provider offers.
ALGORITHMS = ("RS256", "ES256", "EdDSA")
SCOPE = "openid email profile"
TIMEOUT_SECONDS = 10.0
# Metadata is read again after this long; keys too, or sooner for a ``kid`` not yet seen.
METADATA_TTL_SECONDS = 3600.0
KEYS_REFRESH_SECONDS = 60.0
# Clock difference allowed with the provider, and how old an ID token may be when it comes.
LEEWAY = dt.timedelta(seconds=60)
MAX_TOKEN_AGE = dt.timedelta(minutes=10)
# ``principals.oidc_subject`` holds ``"<issuer> <sub>"``.
SUBJECT_MAX_LENGTH = 600
_WORD = re.compile(r"[a-z_]{1,40}")
_KEY_TYPES = {"RS256": ("RSA", None), "ES256": ("EC", "P-256"), "EdDSA": ("OKP", "Ed25519")}


@dataclass(frozen=True)
class Client:
    """This service as the provider's client: the configured issuer, id and secret."""

    issuer: str
    client_id: str
    client_secret: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Client | None:
        """The client, or ``None`` when single sign-on is off."""
        if (
            settings.oidc_issuer is None
            or settings.oidc_client_id is None
            or settings.oidc_client_secret is None
        ):
            return None
        return cls(
            settings.oidc_issuer,
            settings.oidc_client_id,
            settings.oidc_client_secret.get_secret_value(),
        )


@dataclass(frozen=True)
class Provider:
    """What the provider's metadata says, checked."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    token_auth: str  # client_secret_basic | client_secret_post
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class Flow:
    """One sign-in under way: kept by the browser (a cookie) from start to callback."""

    state: str
    nonce: str
    verifier: str
    next_path: str

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str | None


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: ``subject`` is ``"<issuer> <sub>"``."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool


def new_flow(next_path: str) -> Flow:
    return Flow(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),  # 64 characters (RFC 7636: 43-128)
        next_path=next_path,
    )


def unavailable(reason: str) -> ConfigurationError:
    """The provider cannot be used now (down, or its metadata is not acceptable): 503."""
    return ConfigurationError(reason, code=IssuerErrorCode.SSO_UNAVAILABLE)


def refused(reason: str) -> AuthenticationError:
    """This sign-in is refused (bad state, the provider's error, a token that fails): 401."""
    return AuthenticationError(reason, code=IssuerErrorCode.SSO_FAILED)


def word(value: object) -> str:
    """A provider's error code shown only when it is a plain word (it is not ours)."""
    return value if isinstance(value, str) and _WORD.fullmatch(value) else "unknown"


def _get_json(http: httpx.Client, url: str, what: str) -> dict[str, Any]:
    try:
        response = http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError:
        raise unavailable(f"the sign-in provider cannot be reached ({what})") from None
    if response.status_code != 200:
        raise unavailable(f"the sign-in provider did not answer ({what}: {response.status_code})")
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise unavailable(f"the sign-in provider's {what} is not a JSON object")
    return document


def _endpoint(document: Mapping[str, Any], name: str, issuer: str) -> str:
    """An endpoint of the metadata: https, or http when the issuer itself is (development)."""
    value = document.get(name)
    schemes = ("https://", "http://") if issuer.startswith("http://") else ("https://",)
    if not isinstance(value, str) or not value.startswith(schemes):
        raise unavailable(f"the sign-in provider's metadata has no usable {name}")
    return value


def discover(client: Client, http: httpx.Client) -> Provider:
    """The provider's metadata from ``{issuer}/.well-known/openid-configuration``."""
    url = client.issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = _get_json(http, url, "metadata")
    if document.get("issuer") != client.issuer:
        raise unavailable("the sign-in provider's metadata names another issuer")
    methods = document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    methods = methods if isinstance(methods, list) else []
    auth = next((m for m in ("client_secret_basic", "client_secret_post") if m in methods), None)
    if auth is None:
        raise unavailable("the sign-in provider accepts no client secret at its token endpoint")
    offered = document.get("id_token_signing_alg_values_supported")
    offered = offered if isinstance(offered, list) else []
    algorithms = tuple(alg for alg in ALGORITHMS if alg in offered)
    if not algorithms:
        raise unavailable("the sign-in provider signs ID tokens with no algorithm accepted here")
    challenges = document.get("code_challenge_methods_supported")
    if isinstance(challenges, list) and "S256" not in challenges:
        raise unavailable("the sign-in provider does not support PKCE with S256")
    userinfo = document.get("userinfo_endpoint")
    return Provider(
        issuer=client.issuer,
        authorization_endpoint=_endpoint(document, "authorization_endpoint", client.issuer),
        token_endpoint=_endpoint(document, "token_endpoint", client.issuer),
        jwks_uri=_endpoint(document, "jwks_uri", client.issuer),
        userinfo_endpoint=(
            _endpoint(document, "userinfo_endpoint", client.issuer) if userinfo else None
        ),
        token_auth=auth,
        algorithms=algorithms,
    )


class ProviderCache:
    """The provider's metadata and keys, fetched when first needed and kept a while, so a
    sign-in usually costs one request to the provider (the code's exchange)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._provider: tuple[float, Provider] | None = None
        self._keys: tuple[float, list[dict[str, Any]]] | None = None

    def provider(self, client: Client, http: httpx.Client) -> Provider:
        with self._lock:
            now = self._clock()
            if self._provider is None or now - self._provider[0] > METADATA_TTL_SECONDS:
                self._provider = (now, discover(client, http))
            return self._provider[1]

    def keys(self, provider: Provider, http: httpx.Client, *, fresh: bool) -> list[dict[str, Any]]:
        """The provider's public keys; ``fresh`` reads them again (a ``kid`` not yet seen),
        at most once every ``KEYS_REFRESH_SECONDS``."""
        with self._lock:
            now = self._clock()
            if self._keys is not None:
                age = now - self._keys[0]
                if age <= METADATA_TTL_SECONDS and not (fresh and age > KEYS_REFRESH_SECONDS):
                    return self._keys[1]
            document = _get_json(http, provider.jwks_uri, "key set")
            keys = document.get("keys")
            if not isinstance(keys, list):
                raise unavailable("the sign-in provider's key set has no keys")
            self._keys = (now, [key for key in keys if isinstance(key, dict)])
            return self._keys[1]


def authorization_url(provider: Provider, client: Client, flow: Flow, redirect_uri: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": flow.challenge,
            "code_challenge_method": "S256",
        }
    )
    joiner = "&" if "?" in provider.authorization_endpoint else "?"
    return f"{provider.authorization_endpoint}{joiner}{query}"


def exchange_code(
    provider: Provider,
    client: Client,
    *,
    code: str,
    verifier: str,
    redirect_uri: str,
    http: httpx.Client,
) -> Tokens:
    """The tokens for ``code``; a code used before (or not this client's) is refused there."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    headers = {"Accept": "application/json"}
    if provider.token_auth == "client_secret_basic":  # noqa: S105 - a method, not a secret
        # RFC 6749 2.3.1: the id and secret are form-encoded before they are joined.
        pair = f"{quote_plus(client.client_id)}:{quote_plus(client.client_secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    else:
        form |= {"client_id": client.client_id, "client_secret": client.client_secret}
    try:
        response = http.post(provider.token_endpoint, data=form, headers=headers)
    except httpx.HTTPError:
        raise unavailable("the sign-in provider cannot be reached (token)") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500 or (response.status_code == 200 and not isinstance(body, dict)):
        raise unavailable(f"the sign-in provider did not answer (token: {response.status_code})")
    error = word(body.get("error") if isinstance(body, dict) else None)
    if error == "invalid_client":
        raise unavailable("the sign-in provider does not accept this service's client id or secret")
    if response.status_code != 200 or not isinstance(body, dict):
        raise refused(
            f"the sign-in provider refused the code ({error}); it may have been used "
            "already: sign in again"
        )
    id_token, access_token = body.get("id_token"), body.get("access_token")
    if not isinstance(id_token, str):
        raise refused("the sign-in provider sent no ID token")
    return Tokens(id_token, access_token if isinstance(access_token, str) else None)


def _key_for(keys: Sequence[Mapping[str, Any]], header: Mapping[str, Any]) -> jwt.PyJWK | None:
    """The provider's key that the header's ``kid`` names (or its only key fit for the
    algorithm, when there is no ``kid``), of the type the algorithm needs."""
    alg, kid = header.get("alg"), header.get("kid")
    kty, crv = _KEY_TYPES.get(str(alg), (None, None))
    fit = [
        key
        for key in keys
        if key.get("kty") == kty
        and (crv is None or key.get("crv") == crv)
        and key.get("use", "sig") == "sig"
        and key.get("alg", alg) == alg
        and not any(part in key for part in ("d", "p", "q", "k"))  # public keys only
    ]
    chosen = [key for key in fit if key.get("kid") == kid] if kid is not None else fit
    if len(chosen) != 1:
        return None
    try:
        return jwt.PyJWK(dict(chosen[0]), algorithm=str(alg))
    except jwt.PyJWTError:
        return None


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise refused("the ID token is malformed") from None


def has_key(keys: Sequence[Mapping[str, Any]], token: str) -> bool:
    """Whether ``keys`` hold the key to check ``token`` (else read them again, once)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return True  # no key will help; validation says why
    return _key_for(keys, header) is not None


def _seconds(claims: Mapping[str, Any], name: str) -> dt.datetime:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refused(f"the ID token's {name} is not a time")
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise refused(f"the ID token's {name} is not a time") from None


def _check_times(claims: Mapping[str, Any], now: dt.datetime) -> None:
    if _seconds(claims, "exp") <= now - LEEWAY:
        raise refused("the ID token has expired; sign in again")
    issued = _seconds(claims, "iat")
    if issued > now + LEEWAY or issued < now - MAX_TOKEN_AGE - LEEWAY:
        raise refused("the ID token was not issued just now; check the clocks, sign in again")
    if "nbf" in claims and _seconds(claims, "nbf") > now + LEEWAY:
        raise refused("the ID token is not valid yet; check the clocks")


def validate_id_token(
    token: str,
    *,
    keys: Sequence[Mapping[str, Any]],
    client: Client,
    algorithms: Sequence[str],
    nonce: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The ID token's claims, once its signature (by one of ``keys``, with an algorithm of
    ``algorithms``), issuer, audience, times and nonce are right; ``refused`` otherwise."""
    header = _header(token)
    if header.get("alg") not in algorithms or header.get("alg") not in ALGORITHMS:
        raise refused("the ID token is signed with an algorithm not accepted here")
    key = _key_for(keys, header)
    if key is None:
        raise refused("the ID token is signed with a key the sign-in provider does not publish")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[str(header["alg"])],
            audience=client.client_id,
            issuer=client.issuer,
            options={
                "require": ["iss", "sub", "aud", "exp", "iat"],
                "verify_exp": False,  # checked below, against the service's clock
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise refused("the ID token's signature does not match the provider's key") from None
    except jwt.InvalidAudienceError:
        raise refused("the ID token is not meant for this service") from None
    except jwt.InvalidIssuerError:
        raise refused("the ID token comes from another issuer") from None
    except jwt.PyJWTError:
        raise refused("the ID token is not valid") from None
    audience = claims["aud"]
    azp = claims.get("azp")
    if (isinstance(audience, list) and len(audience) > 1 and azp is None) or (
        azp is not None and azp != client.client_id
    ):
        raise refused("the ID token is not meant for this service")
    _check_times(claims, now)
    presented = claims.get("nonce")
    if not isinstance(presented, str) or not hmac.compare_digest(
        presented.encode(), nonce.encode()
    ):
        raise refused("the ID token does not belong to this sign-in (nonce); sign in again")
    subject = claims["sub"]
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise refused("the ID token's subject is not usable")
    return claims


def verified_claims(
    token: str,
    *,
    provider: Provider,
    client: Client,
    cache: ProviderCache,
    http: httpx.Client,
    nonce: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """``validate_id_token`` with the provider's keys, read again once for a new ``kid``."""
    keys = cache.keys(provider, http, fresh=False)
    if not has_key(keys, token):
        keys = cache.keys(provider, http, fresh=True)
    return validate_id_token(
        token, keys=keys, client=client, algorithms=provider.algorithms, nonce=nonce, now=now
    )


def userinfo(
    provider: Provider, access_token: str, subject: str, http: httpx.Client
) -> dict[str, Any]:
    """The person's claims from the userinfo endpoint, for the same ``sub`` only."""
    if provider.userinfo_endpoint is None:
        return {}
    try:
        response = http.get(
            provider.userinfo_endpoint,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
    except httpx.HTTPError:
        raise unavailable("the sign-in provider cannot be reached (userinfo)") from None
    try:
        body = response.json() if response.status_code == 200 else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise unavailable(f"the sign-in provider did not answer (userinfo: {response.status_code})")
    if body.get("sub") != subject:
        raise refused("the sign-in provider's userinfo is about someone else")
    return body


def identity(claims: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Identity:
    """The person in ``claims`` (a validated ID token), with ``extra`` from userinfo when
    the token carries no e-mail. Only a boolean ``email_verified: true`` counts."""
    source = claims if "email" in claims or extra is None else extra
    email = source.get("email")
    subject = f"{claims['iss']} {claims['sub']}"
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise refused("the sign-in provider's name for this person is too long to keep")
    return Identity(
        issuer=str(claims["iss"]),
        subject=subject,
        email=email if isinstance(email, str) and len(email) <= 254 else None,
        email_verified=source.get("email_verified") is True,
    )
