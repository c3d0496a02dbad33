"""``tessera tokens``: registrar API tokens, shown once at creation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from issuer.access.tokens import (
    check_units_exist,
    create_token,
    list_tokens,
    revoke_token,
    token_state,
)
from issuer.cli.context import actor, services_of
from issuer.store.audit import record_event
from issuer.store.engine import session_scope
from issuer.vocabulary import AuditAction, Role, either

tokens_app = typer.Typer(help="Registrar API tokens.", no_args_is_help=True)


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help=either(Role))],
    name: Annotated[str, typer.Option(help="who or what uses the token")] = "cli",
    unit: Annotated[
        list[str] | None, typer.Option(help="unit code (registrars; repeatable)")
    ] = None,
    expires_in_days: Annotated[int | None, typer.Option(min=1, max=36_500)] = None,
) -> None:
    """Create an API token. The token itself is printed once, on the last line."""
    services = services_of(ctx)
    now = services.clock()
    expires = now + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with session_scope(services.sessions) as session:
        check_units_exist(session, unit or [])
        record, plain = create_token(
            session, name=name, role=role, units=unit or [], now=now, expires_at=expires
        )
        record_event(
            session,
            actor(),
            AuditAction.TOKEN_CREATE,
            f"token:{record.id}",
            now=now,
            details={"role": role, "units": record.units},
        )
    typer.echo(f"token {record.id} ({role}) created; it is shown once:")
    typer.echo(plain)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context) -> None:
    """Every token (never the token itself): id, prefix, role, units, state."""
    services = services_of(ctx)
    now = services.clock()
    with services.sessions() as session:
        for record in list_tokens(session):
            state = token_state(record, now)
            typer.echo(
                f"{record.id:4}  {record.prefix}…  {record.role:9}  "
                f"{','.join(record.units) or '-':12}  {state:8}  {record.name}"
            )


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: int) -> None:
    """Revoke a token: it stops working at once."""
    services = services_of(ctx)
    now = services.clock()
    with session_scope(services.sessions) as session:
        revoke_token(session, token_id, now=now)
        record_event(session, actor(), AuditAction.TOKEN_REVOKE, f"token:{token_id}", now=now)
    typer.echo(f"token {token_id} revoked")
