"""``tessera init`` and ``tessera db upgrade``: a database, the issuer's identity and a key to
start with."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.access.principals import create_principal_with_token
from issuer.access.users import create_user, list_users
from issuer.campaigns.demo import load_demo
from issuer.cli.context import actor, services_of, settings_of
from issuer.cli.identity import settle_identity
from issuer.cli.keys import create_active_key
from issuer.cli.organisation import IMPORT_HINT
from issuer.config import DEV_PASSPHRASE_FILE
from issuer.credentials.catalog_admin import ensure_levels
from issuer.keys.keystore import active_key
from issuer.services import Services
from issuer.store import migration
from issuer.store.engine import session_scope
from issuer.store.models import ApiToken, Credential, Occupation
from issuer.store.private_files import create_private_file, private_dir
from issuer.vocabulary import PrincipalKind, Role

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the newest schema; store the issuer's identity if none is."""
    services = services_of(ctx, require_schema=False)
    try:
        migration.upgrade(services.engine)
        typer.echo("database is at the newest schema")
        settle_identity(services)
        with session_scope(services.sessions) as session:
            ensure_levels(session)
    finally:
        services.engine.dispose()


def init(
    ctx: typer.Context,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo campaign also outside development.")
    ] = False,
) -> None:
    """First-run set-up: schema, the issuer's identity, the skill levels, a signing key, the
    first admin token; in development (or with --demo) also a key passphrase and the demo
    campaign.

    In production (TESSERA_ENVIRONMENT=production) the passphrase is yours to set and the
    catalog starts empty: import yours with `tessera catalog import FILE`.
    """
    settings = settings_of(ctx)
    development = settings.environment == "development"
    if development:
        # var/ holds the development passphrase, the admin token, the database and bundles.
        private_dir(DEV_PASSPHRASE_FILE.parent, narrow=True)
    passphrase_file = settings.passphrase_path() if development else None
    if passphrase_file is not None and not passphrase_file.exists():
        _write_secret(passphrase_file, secrets.token_urlsafe(32))
        typer.echo(
            f"created a development key passphrase at {passphrase_file} (mode 0600); "
            "set TESSERA_KEY_PASSPHRASE_FILE to your own in production"
        )
    services = services_of(ctx, require_schema=False)
    migration.upgrade(services.engine)
    settle_identity(services)
    with services.key_transaction() as session:
        if active_key(session) is None:
            create_active_key(services, session)
        if session.scalar(select(func.count()).select_from(ApiToken)) == 0:
            _owner, _record, plain = create_principal_with_token(
                session,
                name="first admin",
                kind=PrincipalKind.PERSON,
                role=Role.ADMIN,
                units=[],
                actor=actor(),
                now=services.clock(),
            )
            _write_secret(settings.admin_token_file, plain)
            typer.echo(f"created the first admin API token in {settings.admin_token_file}")
    with session_scope(services.sessions) as session:
        ensure_levels(session)
        total = session.scalar(select(func.count()).select_from(Credential))
        if total:
            typer.echo(f"database already holds {total} credentials")
        elif development or demo:
            result = load_demo(session, issuer=services.issuer(session), now=services.clock())
            typer.echo(f"loaded the demo campaign: {result.issued} credentials")
        if development and not list_users(session):
            _first_console_admin(session, services, settings.admin_token_file.parent)
        elif not session.scalar(select(func.count()).select_from(Occupation)):
            typer.echo(IMPORT_HINT)


DEV_CONSOLE_ADMIN = "admin@example.com"


def _first_console_admin(session: Session, services: Services, var: Path) -> None:
    """Development only: a console admin with a random password in a 0600 file, so that
    `make run` opens a console one can sign in to (production: `tessera users create`)."""
    password = secrets.token_urlsafe(18)
    create_user(
        session,
        email=DEV_CONSOLE_ADMIN,
        role=Role.ADMIN,
        units=[],
        name="Development admin",
        password=password,
        actor=actor(),
        now=services.clock(),
    )
    path = var / "console-admin-password"
    _write_secret(path, password)
    typer.echo(
        f"created a console admin: sign in at /console/ as {DEV_CONSOLE_ADMIN} "
        f"with the password in {path}"
    )


def _write_secret(path: Path, value: str) -> None:
    """Write ``value`` to ``path`` with mode 0600 from the start, replacing any old file."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    with create_private_file(temporary) as handle:
        handle.write((value + "\n").encode("utf-8"))
    temporary.replace(path)


def register(app: typer.Typer) -> None:
    """Add ``init`` and the ``db`` group to the ``tessera`` app."""
    app.command()(init)
    app.add_typer(db_app, name="db")
