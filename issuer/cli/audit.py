"""``tessera audit``: verify and export the tamper-evident audit log and its checkpoints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from issuer.cli.context import services_of
from issuer.errors import InvalidInputError, IssuerErrorCode
from issuer.keys.audit_checkpoints import (
    check_audit,
    create_checkpoint,
    read_checkpoint,
    stored_checkpoints,
)
from issuer.store.engine import session_scope
from issuer.tasks.export_files import audit_parts

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
checkpoints_app = typer.Typer(help="Signed checkpoints of the audit chain.", no_args_is_help=True)
audit_app.add_typer(checkpoints_app, name="checkpoints")


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="checkpoints exported earlier (tessera audit checkpoints export) and kept "
            "elsewhere: the chain must still hold each one's event with the same hash",
        ),
    ] = None,
) -> None:
    """Recompute the hash chain; name the first edited, deleted or reordered event.

    The checkpoints stored in the database are checked too; a file of checkpoints kept
    elsewhere also shows newest events deleted, or the whole chain rewritten.
    """
    kept = _read_checkpoints(checkpoints) if checkpoints is not None else []
    services = services_of(ctx, read_only=True)
    try:
        with services.sessions() as session:
            signed = [read_checkpoint(session, token) for token in kept]
            check = check_audit(session, signed)
    finally:
        services.engine.dispose()
    report = check.chain
    if not report.ok:
        typer.echo(f"audit log BROKEN at event {report.first_bad_id}: {report.problem}", err=True)
        raise typer.Exit(1)
    if check.problems:
        typer.echo(f"audit log BROKEN: {check.problems[0]}", err=True)
        raise typer.Exit(1)
    against = f", {len(kept)} kept checkpoints match" if checkpoints is not None else ""
    typer.echo(f"audit log intact: {report.events} events, chain verified{against}")


def _read_checkpoints(path: Path) -> list[str]:
    """The checkpoints of a file, one compact JWS a line; one clear error if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise InvalidInputError(
            f"checkpoint file {path} cannot be read ({reason})",
            code=IssuerErrorCode.INVALID_CHECKPOINT,
        ) from None
    tokens = [line.strip() for line in text.splitlines() if line.strip()]
    if not tokens:
        raise InvalidInputError(
            f"checkpoint file {path} holds no checkpoints", code=IssuerErrorCode.INVALID_CHECKPOINT
        )
    return tokens


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context) -> None:
    """Sign the chain's current head with the issuer's key and store the checkpoint."""
    services = services_of(ctx)
    try:
        with session_scope(services.sessions) as session:
            record = create_checkpoint(
                session,
                services.signer(session),
                issuer=services.base_url,
                now=services.clock(),
            )
            event_id, kid = record.event_id, record.kid
    finally:
        services.engine.dispose()
    typer.echo(
        f"checkpoint signed with key {kid} at event {event_id}; export the checkpoints "
        "(tessera audit checkpoints export FILE) and keep the file elsewhere"
    )


@checkpoints_app.command("export")
def checkpoints_export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="the file to write: one signed checkpoint a line")],
) -> None:
    """Write every stored checkpoint to FILE, to keep apart from the database."""
    services = services_of(ctx)
    try:
        with services.sessions() as session:
            tokens = [row.token for row in stored_checkpoints(session)]
    finally:
        services.engine.dispose()
    path.write_text("".join(f"{token}\n" for token in tokens), encoding="utf-8")
    typer.echo(f"exported {len(tokens)} checkpoints to {path}")


@audit_app.command("export")
def audit_export(ctx: typer.Context) -> None:
    """Every event as JSON lines on stdout, hashes included (the bytes of ``GET
    /api/v1/audit/export``; ``POST /api/v1/exports?kind=audit`` writes them as a job)."""
    services = services_of(ctx, read_only=True)
    out = sys.stdout.buffer
    with services.sessions() as session:
        for data, _rows in audit_parts(session):
            out.write(data)
    out.flush()
