"""The verifier as a standalone app: ``create_app(settings)``.

Trusted issuers come from the settings; keys, status lists, status details and the
issuers' compromised-keys lists are fetched over HTTP and cached (``HttpKeyResolver``,
``HttpStatusSource``, ``HttpStatusDetailSource``, ``HttpCompromisedKeySource``), through one
``IssuerBreaker``; cached keys older than ``TESSERA_VERIFY_KEYS_MAX_AGE_SECONDS`` are not
trusted when a refresh fails; verify URLs are fetched from trusted issuers only. Nothing is
read from the environment unless the caller builds the settings.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI

from verifier.settings import VerifierSettings
from verifier.sources.breaker import IssuerBreaker
from verifier.sources.compromised_keys import HttpCompromisedKeySource
from verifier.sources.credential_locator import HttpCredentialLocator
from verifier.sources.fetch import build_http_client
from verifier.sources.keys import HttpKeyResolver
from verifier.sources.offline_cache import OfflineCache
from verifier.sources.status_lists import HttpStatusDetailSource, HttpStatusSource
from verifier.verification import Verifier
from verifier.web.api import create_verify_router
from verifier.web.api_docs import install_api_docs
from verifier.web.security_headers import SecurityHeaders, content_security_policy


def build_http_verifier(
    settings: VerifierSettings, *, transport: httpx.BaseTransport | None = None
) -> Verifier:
    """A ``Verifier`` that fetches keys, status lists and credentials over HTTP."""
    trusted = settings.trusted()
    client = build_http_client(timeout=settings.verify_http_timeout_seconds, transport=transport)
    cache = OfflineCache(settings.verify_cache_dir) if settings.verify_cache_dir else None
    breaker = IssuerBreaker(settings.failure_policy)
    return Verifier(
        trusted_issuers=trusted,
        key_resolver=HttpKeyResolver(
            trusted, client, cache=cache, max_age=settings.keys_max_age, breaker=breaker
        ),
        status_source=HttpStatusSource(trusted, client, cache=cache, breaker=breaker),
        credential_locator=HttpCredentialLocator(client, breaker=breaker),
        status_detail_source=HttpStatusDetailSource(trusted, client, cache=cache, breaker=breaker),
        compromised_keys=HttpCompromisedKeySource(trusted, client, cache=cache, breaker=breaker),
        clock_skew=settings.clock_skew,
    )


def create_app(
    settings: VerifierSettings | None = None, *, transport: httpx.BaseTransport | None = None
) -> FastAPI:
    """The standalone verifier app: ``/api/v1/verify``, ``/verify``, ``/docs`` and ``/healthz``."""
    settings = settings if settings is not None else VerifierSettings()
    verifier = build_http_verifier(settings, transport=transport)
    # No trailing-slash redirects: Starlette builds them from the Host header.
    # /docs from this server's own files, no CDN (decision 0037); no ReDoc.
    app = FastAPI(
        title="Tessera verifier",
        version="0.1.0",
        redirect_slashes=False,
        docs_url=None,
        redoc_url=None,
    )
    install_api_docs(app)
    zone = settings.verifier_time_zone
    app.include_router(
        create_verify_router(
            verifier, offline_max_age=settings.keys_max_age, time_zone=lambda: zone
        )
    )
    # The strict policy on every page; the packed-link page fetches the trusted issuers'
    # keys and status lists from the browser, so their origins may be connected to.
    origins = [f"{urlsplit(i).scheme}://{urlsplit(i).netloc}" for i in settings.trusted()]
    app.add_middleware(
        SecurityHeaders, content_security_policy=content_security_policy(connect_to=origins)
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
