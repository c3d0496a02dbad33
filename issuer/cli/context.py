"""What every ``tessera`` command shares: the settings, the services, the acting operator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from issuer.config import Settings
from issuer.services import Services
from issuer.store.audit import Actor


def actor() -> Actor:
    """The operator running the command, as the audit log names it."""
    return Actor(name=f"cli:{os.environ.get('USER', 'operator')}")


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the ``tessera`` callback loaded from the environment."""
    settings: Settings = ctx.obj
    return settings


def services_of(
    ctx: typer.Context, *, require_schema: bool = True, read_only: bool = False
) -> Services:
    """Services built from the command's settings; their connections close with the command,
    also when it fails. A command that changes anything refuses to run unless this database
    stores the issuer's identity and ``TESSERA_BASE_URL``, if set, agrees with it;
    ``read_only`` commands (lists, the audit checks) run regardless."""
    services = Services.from_settings(
        settings_of(ctx), require_schema=require_schema, require_identity=not read_only
    )
    ctx.call_on_close(services.engine.dispose)
    return services


@contextmanager
def command_services(ctx: typer.Context, *, read_only: bool = False) -> Iterator[Services]:
    """``services_of`` for one command, its database connections closed at the end."""
    services = services_of(ctx, read_only=read_only)
    try:
        yield services
    finally:
        services.engine.dispose()
