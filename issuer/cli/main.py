"""The ``tessera`` command: its groups, and domain errors as one line and exit status 1.

Each command group lives in a module of its own; ``issuer.cli.context`` holds what they share.
"""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import SQLAlchemyError

from issuer.cli import (
    approvals,
    audit,
    campaigns,
    credentials,
    identity,
    keys,
    notices,
    operations,
    organisation,
    principals,
    setup,
    tokens,
    users,
    worker,
)
from issuer.config import load_settings
from issuer.credentials.qr import use_encoder
from issuer.errors import IssuerError, IssuerErrorCode
from issuer.runtime import prepare_process
from issuer.services import peek_stored_base_url
from issuer.web.error_handlers import database_problem
from verifier.cli import verify_command

app = typer.Typer(
    help="Tessera: portable skill credentials.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _load(ctx: typer.Context) -> None:
    settings = load_settings()
    use_encoder(settings.qr_encoder)  # QR codes are drawn by the library chosen here
    if ctx.invoked_subcommand == "verify" and settings.base_url is None:
        # `tessera verify` trusts this issuer: the identity stored in its database, if any.
        stored = peek_stored_base_url(settings)
        if stored is not None:
            settings = settings.model_copy(update={"base_url": stored})
    ctx.obj = settings


setup.register(app)
app.add_typer(keys.keys_app, name="keys")
app.add_typer(tokens.tokens_app, name="tokens")
app.add_typer(principals.principals_app, name="principals")
app.add_typer(users.users_app, name="users")
credentials.register(app)
campaigns.register(app)
app.add_typer(approvals.approvals_app, name="approvals")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(notices.notices_app, name="notices")
identity.register(app)
organisation.register(app)
operations.register(app)
worker.register(app)
app.command("verify")(verify_command)


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
        if code == IssuerErrorCode.DATABASE_UNAVAILABLE:
            detail = f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
        typer.echo(f"error: {detail}", err=True)
        sys.exit(1)
