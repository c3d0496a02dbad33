"""Operator commands: ``tessera serve``, ``backup``, ``restore`` and ``recount``.

docs/operations.md describes replicas, logs, metrics and backups.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from issuer.cli.context import settings_of
from issuer.config import Settings
from issuer.credentials import register_counts
from issuer.services import Services
from issuer.store.backup import create_backup, restore_backup
from issuer.store.engine import check_database, create_db_engine, session_scope
from issuer.web.metrics import MULTIPROCESS_ENV
from issuer.web.middleware.request_log import logging_config


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Serve the API, the verify page and the public documents."""
    settings = settings_of(ctx)
    services = Services.from_settings(settings)
    with services.sessions() as session:
        services.signer(session)
    services.engine.dispose()
    metrics_dir = None
    if workers > 1 and not os.environ.get(MULTIPROCESS_ENV):
        # Worker processes sum their metrics through files here (issuer/web/metrics.py).
        metrics_dir = tempfile.mkdtemp(prefix="tessera-metrics-")
        os.environ[MULTIPROCESS_ENV] = metrics_dir
    typer.echo(f"Tessera serving on http://{host}:{port} (public base URL {services.base_url})")
    # No access log: request paths carry credential ids (/v/<id>); the request log
    # (issuer/web/middleware/request_log.py) writes one line per request naming the route
    # template instead.
    try:
        _run(settings, host, port, workers)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _run(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "issuer.app:app_from_environment",
        access_log=False,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logging_config(settings.log_format),
        # The app itself believes X-Forwarded-* from TESSERA_FORWARDED_ALLOW_IPS only
        # (issuer/app.py); uvicorn's own default would trust 127.0.0.1.
        proxy_headers=False,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="the archive to write (a new .tar file)")],
) -> None:
    """Back up the database and the encrypted key files (never the passphrase)."""
    settings = settings_of(ctx)
    engine = create_db_engine(settings.database_url)
    check_database(engine)
    summary = create_backup(engine, settings.keys_dir, path)
    engine.dispose()
    typer.echo(
        f"backed up {summary.credentials} credentials and {summary.keys} keys "
        f"({summary.database}) to {path}; keep the key passphrase apart from it"
    )


def restore(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="an archive written by `tessera backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="replace a database that holds data")
    ] = False,
) -> None:
    """Restore the database and the key files from a backup archive."""
    settings = settings_of(ctx)
    engine = create_db_engine(settings.database_url)
    check_database(engine)
    summary = restore_backup(engine, settings.keys_dir, path, force=force)
    engine.dispose()
    typer.echo(f"restored {summary.credentials} credentials and {summary.keys} keys from {path}")


def recount(
    ctx: typer.Context,
    fold_only: Annotated[
        bool, typer.Option("--fold-only", help="merge the counts' rows, count nothing again")
    ] = False,
) -> None:
    """Rebuild the register's counts (the dashboard's figures) from the credentials."""
    services = Services.from_settings(settings_of(ctx))
    with session_scope(services.sessions) as session:
        if fold_only:
            register_counts.fold_counts(session)
        else:
            register_counts.recount(session)
    with services.read_sessions() as session:
        total = register_counts.count_in(session, unit_ids=None, state=None)
    services.engine.dispose()
    typer.echo(f"the register's counts hold {total} credentials")


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``backup``, ``restore`` and ``recount`` to the ``tessera`` app."""
    app.command()(serve)
    app.command()(backup)
    app.command()(restore)
    app.command()(recount)
