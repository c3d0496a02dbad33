"""``tessera catalog`` and ``tessera profile``: the organisation's units, occupations and the
issuer's profile, as an administrator sets them up (decision 0036)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from issuer.campaigns.catalog_file import CatalogReport, import_catalog
from issuer.cli.context import actor, command_services
from issuer.credentials.profile import ProfileChange, set_profile
from issuer.errors import InvalidInputError, IssuerErrorCode
from issuer.store.engine import session_scope

catalog_app = typer.Typer(help="The catalog: units and occupations.", no_args_is_help=True)
profile_app = typer.Typer(help="The issuer's profile: names, contact, colour, logo, seal.")
SAMPLE = "docs/samples/catalog-sample.csv"
IMPORT_HINT = f"the catalog is empty: import one with `tessera catalog import FILE` (see {SAMPLE})"


def report_lines(report: CatalogReport) -> list[str]:
    """The import's outcome in plain words, one line each."""
    if report.problem_count:
        lines = [str(problem) for problem in report.problems]
        hidden = report.problem_count - len(report.problems)
        if hidden:
            lines.append(f"... and {hidden} more")
        lines.append(f"{report.problem_count} problems in {report.rows} rows: nothing changed")
        return lines
    verb = "" if report.applied else "would be "
    parts = []
    for noun, kind in (
        ("units", report.changes.units),
        ("occupations", report.changes.occupations),
    ):
        parts.append(
            f"{noun}: {len(kind.created)} {verb}created, {len(kind.updated)} {verb}updated, "
            f"{len(kind.unchanged)} unchanged"
        )
    return ["; ".join(parts)]


@catalog_app.command("import")
def catalog_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX catalog file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; change nothing.")] = False,
) -> None:
    """Import units and occupations from FILE: every row is checked first, then all of them
    are applied, or none."""
    if not file.is_file():
        raise InvalidInputError(f"no such file: {file}", code=IssuerErrorCode.MISSING_FILE)
    with command_services(ctx) as services, session_scope(services.sessions) as session:
        report = import_catalog(session, file, actor=actor(), now=services.clock(), dry_run=dry_run)
    for line in report_lines(report):
        typer.echo(line, err=bool(report.problem_count))
    if report.problem_count:
        raise typer.Exit(1)


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None


@profile_app.command("set")
def profile_set(
    ctx: typer.Context,
    name_zh: Annotated[str | None, typer.Option(help="The issuer's name in Chinese.")] = None,
    name_en: Annotated[str | None, typer.Option(help="The issuer's name in English.")] = None,
    contact: Annotated[str | None, typer.Option(help="Address, telephone, e-mail.")] = None,
    time_zone: Annotated[str | None, typer.Option(help="IANA name, e.g. Asia/Shanghai.")] = None,
    colour: Annotated[
        str | None,
        typer.Option(help="The certificate's colour, #rrggbb, legible on white (>= 4.5:1)."),
    ] = None,
    logo: Annotated[Path | None, typer.Option(help="A PNG or JPEG logo.")] = None,
    seal: Annotated[Path | None, typer.Option(help="A PNG or JPEG seal image.")] = None,
    clear_logo: Annotated[bool, typer.Option("--clear-logo")] = False,
    clear_seal: Annotated[bool, typer.Option("--clear-seal")] = False,
    clear_colour: Annotated[
        bool, typer.Option("--clear-colour", help="Back to the house colour.")
    ] = False,
) -> None:
    """Set parts of the issuer's profile; what is not given stays as it is."""
    change = ProfileChange(
        name_zh=name_zh,
        name_en=name_en,
        contact=contact,
        time_zone=time_zone,
        colour=colour,
        logo=_read(logo),
        seal=_read(seal),
        clear=tuple(
            k
            for k, on in (("logo", clear_logo), ("seal", clear_seal), ("colour", clear_colour))
            if on
        ),
    )
    with command_services(ctx) as services, session_scope(services.sessions) as session:
        profile = set_profile(
            session,
            change,
            fallback_name=services.settings.issuer_name,
            actor=actor(),
            now=services.clock(),
        )
    _show(profile.summary())


@profile_app.command("show")
def profile_show(ctx: typer.Context) -> None:
    """The issuer's profile in force (settings stand in for what is not set)."""
    with command_services(ctx, read_only=True) as services, services.read_sessions() as session:
        _show(services.profile(session).summary())


def _show(summary: dict[str, object]) -> None:
    for name, value in summary.items():
        typer.echo(f"{name}: {value if value is not None else '-'}")


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
    app.add_typer(profile_app, name="profile", no_args_is_help=True)
