"""``tessera worker``: run background jobs (bundles, exports) against the configured database.

docs/operations.md ("Workers") says where and how many.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from issuer.cli.context import settings_of
from issuer.errors import ConfigurationError
from issuer.tasks.worker import WorkerOptions, run_workers


def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="worker processes (one job at a time each)")
    ] = 1,
    heartbeat: Annotated[
        float, typer.Option(min=0.5, max=300, help="seconds between a worker's heartbeats")
    ] = 10.0,
    stalled_after: Annotated[
        float,
        typer.Option(
            min=1, max=3600, help="seconds of silence after which a worker's job runs again"
        ),
    ] = 30.0,
    housekeeping_every: Annotated[
        float,
        typer.Option(
            min=0.5,
            max=86_400,
            help="seconds between rounds that queue again work left without a job and "
            "delete old finished jobs and abandoned files",
        ),
    ] = 60.0,
) -> None:
    """Run background jobs (bundles, exports) until stopped; PostgreSQL only (SQLite runs them in
    the server's process)."""
    settings = settings_of(ctx)
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        raise ConfigurationError(
            "tessera worker needs PostgreSQL; on SQLite the server runs jobs itself"
        )
    if stalled_after <= heartbeat:
        raise typer.BadParameter("--stalled-after must be longer than --heartbeat")
    options = WorkerOptions(
        processes=concurrency,
        heartbeat=heartbeat,
        stalled_after=stalled_after,
        housekeeping=housekeeping_every,
    )
    run_workers(settings, options)


def register(app: typer.Typer) -> None:
    """Add ``tessera worker``."""
    app.command("worker")(worker)
