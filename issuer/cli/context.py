"""What every ``tessera`` command shares: the settings, the services, the acting operator."""

from __future__ import annotations

import os

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


def services_of(ctx: typer.Context, *, require_schema: bool = True) -> Services:
    """Services built from the command's settings; their connections close with the command,
    also when it fails."""
    services = Services.from_settings(settings_of(ctx), require_schema=require_schema)
    ctx.call_on_close(services.engine.dispose)
    return services
