"""``tessera users``: the people who sign in to the registrar console."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from issuer.access.console_sessions import end_all_sessions
from issuer.access.totp import reset_totp
from issuer.access.users import create_user, find_user, list_users, set_password
from issuer.cli.context import actor, command_services
from issuer.errors import NotFoundError
from issuer.store.engine import session_scope
from issuer.vocabulary import Role, either

users_app = typer.Typer(
    help="Console users: people who sign in at /console/ with an e-mail and a password.",
    no_args_is_help=True,
)

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="read the password from the first line of standard input (never an argument)",
    ),
]


def _read_password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


@users_app.command("create")
def users_create(
    ctx: typer.Context,
    email: str,
    role: Annotated[str, typer.Option(help=either(Role))],
    unit: Annotated[
        list[str] | None, typer.Option(help="unit code (registrars; repeatable)")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="the person's name (default: the e-mail)")
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a console user. Without --password-stdin the user can sign in only through
    single sign-on, until a password is set with `tessera users set-password`."""
    password = _read_password(password_stdin)
    with command_services(ctx) as services:
        with session_scope(services.sessions) as session:
            record = create_user(
                session,
                email=email,
                role=role,
                units=unit or [],
                name=name,
                password=password,
                actor=actor(),
                now=services.clock(),
            )
            done = f"user {record.email} created (principal {record.id}, {record.role})"
        typer.echo(done)


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """Every console user: principal id, role, units, state, e-mail, name."""
    with command_services(ctx, read_only=True) as services, services.sessions() as session:
        now = services.clock()
        for record in list_users(session):
            if record.disabled_at is not None:
                state = "disabled"
            elif record.locked_until is not None and record.locked_until > now:
                state = "locked"
            else:
                state = "enabled"
            second = "totp" if record.totp_secret else "-"
            typer.echo(
                f"{record.id:4}  {record.role:9}  {','.join(record.units) or '-':12}  "
                f"{state:8}  {second:4}  {record.email}  {record.name}"
            )


@users_app.command("set-password")
def users_set_password(
    ctx: typer.Context, email: str, password_stdin: PasswordStdin = False
) -> None:
    """Set a user's password (from standard input) and lift a lock-out."""
    password = _read_password(password_stdin)
    if password is None:
        raise typer.BadParameter("give the new password on standard input with --password-stdin")
    with command_services(ctx) as services:
        with session_scope(services.sessions) as session:
            record = find_user(session, email)
            if record is None:
                raise NotFoundError("no such user")
            set_password(session, record, password, actor=actor(), now=services.clock())
        typer.echo(f"password of {email} set")


@users_app.command("sign-out")
def users_sign_out(ctx: typer.Context, email: str) -> None:
    """End every console session of a user (a lost laptop, a leaving employee)."""
    with command_services(ctx) as services:
        with session_scope(services.sessions) as session:
            record = find_user(session, email)
            if record is None:
                raise NotFoundError("no such user")
            ended = end_all_sessions(session, record.id)
        typer.echo(f"{ended} session(s) of {email} ended")


@users_app.command("reset-totp")
def users_reset_totp(ctx: typer.Context, email: str) -> None:
    """Remove a user's second factor (a lost phone); audited. They sign in with the password
    alone and set up a new one under My account."""
    with command_services(ctx) as services:
        with session_scope(services.sessions) as session:
            record = find_user(session, email)
            if record is None:
                raise NotFoundError("no such user")
            removed = reset_totp(session, record, actor=actor(), now=services.clock())
        typer.echo(
            f"second factor of {email} removed" if removed else f"{email} has no second factor"
        )
