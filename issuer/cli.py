"""The ``tessera`` command.

Domain errors end in one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from issuer import migration
from issuer.audit import Actor, record_event
from issuer.campaign_cli import bundle_command, import_command, share_command
from issuer.config import Settings, load_settings
from issuer.db import session_scope
from issuer.demo import load_demo
from issuer.errors import ConfigurationError, IssuerError
from issuer.issuance import IssueRequest, issue_credentials
from issuer.lifecycle_cli import register as register_lifecycle_commands
from issuer.models import ApiToken, Credential
from issuer.operations_cli import register as register_operations_commands
from issuer.problems import database_problem
from issuer.qr import use_encoder
from issuer.registry import REASON_CODES, find_credential, get_credential, revoke_credential
from issuer.runtime import prepare_process
from issuer.schemas import CredentialResponse
from issuer.services import Services
from issuer.signing import active_key, create_signing_key, key_path, list_keys
from issuer.tokens import check_units_exist, create_token, list_tokens, revoke_token
from verifier.cli import verify_command

app = typer.Typer(
    help="Tessera: portable skill credentials.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
tokens_app = typer.Typer(help="Registrar API tokens.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo campaign.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(tokens_app, name="tokens")
app.add_typer(demo_app, name="demo")
register_lifecycle_commands(app, keys_app)
register_operations_commands(app)


def _actor() -> Actor:
    """The operator running the command, as the audit log names it."""
    return Actor(name=f"cli:{os.environ.get('USER', 'operator')}")


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _services(ctx: typer.Context, *, require_schema: bool = True) -> Services:
    return Services.from_settings(_settings(ctx), require_schema=require_schema)


@app.callback()
def _load(ctx: typer.Context) -> None:
    settings = load_settings()
    use_encoder(settings.qr_encoder)  # QR codes are drawn by the library chosen here
    ctx.obj = settings


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the newest schema."""
    services = _services(ctx, require_schema=False)
    migration.upgrade(services.engine)
    typer.echo("database is at the newest schema")


@keys_app.command("generate")
def keys_generate(ctx: typer.Context) -> None:
    """Create the first signing key (ES256 unless TESSERA_KEY_ALGORITHM says EdDSA)."""
    services = _services(ctx)
    with services.key_transaction() as session:
        if active_key(session) is not None:
            raise ConfigurationError("an active key exists; use `tessera keys rotate`")
        _new_key(services, session)


@keys_app.command("rotate")
def keys_rotate(ctx: typer.Context) -> None:
    """Make a new key active; the old one is retired but stays published."""
    services = _services(ctx)
    with services.key_transaction() as session:
        old = active_key(session)
        _new_key(services, session)
        if old is not None:
            typer.echo(f"retired {old.kid} (still published in the JWKS)")


def _new_key(services: Services, session: Session) -> None:
    settings, now = services.settings, services.clock()
    record = create_signing_key(
        session, settings.keys_dir, settings.read_passphrase(), settings.key_algorithm, now=now
    )
    record_event(
        session,
        _actor(),
        "key.create",
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
    services = _services(ctx)
    with services.sessions() as session:
        for record in list_keys(session):
            typer.echo(
                f"{record.kid}  {record.algorithm:6}  {record.state:11}  "
                f"created {record.created_at:%Y-%m-%d %H:%M}Z"
            )


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help="admin, registrar or auditor")],
    name: Annotated[str, typer.Option(help="who or what uses the token")] = "cli",
    unit: Annotated[
        list[str] | None, typer.Option(help="unit code (registrars; repeatable)")
    ] = None,
    expires_in_days: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """Create an API token. The token itself is printed once, on the last line."""
    services = _services(ctx)
    now = services.clock()
    expires = now + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with session_scope(services.sessions) as session:
        check_units_exist(session, unit or [])
        record, plain = create_token(
            session, name=name, role=role, units=unit or [], now=now, expires_at=expires
        )
        record_event(
            session,
            _actor(),
            "token.create",
            f"token:{record.id}",
            now=now,
            details={"role": role, "units": record.units},
        )
    typer.echo(f"token {record.id} ({role}) created; it is shown once:")
    typer.echo(plain)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context) -> None:
    """Every token (never the token itself): id, prefix, role, units, state."""
    services = _services(ctx)
    now = services.clock()
    with services.sessions() as session:
        for record in list_tokens(session):
            if record.revoked_at:
                state = "revoked"
            elif record.expires_at and record.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            typer.echo(
                f"{record.id:4}  {record.prefix}…  {record.role:9}  "
                f"{','.join(record.units) or '-':12}  {state:8}  {record.name}"
            )


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: int) -> None:
    """Revoke a token: it stops working at once."""
    services = _services(ctx)
    now = services.clock()
    with session_scope(services.sessions) as session:
        revoke_token(session, token_id, now=now)
        record_event(session, _actor(), "token.revoke", f"token:{token_id}", now=now)
    typer.echo(f"token {token_id} revoked")


