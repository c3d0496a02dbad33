"""``tessera import``, ``bundle``, ``share`` and ``demo load``: a whole exam campaign."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from issuer.campaigns.bundle import purge_expired_bundles, request_bundle
from issuer.campaigns.bundle_chunks import build_bundle, plan_bundle
from issuer.campaigns.csv_export import render_csv, render_rows
from issuer.campaigns.demo import load_demo
from issuer.campaigns.import_run import (
    ImportRequest,
    count_outcomes,
    iter_import_rows,
    list_import_rows,
    run_import,
    start_import,
)
from issuer.campaigns.photos import import_photos
from issuer.campaigns.row_report import REPORT_HEADER, decode_problems, report_record
from issuer.campaigns.rows import RowProblem
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
from issuer.errors import InvalidInputError
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import ShareLink
from issuer.tasks.queue import WorkerQueue
from issuer.web.console import import_words
from verifier.i18n import Lang, say, text

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
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV, XLSX or XLS")
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

    Exit status: 0 when every row is valid; 1 when any row is invalid (every problem of
    every row is printed, the first 50 rows; valid rows are issued all the same unless
    --dry-run), or when the file is refused as a whole; 2 for a wrong command line.
    """
    services = services_of(ctx)
    request = ImportRequest(path=file, filename=file.name, dry_run=dry_run, actor=actor())
    try:
        with session_scope(services.sessions) as session:
            job = start_import(
                session, request, max_rows=services.settings.import_max_rows, now=services.clock()
            )
            job_id, total = job.id, job.total_rows
    except InvalidInputError as exc:
        typer.echo(_refusal(exc), err=True)
        raise typer.Exit(1) from None
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
        outcomes = count_outcomes(session, job_id)
        shown = list_import_rows(session, job_id, limit=_SHOWN_PROBLEMS, offset=0, status="invalid")
    for row in shown:
        for problem in decode_problems(row.column, row.reason):
            typer.echo(_problem_line(row.row_number, problem))
    invalid = outcomes.get("invalid", 0)
    if invalid > _SHOWN_PROBLEMS:
        typer.echo(say("import.cli.more", Lang.BOTH, count=invalid - _SHOWN_PROBLEMS))
    if report is not None:
        _write_report(services, job_id, report)
    counts = {
        "id": job_id,
        "rows": job.processed_rows,
        "issued": job.issued,
        "would_issue": outcomes.get("ok", 0),
        "already_issued": job.already_issued,
        "not_passed": outcomes.get("not_passed", 0),
        "invalid": job.failed,
    }
    summary = "import.cli.summary_dry_run" if dry_run else "import.cli.summary"
    typer.echo(say(summary, Lang.BOTH, sep="\n", **counts))
    if photos is not None:
        _import_photos(services, photos, dry_run=dry_run)
    if job.failed:
        raise typer.Exit(1)


def _write_report(services: Services, job_id: str, path: Path) -> None:
    """Every row's outcome to ``path``, a page at a time: memory does not grow with the
    import (decision 0061)."""
    with services.read_sessions() as session, path.open("wb") as handle:
        handle.write(render_csv(REPORT_HEADER, ()))
        page: list[tuple[object, ...]] = []
        for row in iter_import_rows(session, job_id):
            page.append(report_record(row))
            if len(page) >= 1000:
                handle.write(render_rows(page))
                page = []
        handle.write(render_rows(page))


def _problem_line(row_number: int, problem: RowProblem) -> str:
    """``第 7 行 考试日期：… / row 7: Exam date: … (exam_date: invalid_date)``."""
    column = import_words.COLUMNS.get(problem.column or "")
    reason = import_words.words(import_words.ROW_REASONS, problem.reason)
    zh, en = (
        text("import.cli.problem", lang, row=row_number, column=name, reason=words)
        for lang, name, words in (
            (Lang.ZH, column.zh if column else "—", reason.zh),
            (Lang.EN, column.en if column else "-", reason.en),
        )
    )
    return f"{zh} / {en} ({problem.column or '-'}: {problem.reason})"


def _refusal(exc: InvalidInputError) -> str:
    """A refused file in both languages, with its code (and the details it gives)."""
    words = import_words.words(import_words.FILE_ERRORS, exc.code)
    zh = text("import.cli.refused", Lang.ZH, words=words.zh)
    en = text("import.cli.refused", Lang.EN, words=words.en)
    detail = str(exc)  # the details a message gives (the missing columns), unless only words
    plain = detail in (words.zh, words.en, f"{words.zh} / {words.en}")
    return f"error: {zh}\n{en}\n({exc.code}{'' if plain else ': ' + detail})"


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
    on_workers: Annotated[
        bool,
        typer.Option("--on-workers", help="queue the jobs for `tessera worker` (PostgreSQL)"),
    ] = False,
) -> None:
    """Render an import's bundle: .jwt, badge PNG and PDF per holder, and manifest.csv."""
    services = services_of(ctx)
    if on_workers:
        queue = WorkerQueue(services)  # refuses SQLite: procrastinate needs PostgreSQL
        with session_scope(services.sessions) as session:
            request_bundle(session, import_id)
            plan = plan_bundle(
                session,
                import_id,
                actor=actor(),
                units=None,
                chunk_size=services.settings.bundle_chunk_size,
                services=services,
            )
        try:
            queue.start_bundle(plan)
        finally:
            queue.close()
        typer.echo(f"bundle queued: {plan.chunks} jobs for `tessera worker`")
        return
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
