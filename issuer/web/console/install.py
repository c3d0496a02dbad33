"""``install_console``: the console's routes, its static files and its sign-in redirect."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from issuer.web.console.errors import sign_in_redirect
from issuer.web.console.identity import SignInRequired
from issuer.web.console.routes import approvals, audit, home, keys, sign_in


def install_console(app: FastAPI) -> None:
    for module in (sign_in, home, approvals, keys, audit):
        app.include_router(module.router)
    app.mount(
        "/console/static",
        StaticFiles(packages=[("issuer.web.console", "static")]),
        name="console-static",
    )
    app.add_exception_handler(SignInRequired, sign_in_redirect)
