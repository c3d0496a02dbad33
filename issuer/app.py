"""The app that serves both sides: public documents, the verifier and the registrar API."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from issuer.campaigns.bundle import purge_expired_bundles
from issuer.config import Settings, load_settings
from issuer.credentials.qr import use_encoder
from issuer.runtime import prepare_process
from issuer.services import Services
from issuer.tasks.notices import notices_on_workers
from issuer.tasks.queue import InProcessQueue, create_task_queue
from issuer.tasks.resume import UnderWay
from issuer.web.batch_verifier import BatchVerifier
from issuer.web.checkpoints import PeriodicCheckpoints
from issuer.web.console.install import install_console
from issuer.web.console.routes import imports as console_imports
from issuer.web.error_handlers import install_problem_handlers
from issuer.web.issuer_card import issuer_card_of
from issuer.web.local_verifier import (
    build_local_sd_jwt_vc_verifier,
    build_local_verifier,
    stays_in_process,
)
from issuer.web.lookup import CertificateNumbers, LocalLookup
from issuer.web.metrics import Metrics
from issuer.web.middleware.body_limit import PerPathBodyLimit
from issuer.web.middleware.rate_limit import RateLimiter, RateLimitMiddleware, parse_rate
from issuer.web.middleware.request_log import RequestContext
from issuer.web.middleware.security_headers import SecurityHeaders
from issuer.web.notices import PeriodicNotices
from issuer.web.openapi import document_problems
from issuer.web.presentation_checker import build_presentation_checker
from issuer.web.routes import (
    approvals,
    audit,
    catalog,
    credential_search,
    credential_types,
    credentials,
    documents,
    exports,
    health,
    holder_wallet,
    holders,
    imports,
    keys,
    oid4vci,
    oid4vci_offers,
    presentation_requests,
    principals,
    public,
    share_pages,
    status_lists,
    tokens,
    vc_api,
    verify_batch,
    verify_links,
    view_links,
)
from issuer.web.routes.notices import router as notices_router
from verifier.verification import Verifier
from verifier.web.api import VERIFY_PAGE_PATH, create_verify_router
from verifier.web.api_docs import install_api_docs
from verifier.web.upload import MAX_UPLOAD_BYTES
from verifier.web.vc_api import create_vc_api_router

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """Build the app; a missing key or unusable database fails here, with one clear line, and
    so does an issuer identity that is not stored or that ``TESSERA_BASE_URL`` contradicts."""
    use_encoder(settings.qr_encoder)
    services = services or Services.from_settings(settings)
    services.check_identity()
    with services.sessions() as session:
        services.signer(session)  # fail at start-up, not on the first request
    _purge_bundles(services)
    checkpoints = (
        PeriodicCheckpoints(services, settings.audit_checkpoint_interval_seconds)
        if settings.audit_checkpoint_interval_seconds
        else None
    )
    # Notices: this thread on SQLite (and in_process); on PostgreSQL `tessera worker` sends.
    notices = (
        PeriodicNotices(services, settings.notice_interval_seconds)
        if settings.notices_on
        and settings.notice_interval_seconds
        and not notices_on_workers(settings)
        else None
    )

    # Long jobs (bundles): procrastinate's queue on PostgreSQL, this process on SQLite.
    task_queue = create_task_queue(services)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for worker in (checkpoints, notices):
            if worker is not None:
                worker.start()
        if isinstance(task_queue, InProcessQueue):
            # Jobs run here: what a stopped server left under way (issuer/tasks/resume.py).
            left = task_queue.left_under_way()
            if left is not None:
                threading.Thread(
                    target=_resume, args=(task_queue, left), name="tessera-resume", daemon=True
                ).start()
        try:
            yield
        finally:
            for worker in (checkpoints, notices):
                if worker is not None:
                    worker.stop()
            task_queue.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Tessera",
        version="0.1.0",
        summary="Portable skill credentials: issue, verify, revoke.",
        # Starlette's trailing-slash redirects build an absolute URL from the Host header:
        # off, so no answer ever points at a host the client named (docs/security.md).
        redirect_slashes=False,
        docs_url=None,  # /docs from this server's own files, under the CSP (decision 0037)
        redoc_url=None,
    )
    install_api_docs(app)
    metrics = Metrics()
    metrics.count_commits(services.sessions)
    services.publisher.on_lookup = metrics.publisher_lookup
    app.state.services = services
    app.state.task_queue = task_queue
    app.state.metrics = metrics
    app.state.verifier = build_local_verifier(services, on_remote_lookup=metrics.remote_lookup)
    # SD-JWT VC presentations (wallets): the same keys, and the lists as Token Status Lists.
    app.state.sd_jwt_vc_verifier = build_local_sd_jwt_vc_verifier(services)
    app.state.certificate_numbers = CertificateNumbers(services)
    install_problem_handlers(app)
    base_url = services.base_url
    verify_router = create_verify_router(
        app.state.verifier,
        run_in_thread=_verify_in_thread(settings, app.state.verifier, base_url),
        on_result=metrics.observe_verification,
        lookup=LocalLookup(services, app.state.verifier, _limiter(settings.lookup_rate_limit)),
        describe=app.state.certificate_numbers,
        # The packed-link page verifies in the browser, which fetches this server's own
        # documents only (CSP connect-src 'self'): it trusts this issuer (decision 0028).
        page_issuers=[base_url],
        offline_max_age=dt.timedelta(seconds=settings.verify_keys_max_age_seconds),
        issuer_card=issuer_card_of(services),  # the verify page names this issuer
        time_zone=lambda: verify_links.profile_time_zone(services),
    )
    # First: routes are matched in order, and verification is the busiest public route.
    app.include_router(verify_router, tags=["verify"])
    app.state.batch_verifier = BatchVerifier(services, app.state.verifier, settings)
    app.include_router(verify_batch.router)
    for module in (health, public, verify_links, credential_search, credentials, catalog):
        app.include_router(module.router)
    for module in (status_lists, credential_types, principals, tokens, keys, audit, approvals):
        app.include_router(module.router)
    # issue 5: campaigns, certificates, sharing
    for module in (imports, documents, share_pages, view_links, holder_wallet):
        app.include_router(module.router)
    app.include_router(holders.router)
    app.include_router(notices_router)  # the outbox's counts (decision 0066)
    # issue 17: exports written by jobs (decision 0065)
    app.include_router(exports.router)
    # issue 16: an employer asks a holder's wallet (OpenID4VP)
    app.state.presentation_checker = build_presentation_checker(
        app.state.sd_jwt_vc_verifier, services.base_url
    )
    app.include_router(presentation_requests.router)
    # issue 16: wallets (OpenID4VCI)
    app.include_router(oid4vci.router)
    app.include_router(oid4vci_offers.router)
    # The W3C VC-API (decision 0055): issuing for admins, verifying for anyone.
    app.include_router(vc_api.router)
    did_issuers = frozenset(i for i in settings.trusted_issuers if i.startswith("did:key:"))
    app.include_router(create_vc_api_router(app.state.verifier, embedded_proof_issuers=did_issuers))
    app.include_router(keys.public_router)
    install_console(app)
    app.add_middleware(
        PerPathBodyLimit,
        max_bytes=settings.max_body_bytes,
        overrides={
            imports.IMPORTS_PATH: settings.import_max_bytes,
            holders.HOLDERS_PATH: holders.MAX_PHOTO_BODY,
            # The console's upload form: the file plus a few fields' worth of multipart.
            console_imports.IMPORTS_PAGE: settings.import_max_bytes + 65_536,
            verify_batch.API_PATH: settings.verify_batch_max_bytes,
            verify_batch.BATCH_PAGE_PATH: settings.verify_batch_max_bytes,
            # The verify page's file form: the route reads at most MAX_UPLOAD_BYTES itself and
            # answers a larger file with the page, the limit in words; far larger, this 413.
            VERIFY_PAGE_PATH: 4 * MAX_UPLOAD_BYTES,
        },
    )
    limiter = _limiter(settings.rate_limit)
    if limiter is not None:
        app.add_middleware(RateLimitMiddleware, limiter=limiter)
    # Outermost last: every answer, 413s and 429s included, gets the headers and a request id.
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext, metrics=metrics)
    if settings.forwarded_allow_ips:
        # Outermost of all: the client address and scheme every layer sees (the rate limit,
        # HSTS) come from X-Forwarded-For/-Proto only when the peer is a named proxy.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    document_problems(app)
    return app


def _verify_in_thread(
    settings: Settings, verifier: Verifier, base_url: str
) -> bool | Callable[[str], bool]:
    """Where ``POST /api/v1/verify`` runs a verification: on the event loop or in a thread.

    Verification reads one status-list revision from the database. On SQLite that is a local
    read of microseconds: verifying this issuer's own credentials on the event loop beats a
    thread hop (about 1.8x the throughput, docs/performance.md). A networked database keeps
    it off the loop, and so does anything that may fetch another issuer's keys or lists
    (decision 0022): a slow partner must never hold the loop. A server that trusts no other
    issuer has no partner to fetch from, so nothing needs to be read to decide (decision
    0063)."""
    if not settings.is_sqlite:
        return True
    if len(verifier.trusted_issuers) == 1 and base_url in verifier.trusted_issuers:
        return False
    return lambda text: not stays_in_process(base_url, text)


def _resume(queue: InProcessQueue, left: UnderWay) -> None:
    try:
        queue.resume(left)
    except Exception:  # the server serves on; the work waits for the next start
        log.exception("work left under way could not be taken up again")


def _limiter(rate_limit: str) -> RateLimiter | None:
    rate = parse_rate(rate_limit)
    return RateLimiter(*rate) if rate is not None else None


def _purge_bundles(services: Services) -> None:
    """Delete expired bundles at start-up; a failure here is logged, never fatal."""
    try:
        purge_expired_bundles(services)
    except (SQLAlchemyError, OSError):
        log.warning("expired bundles could not be purged at start-up", exc_info=True)


def app_from_environment() -> FastAPI:
    """Factory for ``uvicorn --factory`` and ``tessera serve``: settings from the environment."""
    app = create_app(load_settings())
    prepare_process()  # after start-up: issuer/runtime.py
    return app
