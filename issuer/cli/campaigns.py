"""``tessera import``, ``bundle``, ``share`` and ``demo load``: a whole exam campaign."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from issuer.campaigns.bundle import build_bundle, purge_expired_bundles, request_bundle
from issuer.campaigns.csv_export import render_csv
from issuer.campaigns.demo import load_demo
from issuer.campaigns.import_run import (
    ImportRequest,
    list_import_rows,
    run_import,
    start_import,
)
from issuer.campaigns.photos import import_photos
from issuer.campaigns.rows import REASONS
from issuer.cli.context import actor, services_of
from issuer.credentials.lifecycle import (
    find_credential,
)
from issuer.documents.share_link import (
    create_share_link,
    list_share_links,
    revoke_share_links,
    share_url,
)
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import ShareLink

_SHOWN_PROBLEMS = 50
demo_app = typer.Typer(help="The demo campaign.", no_args_is_help=True)
bundles_app = typer.Typer(help="Download bundles of imports.", no_args_is_help=True)


def _link_state(link: ShareLink, now: dt.datetime) -> str:
    """``live``, ``revoked <time>`` or ``expired <time>``, as ``tessera share --list`` says."""
    if link.revoked_at is not None:
        return f"revoked {link.revoked_at.isoformat()}"
    if link.expires_at is not None and link.expires_at <= now:
        return f"expired {link.expires_at.isoformat()}"
    return "live"


def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or XLSX")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="validate every row; issue nothing")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="write every row's outcome to this CSV file")
    ] = None,
    photos: Annotated[
        Path | None,
        typer.Option(help="a folder or ZIP of <employee_number>.jpg|.jpeg|.png for certificates"),
    ] = None,
) -> None:
    """Import an exam campaign's results and issue every passed row, exactly once.

    Re-running the same file (after an interruption, even kill -9) issues only what is
    missing; rows already issued are reported as such. Column layout: docs/import-format.md.
    """
    services = services_of(ctx)
    request = ImportRequest(path=file, filename=file.name, dry_run=dry_run, actor=actor())
    with session_scope(services.sessions) as session:
        job = start_import(
            session, request, max_rows=services.settings.import_max_rows, now=services.clock()
        )
        job_id, total = job.id, job.total_rows
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("validating" if dry_run else "importing", total=total)
        job = run_import(
            services,
            job_id,
            request,
            on_progress=lambda done, _t: progress.update(task, completed=done),
        )
    with services.read_sessions() as session:
        rows = list_import_rows(session, job_id, limit=10_000_000, offset=0)
        problems = [r for r in rows if r.status == "invalid"]
        not_passed = sum(1 for r in rows if r.status == "not_passed")
        would_issue = sum(1 for r in rows if r.status == "ok")
    for row in problems[:_SHOWN_PROBLEMS]:
        reason = row.reason or ""
        typer.echo(
            f"row {row.row_number}: {row.column or '-'}: {reason} ({REASONS.get(reason, '')})"
        )
    if len(problems) > _SHOWN_PROBLEMS:
        typer.echo(
            f"... and {len(problems) - _SHOWN_PROBLEMS} more rows with problems (see --report)"
        )
    if report is not None:
        report.write_bytes(
            render_csv(
                ("row", "status", "column", "reason", "credential_id"),
                ((r.row_number, r.status, r.column, r.reason, r.credential_id) for r in rows),
            )
        )
    verb = f"{would_issue} would be issued" if dry_run else f"{job.issued} issued"
    typer.echo(
        f"import {job_id}: {job.processed_rows} rows; {verb}, {job.already_issued} already issued, "
        f"{not_passed} not passed, {job.failed} invalid"
    )
    if photos is not None:
        _import_photos(services, photos, dry_run=dry_run)


def _import_photos(services: Services, source: Path, *, dry_run: bool) -> None:
    """After the rows, so the holders exist (issuer/campaigns/photos.py)."""
    found = import_photos(services, source, actor=actor(), dry_run=dry_run)
    for name, reason in found.problems[:_SHOWN_PROBLEMS]:
        typer.echo(f"photo {name}: {reason}")
    verb = "would be stored" if dry_run else "stored"
    typer.echo(f"photos: {found.stored} {verb}, {len(found.problems)} refused")


def bundle_command(
    ctx: typer.Context,
    import_id: Annotated[str, typer.Argument(help="the import's id")],
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="render processes")] = None,
) -> None:
    """Render an import's bundle: .jwt, badge PNG and PDF per holder, and manifest.csv."""
    services = services_of(ctx)
    with session_scope(services.sessions) as session:
        request_bundle(session, import_id)
    path = build_bundle(services, import_id, actor=actor(), workers=workers)
    typer.echo(f"bundle written to {path}")


def share_command(
    ctx: typer.Context,
    credential: Annotated[str, typer.Argument(help="credential id or certificate number")],
    revoke: Annotated[
        bool, typer.Option("--revoke", help="revoke every live link instead")
    ] = False,
    link: Annotated[
        int | None,
        typer.Option(
            "--link", min=1, max=2_147_483_647, help="revoke only this link (id from --list)"
        ),
    ] = None,
    show: Annotated[
        bool, typer.Option("--list", help="list the links (ids and times, never the URLs)")
    ] = False,
    notify_on_open: Annotated[
        bool,
        typer.Option(
            "--notify-on-open", help="e-mail the holder when the link is opened (hourly at most)"
        ),
    ] = False,
) -> None:
    """Create a holder share link (printed once), list the credential's links, or revoke one
    link (--link ID) or all of them (--revoke)."""
    services = services_of(ctx)
    now = services.clock()
    with session_scope(services.sessions) as session:
        row = find_credential(session, credential)
        if show:
            lines = [
                f"{item.id}\tcreated {item.created_at.isoformat()}\t"
                + (f"view link of {item.parent_id}\t" if item.parent_id else "")
                + _link_state(item, now)
                for item in list_share_links(session, row.id)
            ]
            message = "\n".join(lines) or f"no share links for {row.number}"
        elif link is not None:
            revoke_share_links(session, row.id, actor=actor(), now=now, link_id=link)
            message = f"revoked share link {link} of {row.number}"
        elif revoke:
            count = revoke_share_links(session, row.id, actor=actor(), now=now)
            message = f"revoked {count} share links of {row.number}"
        else:
            _link, token = create_share_link(
                session, row.id, actor=actor(), now=now, notify_on_open=notify_on_open
            )
            message = share_url(services.base_url, token)
    typer.echo(message)


@bundles_app.command("purge")
def bundles_purge(ctx: typer.Context) -> None:
    """Delete bundles older than TESSERA_BUNDLE_TTL_HOURS (their share links stay valid)."""
    services = services_of(ctx)
    try:
        count = purge_expired_bundles(services)
    finally:
        services.engine.dispose()
    hours = services.settings.bundle_ttl_hours
    typer.echo(f"deleted {count} expired bundles (older than {hours} hours)")


@demo_app.command("load")
def demo_load(ctx: typer.Context) -> None:
    """Load the demo campaign (1,391 candidates); a second run issues nothing new."""
    services = services_of(ctx)
    with session_scope(services.sessions) as session:
        result = load_demo(session, issuer=services.issuer(session), now=services.clock())
    typer.echo(
        f"demo campaign: {result.issued} credentials issued, "
        f"{result.already_present} already present"
    )


def register(app: typer.Typer) -> None:
    """Add the campaign commands to the ``tessera`` app."""
    app.command("import")(import_command)
    app.command("bundle")(bundle_command)
    app.command("share")(share_command)
    app.add_typer(demo_app, name="demo")
    app.add_typer(bundles_app, name="bundles")
