"""Verify URLs (what a QR code holds) to credentials: the ``CredentialLocator`` protocol.

A verify URL is ``<trusted issuer>/v/<credential uuid>``; the credential behind it is
fetched with ``Accept: application/vc+jwt`` and then verified like any pasted token, so the
locator needs no trust of its own beyond refusing URLs outside the trusted issuers (no
requests to arbitrary hosts on behalf of whoever submits a URL). The fragment is dropped, as
a browser would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from verifier.errors import CredentialErrorCode, KeySourceError, LocatorError
from verifier.format import VC_JWT_MEDIA_TYPE
from verifier.jws import MAX_TOKEN_CHARS
from verifier.sources.breaker import IssuerBreaker
from verifier.sources.fetch import DocumentNotFoundError
from verifier.trust import TrustedIssuers

MAX_URL_CHARS: Final = 2048


def looks_like_url(text: str) -> bool:
    """True when the submitted text is a URL rather than a token."""
    lowered = text.strip()[:8].lower()
    return lowered.startswith(("http://", "https://"))


def checked_verify_url(trusted_issuers: TrustedIssuers, unverified_url: str) -> str:
    """The URL without its fragment, if it lies under a trusted issuer; else ``LocatorError``."""
    url = unverified_url.strip()
    if len(url) > MAX_URL_CHARS or any(ch.isspace() for ch in url):
        raise LocatorError("not a usable verify URL", code=CredentialErrorCode.UNTRUSTED_VERIFY_URL)
    parts = urlsplit(url)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    if trusted_issuers.issuer_for_url(url) is None:
        raise LocatorError(
            "the link is not under a trusted issuer", code=CredentialErrorCode.UNTRUSTED_VERIFY_URL
        )
    return url


class CredentialLocator(Protocol):
    """Turns a verify URL of a trusted issuer into the credential's compact JWS (unverified)."""

    def locate_credential(self, verify_url: str) -> str:
        """Return the token, or raise ``LocatorError``."""
        ...


class HttpCredentialLocator:
    """GET the verify URL with ``Accept: application/vc+jwt``, through the verifier's
    ``IssuerBreaker`` (keyed by the link's origin)."""

    def __init__(self, client: httpx.Client, *, breaker: IssuerBreaker | None = None) -> None:
        self._client = client
        self._breaker = breaker or IssuerBreaker()

    def locate_credential(self, verify_url: str) -> str:
        parts = urlsplit(verify_url)
        try:
            body = self._breaker.fetch(
                self._client,
                f"{parts.scheme}://{parts.netloc.lower()}",
                verify_url,
                accept=VC_JWT_MEDIA_TYPE,
                max_bytes=MAX_TOKEN_CHARS,
            )
        except DocumentNotFoundError:
            raise LocatorError("the issuer has no credential at this link") from None
        except KeySourceError as exc:
            raise LocatorError(
                f"the credential could not be fetched now: {exc}; try again later",
                code=CredentialErrorCode.CREDENTIAL_STORE_UNAVAILABLE,
            ) from None
        try:
            return body.decode("ascii")
        except UnicodeDecodeError:
            raise LocatorError("the link did not return a compact JWS") from None


class CallableCredentialLocator:
    """In-process lookup: a function ``verify_url -> token`` (raising ``LocatorError``)."""

    def __init__(self, token_for_url: Callable[[str], str]) -> None:
        self._token_for_url = token_for_url

    def locate_credential(self, verify_url: str) -> str:
        return self._token_for_url(verify_url)
