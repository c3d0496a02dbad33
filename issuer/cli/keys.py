"""``tessera keys``: generate, rotate, list; mark compromised and re-issue what a key signed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from issuer.cli.context import actor, services_of
from issuer.credentials.reissue_runs import plan_reissue, reissue_progress
from issuer.errors import ConfigurationError
from issuer.keys.keystore import active_key, compromise_key, create_signing_key, key_path, list_keys
from issuer.services import Services
from issuer.store.audit import record_event
from issuer.store.engine import session_scope
from issuer.store.models import ReissueRun
from issuer.tasks.queue import WorkerQueue
from issuer.tasks.reissue import run_reissue
from issuer.vocabulary import AuditAction

keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)


@keys_app.command("generate")
def keys_generate(ctx: typer.Context) -> None:
    """Create the first signing key (ES256 unless TESSERA_KEY_ALGORITHM says EdDSA)."""
    services = services_of(ctx)
    with services.key_transaction() as session:
        if active_key(session) is not None:
            raise ConfigurationError("an active key exists; use `tessera keys rotate`")
        create_active_key(services, session)


@keys_app.command("rotate")
def keys_rotate(ctx: typer.Context) -> None:
    """Make a new key active; the old one is retired but stays published."""
    services = services_of(ctx)
    with services.key_transaction() as session:
        old = active_key(session)
        create_active_key(services, session)
        if old is not None:
            typer.echo(f"retired {old.kid} (still published in the JWKS)")


def create_active_key(services: Services, session: Session) -> None:
    """Create a new active signing key (retiring the old one), audited; prints where it is."""
    settings, now = services.settings, services.clock()
    record = create_signing_key(
        session, settings.keys_dir, settings.read_passphrase(), settings.key_algorithm, now=now
    )
    record_event(
        session,
        actor(),
        AuditAction.KEY_CREATE,
        record.kid,
        now=now,
        details={"algorithm": record.algorithm},
    )
    typer.echo(
        f"active key {record.kid} ({record.algorithm}) at {key_path(settings.keys_dir, record.kid)}"
    )


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """Every key with its state: active, retired or compromised."""
    services = services_of(ctx, read_only=True)
    with services.sessions() as session:
        for record in list_keys(session):
            typer.echo(
                f"{record.kid}  {record.algorithm:6}  {record.state:11}  "
                f"created {record.created_at:%Y-%m-%d %H:%M}Z"
            )


def keys_compromise(
    ctx: typer.Context,
    kid: Annotated[str, typer.Argument(help="the key id (thumbprint)")],
    at: Annotated[
        dt.datetime, typer.Option(help="when the key leaked (UTC)", formats=["%Y-%m-%dT%H:%M:%S"])
    ],
) -> None:
    """Mark a key compromised: everything it signed fails verification (`key_compromised`).
    If it is the active key, a new active key is made first."""
    services = services_of(ctx)
    settings, now = services.settings, services.clock()
    with services.key_transaction() as session:
        key, replacement = compromise_key(
            session,
            kid,
            compromised_at=at.replace(tzinfo=dt.UTC),
            keys_dir=settings.keys_dir,
            passphrase=settings.read_passphrase(),
            algorithm=settings.key_algorithm,
            now=now,
        )
        if replacement is not None:
            record_event(session, actor(), AuditAction.KEY_CREATE, replacement.kid, now=now)
        record_event(
            session,
            actor(),
            AuditAction.KEY_COMPROMISE,
            key.kid,
            now=now,
            details={"compromised_at": at.replace(tzinfo=dt.UTC).isoformat()},
        )
    typer.echo(f"key {kid} marked compromised; it is gone from the JWKS")
    if replacement is not None:
        typer.echo(f"active key is now {replacement.kid}")
    typer.echo(f"next: tessera keys reissue {kid}")


def keys_reissue(
    ctx: typer.Context,
    kid: Annotated[str, typer.Argument(help="the compromised key id")],
    on_workers: Annotated[
        bool,
        typer.Option("--on-workers", help="queue the jobs for `tessera worker` (PostgreSQL)"),
    ] = False,
) -> None:
    """Re-issue every active or suspended credential signed by a key, with the active key,
    chunk by chunk (TESSERA_REISSUE_CHUNK_SIZE), each chunk its own transaction."""
    services = services_of(ctx)
    with session_scope(services.sessions) as session:
        plan = plan_reissue(
            session,
            kid,
            active_kid=services.issuer(session).signer.kid,
            actor=actor(),
            requested_by=None,
            approval_id=None,
            chunk_size=services.settings.reissue_chunk_size,
            now=services.clock(),
        )
    if on_workers:
        queue = WorkerQueue(services)  # refuses SQLite: procrastinate needs PostgreSQL
        try:
            queue.start_reissue(plan)
        finally:
            queue.close()
        typer.echo(f"re-issue queued: {plan.chunks} jobs for `tessera worker` (run {plan.run_id})")
        return
    if not run_reissue(services, plan):  # a server started meanwhile took it up
        typer.echo(f"re-issue run {plan.run_id} is running in another process")
        return
    with services.read_sessions() as session:
        progress = reissue_progress(session, session.get_one(ReissueRun, plan.run_id))
    typer.echo(f"re-issued {progress.reissued} credentials signed by {kid}")


keys_app.command("compromise")(keys_compromise)
keys_app.command("reissue")(keys_reissue)
