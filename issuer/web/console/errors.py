"""Errors on console pages answer as pages, in both languages, not as problem JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.services import Services
from issuer.web.console.identity import EnrolmentRequired, SignInRequired
from issuer.web.console.templates import render

CONSOLE_PREFIX = "/console"

_HEADINGS = {
    400: ("请求有误", "Bad request"),
    401: ("需要登录", "Sign-in required"),
    403: ("无权执行此操作", "Not allowed"),
    404: ("未找到", "Not found"),
    409: ("与现有记录冲突", "Conflict"),
    413: ("文件太大", "Too large"),
    422: ("输入有误", "Please check the input"),
    429: ("请求过多", "Too many requests"),
    503: ("暂时无法处理", "Temporarily unavailable"),
}


def is_console(request: Request) -> bool:
    path = request.url.path
    return path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")


def error_page(request: Request, status: int, code: str, detail: str) -> HTMLResponse:
    """A plain page naming what went wrong; no navigation, so it renders without a user."""
    services: Services = request.app.state.services
    zh, en = _HEADINGS.get(status, ("出错了", "Something went wrong"))
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
        heading_zh=zh,
        heading_en=en,
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