@demo_app.command("load")
def demo_load(ctx: typer.Context) -> None:
    """Load the demo campaign (1,391 candidates); a second run issues nothing new."""
    services = _services(ctx)
    with session_scope(services.sessions) as session:
        result = load_demo(session, issuer=services.issuer(session), now=services.clock())
    typer.echo(
        f"demo campaign: {result.issued} credentials issued, "
        f"{result.already_present} already present"
    )


@app.command()
def issue(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="holder's full name")],
    employee_number: Annotated[str, typer.Option()],
    occupation: Annotated[str, typer.Option(help="national occupation code")],
    level: Annotated[str, typer.Option(help="junior, intermediate or senior")],
    unit: Annotated[str, typer.Option(help="unit code")],
    exam_date: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    exam_session: Annotated[str, typer.Option()],
    score: Annotated[float | None, typer.Option()] = None,
    national_id: Annotated[
        str | None, typer.Option(help="kept in the database only, never in the credential")
    ] = None,
    birth_date: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="kept in the database only"),
    ] = None,
    valid_until: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full record as JSON")] = False,
) -> None:
    """Issue one credential and print its id, number, verify URL and token."""
    services = _services(ctx)
    now = services.clock()
    request = IssueRequest(
        holder_name=name,
        employee_number=employee_number,
        occupation=occupation,
        level=level,
        unit=unit,
        exam_date=exam_date.date(),
        exam_session=exam_session,
        score=score,
        national_id=national_id,
        birth_date=birth_date.date() if birth_date else None,
        valid_until=valid_until.replace(tzinfo=dt.UTC) if valid_until else None,
    )
    with session_scope(services.sessions) as session:
        [credential_id] = issue_credentials(
            session, [request], issuer=services.issuer(session), actor=_actor(), now=now
        )
        session.flush()
        row = get_credential(session, credential_id)
        response = CredentialResponse.of(row, services.settings.base_url)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    typer.echo(f"issued {response.id} ({response.number})")
    typer.echo(f"verify: {response.qr_text}")
    typer.echo(response.credential)


app.command("verify")(verify_command)
# Issue 5: a whole exam campaign (issuer/campaign_cli.py).
app.command("import")(import_command)
app.command("bundle")(bundle_command)
app.command("share")(share_command)


@app.command()
def revoke(
    ctx: typer.Context,
    credential: Annotated[str, typer.Argument(help="credential id or certificate number")],
    reason: Annotated[str, typer.Option(help=f"one of: {', '.join(REASON_CODES)}")],
    note: Annotated[str | None, typer.Option(help="free text for the record")] = None,
) -> None:
    """Revoke a credential for good; verifiers see `revoked` with the reason category."""
    services = _services(ctx)
    with session_scope(services.sessions) as session:
        row = find_credential(session, credential)
        revoke_credential(
            session, row.id, reason=reason, note=note, actor=_actor(), now=services.clock()
        )
        number = row.number
    typer.echo(f"revoked {row.id} ({number}): {reason}")


@app.command()
def init(ctx: typer.Context) -> None:
    """First-run set-up for development: passphrase, schema, key, admin token, demo campaign.

    Development only: production installs run `tessera db upgrade`, `tessera keys generate`
    and `tessera tokens create` themselves (docs/keys.md), and never load demo data.
    """
    settings = _settings(ctx)
    if settings.environment != "development":
        raise ConfigurationError("`tessera init` is for development; see docs/keys.md")
    passphrase_file = settings.passphrase_path()
    if passphrase_file is not None and not passphrase_file.exists():
        _write_secret(passphrase_file, secrets.token_urlsafe(32))
        typer.echo(
            f"created a development key passphrase at {passphrase_file} (mode 0600); "
            "set TESSERA_KEY_PASSPHRASE_FILE to your own in production"
        )
    services = _services(ctx, require_schema=False)
    migration.upgrade(services.engine)
    with services.key_transaction() as session:
        if active_key(session) is None:
            _new_key(services, session)
        if session.scalar(select(func.count()).select_from(ApiToken)) == 0:
            record, plain = create_token(
                session, name="first admin", role="admin", units=[], now=services.clock()
            )
            record_event(
                session,
                _actor(),
                "token.create",
                f"token:{record.id}",
                now=services.clock(),
                details={"role": "admin", "units": []},
            )
            _write_secret(settings.admin_token_file, plain)
            typer.echo(f"created the first admin API token in {settings.admin_token_file}")
    with session_scope(services.sessions) as session:
        if session.scalar(select(func.count()).select_from(Credential)) == 0:
            result = load_demo(session, issuer=services.issuer(session), now=services.clock())
            typer.echo(f"loaded the demo campaign: {result.issued} credentials")
        else:
            total = session.scalar(select(func.count()).select_from(Credential))
            typer.echo(f"database already holds {total} credentials")


def _write_secret(path: Path, value: str) -> None:
    """Write ``value`` to ``path`` with mode 0600 from the start, replacing any old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    temporary.replace(path)


def main() -> None:
    """Entry point: run the CLI, turning domain errors into one line and exit status 1."""
    prepare_process()
    try:
        app()
    except IssuerError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        code, detail = database_problem(exc)
        if code == "database_unavailable":
            detail = f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
        typer.echo(f"error: {detail}", err=True)
        sys.exit(1)
