"""``tessera principals``: the people and service accounts that hold API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from issuer.access.principals import create_principal, disable_principal, list_principals
from issuer.cli.context import actor, command_services
from issuer.store.engine import session_scope
from issuer.vocabulary import PrincipalKind, Role, either

principals_app = typer.Typer(
    help="Principals: people and service accounts holding API tokens.", no_args_is_help=True
)


@principals_app.command("list")
def principals_list(ctx: typer.Context) -> None:
    """Every principal: id, kind, role, units, enabled or disabled, name."""
    with command_services(ctx, read_only=True) as services, services.sessions() as session:
        for record in list_principals(session):
            state = "disabled" if record.disabled_at is not None else "enabled"
            typer.echo(
                f"{record.id:4}  {record.kind:7}  {record.role:9}  "
                f"{','.join(record.units) or '-':12}  {state:8}  {record.name}"
            )


@principals_app.command("create")
def principals_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="the person's or service's name")],
    role: Annotated[str, typer.Option(help=either(Role))],
    kind: Annotated[str, typer.Option(help=either(PrincipalKind))] = PrincipalKind.PERSON.value,
    unit: Annotated[
        list[str] | None, typer.Option(help="unit code (registrars; repeatable)")
    ] = None,
) -> None:
    """Create a principal (as the operator: directly, audited). `tessera tokens create
    --principal ID` then gives it a token."""
    with command_services(ctx) as services:
        with session_scope(services.sessions) as session:
            record = create_principal(
                session,
                name=name,
                kind=kind,
                role=role,
                units=unit or [],
                actor=actor(),
                now=services.clock(),
            )
            done = f"principal {record.id} ({record.kind}, {record.role}) created"
        typer.echo(done)


@principals_app.command("disable")
def principals_disable(ctx: typer.Context, principal_id: int) -> None:
    """Disable a principal: every token of it stops working at once."""
    with command_services(ctx) as services:
        with session_scope(services.sessions) as session:
            disable_principal(session, principal_id, actor=actor(), now=services.clock())
        typer.echo(f"principal {principal_id} disabled")
