"""The organisation pages: units, occupations, the issuer's profile and the catalog file,
changed through the console's forms with the API's functions, by admins only."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from issuer.credentials.catalog_admin import (
    FieldError,
    check_occupation,
    check_unit,
    ensure_levels,
)
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, IssuerProfileRecord, Occupation, Unit
from issuer.web.console.catalog_words import PROBLEMS
from tests.console.helpers import make_user, signed_in

CJK = re.compile(r"[\u3400-\u9fff]")
SAMPLE = Path(__file__).resolve().parents[2] / "docs/samples/catalog-sample.csv"
OCCUPATION = {
    "code": "6-17-05-01",
    "name_zh": "稀土冶炼工",
    "name_en": "Rare Earth Smelter",
    "description_zh": "从事稀土冶炼的人员。",
    "description_en": "Works in rare earth smelting.",
    "criteria_zh": "国家职业技能标准。",
    "criteria_en": "The national occupational skill standard.",
}


def _png(colour: str = "red", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format=fmt)
    return out.getvalue()


def _admin(console: TestClient, services: Services) -> str:
    with session_scope(services.sessions) as session:
        ensure_levels(session)
    make_user(services, "admin@example.com", name="周敏")
    return signed_in(console, "admin@example.com")


def _count(services: Services, model: type[Unit | Occupation]) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _events(services: Services, action: str) -> list[AuditEvent]:
    with services.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_admin_creates_and_edits_a_unit(console: TestClient, services: Services) -> None:
    csrf = _admin(console, services)
    form = {"csrf_token": csrf, "code": "U90", "name_zh": "新厂", "name_en": "New Plant"}
    answer = console.post("/console/organisation/units", data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/organisation?done=unit#units"
    listed = console.get("/console/organisation")
    assert "U90" in listed.text
    assert "新厂" in listed.text
    assert 'role="status"' in console.get("/console/organisation?done=unit").text
    [created] = _events(services, "catalog.unit_create")
    assert created.actor.startswith("principal:")
    assert created.actor.endswith(":周敏")
    edit = console.get("/console/organisation/units/U90")
    assert 'value="New Plant"' in edit.text
    form = {"csrf_token": csrf, "name_zh": "新厂二", "name_en": "New Plant Two"}
    answer = console.post("/console/organisation/units/U90", data=form, follow_redirects=False)
    assert answer.status_code == 303
    with services.sessions() as session:
        unit = session.scalars(select(Unit).where(Unit.code == "U90")).one()
        assert (unit.name_zh, unit.name_en) == ("新厂二", "New Plant Two")
    assert len(_events(services, "catalog.unit_update")) == 1
    assert console.get("/console/organisation/units/NOPE").status_code == 404


def test_a_refused_unit_is_shown_beside_its_field_with_the_input_kept(
    console: TestClient, services: Services
) -> None:
    csrf = _admin(console, services)
    form = {"csrf_token": csrf, "code": "bad code!", "name_zh": "保留的名字", "name_en": "Kept"}
    answer = console.post("/console/organisation/units", data=form)
    assert answer.status_code == 422
    assert 'id="code-error"' in answer.text
    assert "is not 1 to 32 letters" in answer.text
    assert 'value="保留的名字"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert _count(services, Unit) == 0
    form = {"csrf_token": csrf, "code": "U91", "name_zh": "甲", "name_en": "A"}
    assert console.post("/console/organisation/units", data=form).status_code == 200
    again = console.post("/console/organisation/units", data={**form, "name_zh": "乙"})
    assert again.status_code == 422
    assert "is already a unit" in again.text
    empty = console.post("/console/organisation/units/U91", data={**form, "name_en": " "})
    assert empty.status_code == 422
    assert 'id="name_en-error"' in empty.text
    with services.sessions() as session:
        assert session.scalars(select(Unit.name_zh)).all() == ["甲"]


def test_an_admin_creates_an_occupation_with_levels_and_edits_it(
    console: TestClient, services: Services
) -> None:
    csrf = _admin(console, services)
    assert "初级工" in console.get("/console/organisation/occupations/new").text
    form = {"csrf_token": csrf, **OCCUPATION, "levels": ["senior", "junior"]}
    answer = console.post("/console/organisation/occupations", data=form, follow_redirects=False)
    assert answer.status_code == 303
    with services.sessions() as session:
        row = session.scalars(select(Occupation)).one()
        assert row.levels == ["junior", "senior"]
        assert row.criteria_en == OCCUPATION["criteria_en"]
    assert "初级工、高级工" in console.get("/console/organisation").text
    edit = console.get(f"/console/organisation/occupations/{OCCUPATION['code']}")
    assert 'value="junior" checked' in edit.text
    assert 'value="intermediate">' in edit.text
    update = {"csrf_token": csrf, **OCCUPATION, "name_en": "Smelter"}  # no level: every level
    path = f"/console/organisation/occupations/{OCCUPATION['code']}"
    assert console.post(path, data=update, follow_redirects=False).status_code == 303
    with services.sessions() as session:
        row = session.scalars(select(Occupation)).one()
        assert (row.name_en, row.levels) == ("Smelter", None)
    assert len(_events(services, "catalog.occupation_update")) == 1


def test_a_refused_occupation_keeps_the_input(console: TestClient, services: Services) -> None:
    csrf = _admin(console, services)
    form = {"csrf_token": csrf, **OCCUPATION, "code": "6-17", "levels": ["senior"]}
    answer = console.post("/console/organisation/occupations", data=form)
    assert answer.status_code == 422
    assert "is not a national occupation code" in answer.text
    assert OCCUPATION["description_en"] in answer.text
    assert 'value="senior" checked' in answer.text
    form = {**form, "code": OCCUPATION["code"], "levels": ["master"]}
    answer = console.post("/console/organisation/occupations", data=form)
    assert answer.status_code == 422
    assert 'id="levels-error"' in answer.text
    assert _count(services, Occupation) == 0


def test_the_profile_is_set_with_a_logo_and_the_public_profile_shows_it(
    console: TestClient, services: Services
) -> None:
    csrf = _admin(console, services)
    form = {
        "csrf_token": csrf,
        "name_zh": "北方稀土",
        "name_en": "Northern Rare Earth",
        "contact": "hr@example.com",
        "time_zone": "Asia/Urumqi",
    }
    answer = console.post("/console/organisation/profile", data=form, follow_redirects=False)
    assert answer.status_code == 303
    public = console.get("/issuer").json()
    assert public["name"] == "北方稀土 / Northern Rare Earth"
    assert public["description"] == "hr@example.com"
    page = console.get("/console/organisation/profile")
    assert "<option selected>Asia/Urumqi</option>" in page.text
    assert "Times in</span> Asia/Urumqi" in page.text  # the console's times follow it
    logo = {"image": ("logo.jpg", _png("blue", "JPEG"), "image/jpeg")}
    answer = console.post(
        "/console/organisation/profile/logo",
        data={"csrf_token": csrf},
        files=logo,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    preview = console.get("/console/organisation/profile/logo.png")
    assert preview.status_code == 200
    assert preview.content.startswith(b"\x89PNG")
    assert console.get("/issuer/logo.png").content == preview.content
    assert "image" in console.get("/issuer").json()
    assert (
        'src="/console/organisation/profile/logo.png"'
        in console.get("/console/organisation/profile").text
    )
    [*_, event] = _events(services, "issuer.profile_set")
    assert event.details["changed"] == ["logo_png"]
    remove = console.post(
        "/console/organisation/profile/logo/remove",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert remove.status_code == 303
    assert console.get("/console/organisation/profile/logo.png").status_code == 404


def test_a_non_image_is_refused_and_the_stored_logo_stays(
    console: TestClient, services: Services
) -> None:
    csrf = _admin(console, services)
    good = {"image": ("seal.png", _png(), "image/png")}
    path = "/console/organisation/profile/seal"
    assert console.post(path, data={"csrf_token": csrf}, files=good).status_code == 200
    before = console.get("/console/organisation/profile/seal.png").content
    bad = {"image": ("seal.png", b"%PDF-1.7 not an image", "image/png")}
    answer = console.post(path, data={"csrf_token": csrf}, files=bad)
    assert answer.status_code == 422
    assert 'id="seal-error"' in answer.text
    assert "is not a readable PNG or JPEG" in answer.text
    assert console.get("/console/organisation/profile/seal.png").content == before
    none = console.post(path, data={"csrf_token": csrf})
    assert none.status_code == 422
    assert "choose a PNG or JPEG file" in none.text
    names = {"csrf_token": csrf, "name_zh": "", "name_en": "X", "time_zone": "Mars/Base"}
    answer = console.post("/console/organisation/profile", data=names)
    assert answer.status_code == 422
    assert 'id="name_zh-error"' in answer.text
    with services.sessions() as session:
        stored = session.get(IssuerProfileRecord, 1)
        assert stored is not None
        assert stored.name_en is None
    answer = console.post("/console/organisation/profile", data={**names, "name_zh": "甲"})
    assert answer.status_code == 422
    assert 'id="time_zone-error"' in answer.text


def test_the_sample_catalog_file_imports_and_can_be_downloaded(
    console: TestClient, services: Services
) -> None:
    csrf = _admin(console, services)
    page = console.get("/console/organisation")
    assert 'href="/console/static/catalog-sample.csv"' in page.text
    sample = console.get("/console/static/catalog-sample.csv")
    assert sample.status_code == 200
    assert sample.content == SAMPLE.read_bytes()
    upload = {"file": ("catalog-sample.csv", SAMPLE.read_bytes(), "text/csv")}
    checked = console.post(
        "/console/organisation/catalog", data={"csrf_token": csrf, "dry_run": "1"}, files=upload
    )
    assert checked.status_code == 200
    assert "nothing changed" in checked.text
    assert _count(services, Unit) == 0
    answer = console.post("/console/organisation/catalog", data={"csrf_token": csrf}, files=upload)
    assert answer.status_code == 200
    units = _count(services, Unit)
    assert units >= 1
    assert _count(services, Occupation) >= 1
    assert f"created</span> {units}," in answer.text
    assert "U01" in answer.text  # the tables below show the imported units
    assert _events(services, "catalog.unit_create")


def test_a_catalog_file_with_problems_changes_nothing(
    console: TestClient, services: Services
) -> None:
    csrf = _admin(console, services)
    rows = "kind,code,name_zh,name_en\nunit,U01,甲,A\nunit,bad code!,乙,B\n"
    upload = {"file": ("catalog.csv", rows.encode(), "text/csv")}
    answer = console.post("/console/organisation/catalog", data={"csrf_token": csrf}, files=upload)
    assert answer.status_code == 422
    assert "nothing changed" in answer.text
    assert "<td>3</td><td>code</td>" in answer.text
    empty = {"file": ("empty.csv", b"", "text/csv")}
    answer = console.post("/console/organisation/catalog", data={"csrf_token": csrf}, files=empty)
    assert answer.status_code == 422
    assert 'id="file-error"' in answer.text
    headless = {"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}
    answer = console.post(
        "/console/organisation/catalog", data={"csrf_token": csrf}, files=headless
    )
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text
    assert _count(services, Unit) == 0


POSTS = [
    "/console/organisation/units",
    "/console/organisation/units/U01",
    "/console/organisation/occupations",
    "/console/organisation/occupations/6-17-05-01",
    "/console/organisation/catalog",
    "/console/organisation/profile",
    "/console/organisation/profile/logo",
    "/console/organisation/profile/seal/remove",
]


@pytest.mark.parametrize(("role", "units"), [("registrar", ["U01"]), ("auditor", [])])
def test_registrars_and_auditors_may_neither_see_nor_change_the_organisation(
    console: TestClient, services: Services, role: str, units: list[str]
) -> None:
    with session_scope(services.sessions) as session:
        ensure_levels(session)
        session.add(Unit(code="U01", name_zh="冶炼厂", name_en="Smelting Plant"))
    make_user(services, "someone@example.com", role, units)
    csrf = signed_in(console, "someone@example.com")
    assert 'href="/console/organisation"' not in console.get("/console/").text
    for path in ("/console/organisation", "/console/organisation/profile"):
        answer = console.get(path)
        assert answer.status_code == 403
        assert "<form" not in answer.text
    assert console.get("/console/organisation/units/U01").status_code == 403
    form = {"csrf_token": csrf, **OCCUPATION, "name_en": "Changed", "time_zone": "UTC"}
    for path in POSTS:
        answer = console.post(path, data=form, files={"file": ("a.csv", b"x", "text/csv")})
        assert answer.status_code == 403, path
    with services.sessions() as session:
        assert session.scalars(select(Unit.name_en)).all() == ["Smelting Plant"]
        assert session.get(IssuerProfileRecord, 1) is None
    assert _count(services, Occupation) == 0


def test_refusals_are_explained_in_both_languages(console: TestClient, services: Services) -> None:
    csrf = _admin(console, services)
    form = {"csrf_token": csrf, "code": "bad code!", "name_zh": "甲", "name_en": "A"}
    answer = console.post("/console/organisation/units", data=form)
    assert answer.status_code == 422
    assert "应为 1 至 32 个字母、数字、- 或 _（例如 U01） is not 1 to 32 letters" in answer.text
    rows = "kind,code,name_zh,name_en\nplace,U01,甲,A\nunit,U02,乙,B\nunit,U02,丙,C\n"
    upload = {"file": ("catalog.csv", rows.encode(), "text/csv")}
    answer = console.post("/console/organisation/catalog", data={"csrf_token": csrf}, files=upload)
    assert answer.status_code == 422
    assert "类型应为“单位”或“职业” is neither unit nor occupation" in answer.text
    assert "单位 U02 已在第 3 行 the unit U02 is already on row 3" in answer.text
    headless = {"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}
    answer = console.post(
        "/console/organisation/catalog", data={"csrf_token": csrf}, files=headless
    )
    assert "缺少必需的列（类型、代码、中文名称、英文名称）" in answer.text
    assert "Required columns are missing (kind, code, name_zh, name_en)" in answer.text
    empty = {"file": ("empty.csv", b"", "text/csv")}
    answer = console.post("/console/organisation/catalog", data={"csrf_token": csrf}, files=empty)
    assert "请选择一个文件。 Choose a file." in answer.text


def test_every_reason_a_value_is_refused_with_has_words() -> None:
    """Each reason ``check_unit`` / ``check_occupation`` gives is shown in both languages."""
    unit = {"code": "U01", "name_zh": "甲", "name_en": "A"}
    occupation = {**OCCUPATION, "levels": "junior"}
    refused: list[tuple[Callable[..., object], dict[str, str]]] = [
        (check_unit, {**unit, "code": "bad code!"}),
        (check_unit, {**unit, "code": ""}),
        (check_unit, {**unit, "name_en": "x" * 201}),
        (check_unit, {**unit, "name_zh": "甲\u200b"}),
        (check_occupation, {**occupation, "code": "617"}),
        (check_occupation, {**occupation, "levels": "master"}),
    ]
    reasons = set()
    for check, values in refused:
        with pytest.raises(FieldError) as caught:
            check(values) if check is check_unit else check(values, [])
        reasons.add(caught.value.reason)
        assert caught.value.reason in PROBLEMS
    assert reasons == {
        "bad_unit_code",
        "empty",
        "too_long",
        "invisible_characters",
        "bad_occupation_code",
        "unknown_level",
    }
    for label in PROBLEMS.values():
        assert CJK.search(label.zh)
        assert not CJK.search(label.en)
