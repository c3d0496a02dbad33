"""``tessera identity``: the issuer's public base URL, stored once in the database.

``tessera init`` and ``tessera db upgrade`` store it when none is stored (``settle_identity``);
``tessera identity set-base-url`` changes it deliberately
(docs/decisions/0017-issuer-identity.md).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from issuer.cli.context import actor, services_of
from issuer.config import normalise_base_url
from issuer.errors import ConfigurationError, InvalidInputError
from issuer.services import Services
from issuer.store.audit import record_event
from issuer.store.engine import session_scope
from issuer.store.identity import change_base_url, same_base_url, store_base_url
from issuer.vocabulary import AuditAction

identity_app = typer.Typer(help="The issuer's identity (public base URL).", no_args_is_help=True)

IDENTITY_TARGET = "issuer"


def serving_address() -> str:
    """Where ``tessera serve`` listens by default: ``http://{HOST}:{PORT}`` from the
    environment (127.0.0.1 and 8000 when unset), as ``make run`` passes them."""
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


def settle_identity(services: Services) -> None:
    """Store the issuer's identity if the database has none (from ``TESSERA_BASE_URL``, else
    the serving address), check that ``TESSERA_BASE_URL`` agrees, and say which is in force."""
    configured = services.settings.base_url
    if configured is not None:
        candidate, source = configured, "TESSERA_BASE_URL"
    else:
        address = serving_address()
        try:
            candidate = normalise_base_url(address)
        except ValueError:
            raise ConfigurationError(
                f"the serving address {address} (HOST, PORT) is not a usable public base URL: "
                "set TESSERA_BASE_URL"
            ) from None
        source = "the serving address (HOST, PORT)"
    now = services.clock()
    with session_scope(services.sessions) as session:
        stored_now = store_base_url(session, candidate, now=now)
        if stored_now:
            record_event(
                session,
                actor(),
                AuditAction.ISSUER_BASE_URL_SET,
                IDENTITY_TARGET,
                now=now,
                details={"base_url": candidate, "source": source},
            )
    services.load_identity()
    base_url = services.check_identity()
    if stored_now:
        typer.echo(f"issuer identity (public base URL): {base_url}, stored now from {source}")
    else:
        typer.echo(f"issuer identity (public base URL): {base_url}")


@identity_app.command("show")
def identity_show(ctx: typer.Context) -> None:
    """Print the issuer's identity: the public base URL signed into every credential."""
    services = services_of(ctx, read_only=True)
    try:
        typer.echo(services.base_url)
        configured = services.settings.base_url
        if configured is not None and not same_base_url(configured, services.base_url):
            typer.echo(
                f"TESSERA_BASE_URL ({configured}) differs from it: this environment cannot sign",
                err=True,
            )
    finally:
        services.engine.dispose()


@identity_app.command("set-base-url")
def identity_set_base_url(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="the new public base URL, e.g. https://certs.example")],
) -> None:
    """Change the issuer's identity. Credentials already issued keep the old one."""
    try:
        new = normalise_base_url(url)
    except ValueError:
        raise InvalidInputError(
            f"{url} is not a public base URL: it must be an absolute http(s) URL "
            "without query or fragment"
        ) from None
    services = services_of(ctx, read_only=True)
    configured = services.settings.base_url
    if configured is not None and not same_base_url(configured, new):
        raise ConfigurationError(
            f"TESSERA_BASE_URL ({configured}) differs from {new}: "
            "unset it or set it to the new base URL"
        )
    now = services.clock()
    try:
        with session_scope(services.sessions) as session:
            old = change_base_url(session, new, now=now)
            if old != new:
                record_event(
                    session,
                    actor(),
                    AuditAction.ISSUER_BASE_URL_CHANGE,
                    IDENTITY_TARGET,
                    now=now,
                    details={"old": old, "new": new},
                )
    finally:
        services.engine.dispose()
    if old == new:
        typer.echo(f"the issuer's identity is already {new}; nothing changed")
        return
    typer.echo(
        "\n".join(
            [
                f"issuer identity changed: {old} -> {new}",
                "New credentials, status lists, QR codes and links use the new base URL.",
                f"Credentials already issued still name {old} as their issuer: they verify only",
                f"where {old} is trusted (e.g. add it to TESSERA_TRUSTED_ISSUERS), and their",
                "status lists and keys are looked up there. If the old address goes away,",
                "re-issue them. Restart every running server so that it takes the new identity,",
                "and set TESSERA_BASE_URL to the new value wherever it is set.",
            ]
        )
    )


def register(app: typer.Typer) -> None:
    """Add the ``identity`` group to the ``tessera`` app."""
    app.add_typer(identity_app, name="identity")
