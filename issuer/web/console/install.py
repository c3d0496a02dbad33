"""``install_console``: the console's routes, its static files and its sign-in redirect."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from issuer.web.console.errors import enrolment_redirect, sign_in_redirect
from issuer.web.console.identity import EnrolmentRequired, SignInRequired
from issuer.web.console.routes import (
    account,
    approvals,
    audit,
    credential,
    credential_actions,
    exports,
    home,
    imports,
    keys,
    organisation,
    profile,
    reissue,
    search,
    second_factor,
    sign_in,
    sso,
    users,
    wallet_offers,
)

SECTIONS = (
    sign_in,
    sso,
    second_factor,
    home,
    account,
    search,
    exports,
    credential,
    credential_actions,
    wallet_offers,
    reissue,
    imports,
    organisation,
    profile,
    users,
    approvals,
    keys,
    audit,
)


def install_console(app: FastAPI) -> None:
    for module in SECTIONS:
        app.include_router(module.router)
    app.mount(
        "/console/static",
        StaticFiles(packages=[("issuer.web.console", "static")]),
        name="console-static",
    )
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    app.add_exception_handler(EnrolmentRequired, enrolment_redirect)
