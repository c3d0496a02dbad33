"""``/console/organisation/profile``: the issuer's names, contact, time zone, colour, logo
and seal.

Changed with ``set_profile``, as ``PUT /api/v1/profile`` does: the same checks, images
decoded and re-encoded as PNG (``clean_image``), audited as ``issuer.profile_set``. The
previews are served here to admins, since the seal is not public.
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.credentials.colour import HOUSE_COLOUR, MIN_CONTRAST, ColourError
from issuer.credentials.profile import (
    MAX_IMAGE_BYTES,
    ProfileChange,
    ProfileFieldError,
    set_profile,
)
from issuer.errors import NotFoundError
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.web.console.form_values import text, upload
from issuer.web.console.identity import ConsoleAdminDep, ConsoleUser, UserFormDep
from issuer.web.console.pages import page
from issuer.web.deps import ReadSessionDep, ServicesDep
from issuer.web.middleware.request_log import current_request_id
from verifier.i18n import both
from verifier.labels import Label

router = APIRouter(prefix="/console/organisation/profile", include_in_schema=False)
HOME = "/console/organisation/profile"
TEXT_FIELDS = ("name_zh", "name_en", "contact", "time_zone", "colour")
ImageKind = Literal["logo", "seal"]
DONE = {
    "profile": Label("console.profile.done.profile"),
    "logo": Label("console.profile.done.logo"),
    "seal": Label("console.profile.done.seal"),
    "removed": Label("console.profile.done.removed"),
}


def _done_words(done: str | None) -> tuple[str, str] | None:
    """What the page says after a change (``?done=``), in both languages."""
    label = DONE.get(done or "")
    return (label.zh, label.en) if label is not None else None


@cache
def time_zones() -> list[str]:
    """IANA zone names for the time zone list (the same set ``check_time_zone`` accepts)."""
    return sorted(zoneinfo.available_timezones())


def _form(
    services: Services,
    user: ConsoleUser,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    with services.read_sessions() as session:
        profile = services.profile(session)
    shown = values or {
        "name_zh": profile.name_zh,
        "name_en": profile.name_en,
        "contact": profile.contact or "",
        "time_zone": profile.time_zone,
        "colour": profile.colour or "",
    }
    return page(
        services,
        "organisation/profile.html",
        user=user,
        current="/console/organisation",
        status_code=422 if errors else 200,
        profile=profile,
        values=shown,
        errors=errors or {},
        done=_done_words(done),
        time_zones=time_zones(),
        max_kib=MAX_IMAGE_BYTES // 1024,
        colour_words={
            "label": both("profile.colour.label"),
            "hint": both("profile.colour.hint", house=HOUSE_COLOUR, ratio=MIN_CONTRAST),
        },
        shown_colour=profile.certificate_colour,
    )


def _refusal(error: ProfileFieldError) -> dict[str, str]:
    """The refused field and the message shown beside it; the colour's in both languages."""
    refused = error.refused
    if not isinstance(refused, ColourError):
        return {error.field: str(error)}
    if refused.contrast is None:
        zh, en = both("profile.colour.malformed")
    else:
        ratio = f"{refused.contrast:.1f}"
        zh, en = both("profile.colour.too_pale", ratio=ratio, needed=MIN_CONTRAST)
    return {"colour": f"{zh} {en}"}


def _apply(services: Services, user: ConsoleUser, change: ProfileChange) -> None:
    with session_scope(services.sessions) as session:
        set_profile(
            session,
            change,
            fallback_name=services.settings.issuer_name,
            actor=user.principal.actor(current_request_id()),
            now=services.clock(),
        )


@router.get("")
def profile_form(
    user: ConsoleAdminDep,
    services: ServicesDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    return _form(services, user, done=done)


@router.post("")
def save_profile(user: ConsoleAdminDep, form: UserFormDep, services: ServicesDep) -> Response:
    """Names, contact, time zone and colour; an empty contact leaves the stored one (as the
    API), an empty colour is the house colour."""
    values = {name: text(form, name) for name in TEXT_FIELDS}
    colour = values["colour"].strip()
    change = ProfileChange(
        name_zh=values["name_zh"],
        name_en=values["name_en"],
        contact=values["contact"] if values["contact"].strip() else None,
        time_zone=values["time_zone"],
        colour=colour or None,
        clear=() if colour else ("colour",),
    )
    try:
        _apply(services, user, change)
    except ProfileFieldError as error:
        return _form(services, user, values=values, errors=_refusal(error))
    return RedirectResponse(f"{HOME}?done=profile", status_code=303)


@router.post("/{kind}")
def upload_image(
    kind: ImageKind, user: ConsoleAdminDep, form: UserFormDep, services: ServicesDep
) -> Response:
    """A PNG or JPEG, checked and re-encoded by ``clean_image``; anything else is refused."""
    data = upload(form, "image", MAX_IMAGE_BYTES)
    if data is None:
        return _form(services, user, errors={kind: "choose a PNG or JPEG file"})
    change = ProfileChange(logo=data) if kind == "logo" else ProfileChange(seal=data)
    try:
        _apply(services, user, change)
    except ProfileFieldError as error:
        return _form(services, user, errors={error.field: str(error)})
    return RedirectResponse(f"{HOME}?done={kind}#{kind}", status_code=303)


@router.post("/{kind}/remove")
def remove_image(
    kind: ImageKind, user: ConsoleAdminDep, _form: UserFormDep, services: ServicesDep
) -> Response:
    _apply(services, user, ProfileChange(clear=(kind,)))
    return RedirectResponse(f"{HOME}?done=removed#{kind}", status_code=303)


@router.get("/{kind}.png")
def image(
    kind: ImageKind, _user: ConsoleAdminDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    """The stored logo or seal, for the preview (not cached: it changes here)."""
    profile = services.profile(session)
    data = profile.logo_png if kind == "logo" else profile.seal_png
    if data is None:
        raise NotFoundError(f"no {kind} is set")
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})
