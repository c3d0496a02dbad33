"""Errors on console pages answer as pages, in both languages, not as problem JSON.

The heading (by status) and, for codes a person can act on, what the refusal means come
from the message catalogues (``console.error.*``, ``console.problem.*``); the error's own
message and code follow as the API gives them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.errors import IssuerErrorCode
from issuer.services import Services
from issuer.web.console.identity import EnrolmentRequired, SignInRequired
from issuer.web.console.templates import render
from verifier.labels import Label

CONSOLE_PREFIX = "/console"

_HEADINGS = {
    400: Label("console.error.bad_request"),
    401: Label("console.error.sign_in_required"),
    403: Label("console.error.not_allowed"),
    404: Label("console.error.not_found"),
    409: Label("console.error.conflict"),
    413: Label("console.error.too_large"),
    422: Label("console.error.check_input"),
    429: Label("console.error.too_many"),
    503: Label("console.error.unavailable"),
}
_OTHER = Label("console.error.other")
# What a refusal means for the person, where the code alone says it; the error's own
# message stays below it, as the API gives it.
_MEANINGS: dict[str, Label] = {
    IssuerErrorCode.CSRF_FAILED: Label("console.problem.csrf_failed"),
    IssuerErrorCode.INVALID_FORM_TOKEN: Label("console.problem.invalid_form_token"),
    IssuerErrorCode.FORM_ALREADY_SUBMITTED: Label("console.problem.form_already_submitted"),
    IssuerErrorCode.PRINCIPAL_DISABLED: Label("console.problem.principal_disabled"),
    IssuerErrorCode.TOTP_ALREADY_ENABLED: Label("console.problem.totp_already_enabled"),
    IssuerErrorCode.TOTP_NOT_ENABLED: Label("console.problem.totp_not_enabled"),
    IssuerErrorCode.SSO_FAILED: Label("console.problem.sso_failed"),
    IssuerErrorCode.SSO_NO_ACCOUNT: Label("console.problem.sso_no_account"),
    IssuerErrorCode.SSO_UNAVAILABLE: Label("console.problem.sso_unavailable"),
}


def is_console(request: Request) -> bool:
    path = request.url.path
    return path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")


def error_page(request: Request, status: int, code: str, detail: str) -> HTMLResponse:
    """A plain page naming what went wrong; no navigation, so it renders without a user."""
    services: Services = request.app.state.services
    heading = _HEADINGS.get(status, _OTHER)
    try:
        with services.read_sessions() as session:
            time_zone = services.profile(session).time_zone
            names = services.profile(session)
            issuer_zh, issuer_en = names.name_zh, names.name_en
    except Exception:
        time_zone, issuer_zh, issuer_en = "UTC", "Tessera", "Tessera"
    return render(
        "error.html",
        user=None,
        csrf="",
        time_zone=time_zone,
        status_code=status,
        issuer_zh=issuer_zh,
        issuer_en=issuer_en,
        heading=heading.key,
        meaning=meaning.key if (meaning := _MEANINGS.get(code)) is not None else None,
        detail=detail,
        code=code,
        back="/console/",
    )


def sign_in_redirect(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(exc.location, status_code=303, headers={"Cache-Control": "no-store"})


def enrolment_redirect(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EnrolmentRequired)
    return RedirectResponse(exc.location, status_code=303, headers={"Cache-Control": "no-store"})
