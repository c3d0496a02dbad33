"""``tessera notices``: send the holders' notices now (cron, one-shot) and count the outbox."""

from __future__ import annotations

import typer

from issuer.cli.context import command_services
from issuer.credentials.notices import outbox_counts
from issuer.documents.notice_delivery import deliver_due, scan_expiring
from issuer.errors import ConfigurationError

notices_app = typer.Typer(
    help="Notices to holders by e-mail (TESSERA_SMTP_URL).", no_args_is_help=True
)


@notices_app.command("send")
def send_command(ctx: typer.Context) -> None:
    """Queue the expiry notices now due and send every notice due, then exit."""
    with command_services(ctx) as services:
        if not services.settings.notices_on:
            raise ConfigurationError("TESSERA_SMTP_URL is not set: no notices are sent")
        queued = scan_expiring(services)
        report = deliver_due(services, limit=1_000_000)
    typer.echo(
        f"sent {report.sent}, to retry {report.retrying}, given up {report.failed}, "
        f"expiry notices queued {queued}"
    )


@notices_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """How many notices are pending, sent and given up."""
    with command_services(ctx, read_only=True) as services, services.read_sessions() as session:
        counts = outbox_counts(session)
    typer.echo(", ".join(f"{state} {count}" for state, count in counts.items()))
