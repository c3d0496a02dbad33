"""The certificate colour on the console's profile form: refused with the reason in both
languages when it is not #rrggbb or too pale to read on white (decision 0052)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from issuer.services import Services
from issuer.store.models import IssuerProfileRecord
from tests.console.helpers import make_user, signed_in
from verifier.i18n import both

PROFILE = "/console/organisation/profile"


def _form(csrf: str, colour: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "name_zh": "北方稀土",
        "name_en": "Northern Rare Earth",
        "contact": "",
        "time_zone": "Asia/Shanghai",
        "colour": colour,
    }


def _stored(services: Services) -> str | None:
    with services.sessions() as session:
        row = session.get(IssuerProfileRecord, 1)
        return row.colour if row is not None else None


def test_the_colour_is_set_refused_in_words_and_reset(
    console: TestClient, services: Services
) -> None:
    make_user(services, "admin@example.com")
    csrf = signed_in(console, "admin@example.com")
    page = console.get(PROFILE).text
    assert both("profile.colour.label")[0] in page
    assert 'fill="#8c1417"' in page  # the house colour's swatch
    saved = console.post(PROFILE, data=_form(csrf, "#0B5D1E"), follow_redirects=False)
    assert saved.status_code == 303
    assert _stored(services) == "#0b5d1e"
    assert 'value="#0b5d1e"' in console.get(PROFILE).text
    pale = console.post(PROFILE, data=_form(csrf, "#ffe4e1"))
    assert pale.status_code == 422
    zh, en = both("profile.colour.too_pale", ratio="1.2", needed=4.5)
    assert zh in pale.text
    assert en in pale.text
    assert 'id="colour-error"' in pale.text
    assert 'aria-invalid="true"' in pale.text
    malformed = console.post(PROFILE, data=_form(csrf, "crimson"))
    assert malformed.status_code == 422
    assert both("profile.colour.malformed")[1] in malformed.text
    assert _stored(services) == "#0b5d1e"
    reset = console.post(PROFILE, data=_form(csrf, ""), follow_redirects=False)
    assert reset.status_code == 303
    assert _stored(services) is None
