"""``page``: a console template rendered with the issuer's time zone and profile names."""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse

from issuer.services import Services
from issuer.web.console.identity import ConsoleUser
from issuer.web.console.templates import render


def page(
    services: Services,
    template: str,
    *,
    user: ConsoleUser | None,
    csrf: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` for ``user`` (``None`` on the sign-in page, which passes its own ``csrf``)."""
    with services.read_sessions() as session:
        profile = services.profile(session)
    return render(
        template,
        user=user,
        csrf=csrf if csrf is not None else (user.csrf if user else ""),
        time_zone=profile.time_zone,
        status_code=status_code,
        issuer_zh=profile.name_zh,
        issuer_en=profile.name_en,
        **context,
    )
