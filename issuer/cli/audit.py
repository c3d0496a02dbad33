"""``tessera audit``: verify and export the tamper-evident audit log."""

from __future__ import annotations

import sys

import orjson
import typer

from issuer.cli.context import services_of
from issuer.store.audit import event_record, iter_events, verify_chain

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Recompute the hash chain; name the first edited, deleted or reordered event."""
    services = services_of(ctx, read_only=True)
    try:
        with services.sessions() as session:
            report = verify_chain(session)
    finally:
        services.engine.dispose()
    if not report.ok:
        typer.echo(f"audit log BROKEN at event {report.first_bad_id}: {report.problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {report.events} events, chain verified")


@audit_app.command("export")
def audit_export(ctx: typer.Context) -> None:
    """Every event as JSON lines on stdout, hashes included."""
    services = services_of(ctx, read_only=True)
    out = sys.stdout.buffer
    with services.sessions() as session:
        for event in iter_events(session):
            out.write(orjson.dumps(event_record(event), option=orjson.OPT_SORT_KEYS) + b"\n")
    out.flush()
