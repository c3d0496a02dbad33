"""``tessera tokens``: API tokens of principals, shown once at creation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from issuer.access.principals import create_principal_with_token, get_principal, issue_token
from issuer.access.tokens import list_tokens, revoke_token, token_state
from issuer.cli.context import actor, command_services
from issuer.store.audit import record_event
from issuer.store.engine import session_scope
from issuer.vocabulary import AuditAction, PrincipalKind, Role, either

tokens_app = typer.Typer(help="API tokens of principals.", no_args_is_help=True)


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    role: Annotated[
        str | None, typer.Option(help=f"{either(Role)}; with --principal, default its role")
    ] = None,
    name: Annotated[str, typer.Option(help="who or what uses the token")] = "cli",
    unit: Annotated[
        list[str] | None, typer.Option(help="unit code (registrars; repeatable)")
    ] = None,
    principal: Annotated[
        int | None,
        typer.Option(help="the principal's id; without it, a new principal named --name"),
    ] = None,
    kind: Annotated[
        str, typer.Option(help=f"a new principal's kind: {either(PrincipalKind)}")
    ] = PrincipalKind.SERVICE.value,
    expires_in_days: Annotated[int | None, typer.Option(min=1, max=36_500)] = None,
) -> None:
    """Create an API token. Without --principal, a new principal (named --name, of --kind)
    holds it. The token itself is printed once, on the last line."""
    with command_services(ctx) as services:
        now = services.clock()
        expires = now + dt.timedelta(days=expires_in_days) if expires_in_days else None
        with session_scope(services.sessions) as session:
            if principal is None:
                if role is None:
                    raise typer.BadParameter("give --role (or --principal)", param_hint="--role")
                owner, record, plain = create_principal_with_token(
                    session,
                    name=name,
                    kind=kind,
                    role=role,
                    units=unit or [],
                    actor=actor(),
                    now=now,
                    expires_at=expires,
                )
            else:
                owner = get_principal(session, principal)
                record, plain = issue_token(
                    session,
                    owner,
                    name=name,
                    role=role,
                    units=unit,
                    actor=actor(),
                    now=now,
                    expires_at=expires,
                )
            summary = f"token {record.id} ({record.role}) of principal {owner.id} created"
        typer.echo(f"{summary}; it is shown once:")
        typer.echo(plain)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context) -> None:
    """Every token (never the token itself): id, principal, prefix, role, units, state."""
    with command_services(ctx, read_only=True) as services:
        now = services.clock()
        with services.sessions() as session:
            for record in list_tokens(session):
                state = token_state(record, now)
                typer.echo(
                    f"{record.id:4}  p{record.principal_id:<4} {record.prefix}…  {record.role:9}  "
                    f"{','.join(record.units) or '-':12}  {state:8}  {record.name}"
                )


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, token_id: int) -> None:
    """Revoke a token: it stops working at once."""
    with command_services(ctx) as services:
        now = services.clock()
        with session_scope(services.sessions) as session:
            revoke_token(session, token_id, now=now)
            record_event(session, actor(), AuditAction.TOKEN_REVOKE, f"token:{token_id}", now=now)
        typer.echo(f"token {token_id} revoked")
