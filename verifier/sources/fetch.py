"""Bounded HTTP GET for published documents (issuer metadata, JWKS, status lists, credentials).

Only ``http``/``https`` URLs; no redirects (a redirect could leave the trusted origin);
a timeout on every request; the body is read in chunks and refused past ``max_bytes``, so a
lying or absent ``Content-Length`` cannot exhaust memory. Every failure is one
``KeySourceError`` whose message names no URL content beyond the host.
"""

from __future__ import annotations

import logging
from typing import Final
from urllib.parse import urlsplit

import httpx

from verifier.errors import KeySourceError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS: Final = 5.0
USER_AGENT: Final = "tessera-verifier/0.1"


class DocumentNotFoundError(KeySourceError):
    """The publisher answered 404: it does not publish this document (not an outage)."""


def build_http_client(
    *, timeout: float = DEFAULT_TIMEOUT_SECONDS, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """An ``httpx.Client`` for the HTTP sources; tests pass an ``httpx.MockTransport``."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        transport=transport,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    )


def fetch_bounded(client: httpx.Client, url: str, *, accept: str, max_bytes: int) -> bytes:
    """GET ``url`` and return the body; raise ``KeySourceError`` on any failure."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KeySourceError("only http and https URLs are fetched")
    host = parts.hostname or "?"
    try:
        with client.stream(
            "GET", url, headers={"Accept": accept}, follow_redirects=False
        ) as response:
            if response.status_code != 200:
                log.info("fetch from %s answered %s", host, response.status_code)
                error = DocumentNotFoundError if response.status_code == 404 else KeySourceError
                raise error(f"{host} answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise KeySourceError(f"document from {host} exceeds {max_bytes} bytes")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise KeySourceError(f"document from {host} exceeds {max_bytes} bytes")
            return bytes(body)
    except httpx.TimeoutException:
        raise KeySourceError(f"{host} did not answer in time") from None
    except httpx.HTTPError:
        raise KeySourceError(f"{host} could not be reached") from None
