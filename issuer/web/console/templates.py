"""Jinja2 for the console: autoescaped templates from this package, one ``render`` for all.

``render`` gives every template the signed-in person (``me``), the CSRF token (``csrf``),
the navigation that person may use (``nav``) and a ``localtime`` filter that shows a UTC
time in the issuer's time zone with the zone named.

Words come from the message catalogues (``verifier/i18n.py``) through four globals: ``w(key)``
is the HTML of both languages (the English in a ``lang="en"`` span), ``plain(key)`` both as
text for attributes (``中文 English``), and ``zh(key)`` / ``en(key)`` one language where a
template lays them out itself. The console shows both languages side by side
(docs/decisions/0047-languages.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from issuer.access.policy import OVERSEER_ROLES, WRITER_ROLES
from issuer.vocabulary import Role
from issuer.web.console.identity import ConsoleUser
from verifier.i18n import Lang, say, say_html, text
from verifier.labels import Label

_env = Environment(
    loader=PackageLoader("issuer.web.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,  # a missing value is an error in the tests, not a blank
    trim_blocks=True,
    lstrip_blocks=True,
)


def _both_html(key: str, /, **values: object) -> Markup:
    return Markup(say_html(key, Lang.BOTH, **values))  # noqa: S704 - say_html escapes


def _both_text(key: str, /, *, sep: str = " ", **values: object) -> str:
    return say(key, Lang.BOTH, sep=sep, **values)


_env.globals.update(
    w=_both_html,
    plain=_both_text,
    zh=lambda key, /, **values: text(key, Lang.ZH, **values),
    en=lambda key, /, **values: text(key, Lang.EN, **values),
)


@dataclass(frozen=True)
class NavItem:
    href: str
    label: Label


def navigation(role: str) -> list[NavItem]:
    """The console's sections this role may open; write-only sections are left out."""
    items = [
        NavItem("/console/", Label("console.nav.dashboard")),
        NavItem("/console/credentials", Label("console.nav.credentials")),
    ]
    if role in WRITER_ROLES | OVERSEER_ROLES:  # overseers read every import
        items.append(NavItem("/console/imports", Label("console.nav.imports")))
    items.append(NavItem("/console/approvals", Label("console.nav.approvals")))
    if role == Role.ADMIN:
        items += [
            NavItem("/console/organisation", Label("console.nav.organisation")),
            NavItem("/console/users", Label("console.nav.users")),
        ]
    if role in OVERSEER_ROLES:  # auditors read the keys and the log; only admins act
        items.append(NavItem("/console/keys", Label("console.nav.keys")))
        items.append(NavItem("/console/audit", Label("console.nav.audit")))
    items.append(NavItem("/console/account", Label("console.nav.account")))
    return items


def local_time(value: dt.datetime | None, zone: str) -> str:
    """``2026-12-04 18:30 (Asia/Shanghai)``: a stored UTC time where the issuer is."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return f"{value.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


def render(
    template: str,
    *,
    user: ConsoleUser | None,
    csrf: str,
    time_zone: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    page = _env.get_template(template).render(
        me=user,
        csrf=csrf,
        nav=navigation(user.principal.role) if user is not None else [],
        localtime=lambda value: local_time(value, time_zone),
        time_zone=time_zone,
        **context,
    )
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    return HTMLResponse(page, status_code=status_code, headers=all_headers)
