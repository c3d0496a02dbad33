"""Organisation set-up: the catalog file, units and occupations by API, the issuer's profile
on certificates and the public profile, and who may change them (decision 0036)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from typer.testing import CliRunner

from issuer.cli.main import app as tessera
from issuer.config import Settings
from issuer.credentials.catalog import list_levels
from issuer.credentials.catalog_admin import ensure_levels
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, Occupation, Unit
from tests.helpers import make_token
from tests.issuer.helpers import cli_env, issue_body, run_cli
from tests.issuer.pdf_files import debian_tool, run

OCCUPATION_FIELDS = [
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "criteria_zh",
    "criteria_en",
]
SAMPLE = Path(__file__).resolve().parents[2] / "docs/samples/catalog-sample.csv"


def _levels(services: Services) -> None:
    with session_scope(services.sessions) as session:
        ensure_levels(session)


def _counts(services: Services) -> tuple[int, int, int]:
    with services.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Unit)) or 0,
            session.scalar(select(func.count()).select_from(Occupation)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def _png(size: tuple[int, int] = (60, 60), colour: str = "red", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def test_the_sample_imports_once_and_again_changes_nothing(
    settings: Settings, services: Services
) -> None:
    _levels(services)
    code, out = run_cli(settings, "catalog", "import", "--dry-run", str(SAMPLE))
    assert code == 0, out
    assert "16 would be created" in out
    assert _counts(services)[:2] == (0, 0)
    code, out = run_cli(settings, "catalog", "import", str(SAMPLE))
    assert code == 0, out
    assert "units: 16 created" in out
    assert "occupations: 42 created" in out
    units, occupations, events = _counts(services)
    assert (units, occupations, events) == (16, 42, 58)
    code, out = run_cli(settings, "catalog", "import", str(SAMPLE))
    assert code == 0, out
    assert "16 unchanged" in out
    assert "42 unchanged" in out
    assert _counts(services) == (16, 42, 58)  # nothing changed, nothing audited
    with services.sessions() as session:
        smelter = session.scalars(select(Occupation).where(Occupation.code == "6-17-05-01")).one()
        assert smelter.levels == ["junior", "intermediate", "senior"]


def test_a_bad_file_is_reported_by_row_and_column_and_changes_nothing(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    _levels(services)
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))
    rows[2][3] = ""  # row 3: a unit without an English name
    rows[20][1] = "6-17"  # row 21: not a national occupation code
    rows[21][8] = "junior, grandmaster"  # row 22: a level that does not exist
    rows.append(rows[5])  # the unit of row 6 again
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    code, out = run_cli(settings, "catalog", "import", str(bad))
    assert code == 1
    assert "row 3, column name_en: is empty" in out
    assert "row 21, column code: is not a national occupation code" in out
    assert "row 22, column levels: 'grandmaster' is not a level" in out
    assert f"row {len(rows)}, column code: the unit U05 is already on row 6" in out
    assert "4 problems" in out
    assert _counts(services) == (0, 0, 0)


def test_xlsx_catalog_through_the_api_and_only_admins(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _levels(services)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("catalog")
    for row in csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))):
        sheet.append(row)
    path = tmp_path / "catalog.xlsx"
    book.save(path)
    registrar = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U01'])}"}
    files = {"file": ("catalog.xlsx", path.read_bytes())}
    refused = client.post("/api/v1/catalog/import", files=files, headers=registrar)
    assert refused.status_code == 403
    answer = client.post("/api/v1/catalog/import", files=files, headers=admin_headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] is True
    assert len(answer.json()["occupations"]["created"]) == 42
    bad = client.post(
        "/api/v1/catalog/import",
        content="kind,code,name_zh,name_en\nplant,X1,甲,A\n".encode(),
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_catalog"
    assert bad.json()["problems"] == [
        {"row": 2, "column": "kind", "message": "is neither unit (单位) nor occupation (职业)"}
    ]


def test_units_and_occupations_by_api_and_levels_offered(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    _levels(services)
    auditor = {"Authorization": f"Bearer {make_token(services, 'auditor')}"}
    unit = {"name_zh": "冶炼厂", "name_en": "Smelting Plant"}
    assert client.put("/api/v1/units/U01", json=unit, headers=auditor).status_code == 403
    assert client.put("/api/v1/units/U01", json=unit, headers=admin_headers).status_code == 200
    blank = client.put("/api/v1/units/U02", json={**unit, "name_en": " "}, headers=admin_headers)
    assert blank.status_code == 422
    occupation = {
        "name_zh": "稀土湿法冶炼工",
        "name_en": "Rare Earth Hydrometallurgy Operator",
        "description_zh": "描述",
        "description_en": "Description",
        "criteria_zh": "标准",
        "criteria_en": "Criteria",
        "levels": ["senior"],
    }
    put = client.put("/api/v1/occupations/6-17-05-01", json=occupation, headers=admin_headers)
    assert put.status_code == 200, put.text
    assert put.json()["levels"] == ["senior"]
    junior = client.post(
        "/api/v1/credentials", json=issue_body(level="junior"), headers=admin_headers
    )
    assert junior.status_code == 422
    assert junior.json()["code"] == "level_not_offered"
    senior = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers)
    assert senior.status_code == 201, senior.text
    renamed = client.put(
        "/api/v1/units/U01", json={**unit, "name_en": "Smelter"}, headers=admin_headers
    )
    assert renamed.status_code == 200
    with services.sessions() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[:2] == ["catalog.unit_create", "catalog.occupation_create"]
    assert actions[-1] == "catalog.unit_update"


def test_profile_on_the_certificate_and_the_public_profile(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _levels(services)
    assert client.get("/issuer").json()["name"].startswith("朔方稀土集团")  # the settings
    change = {
        "name_zh": "北疆机械集团技能鉴定站",
        "name_en": "Beijiang Machinery Skills Centre",
        "contact": "0471-1234567",
        "time_zone": "Asia/Urumqi",
    }
    registrar = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U01'])}"}
    assert client.put("/api/v1/profile", json=change, headers=registrar).status_code == 403
    assert client.put("/api/v1/profile", json=change, headers=admin_headers).status_code == 200
    bad_zone = client.put(
        "/api/v1/profile", json={"time_zone": "Mars/Olympus"}, headers=admin_headers
    )
    assert bad_zone.status_code == 422
    seal = client.put("/api/v1/profile/seal", content=_png(fmt="JPEG"), headers=admin_headers)
    assert seal.status_code == 200, seal.text
    logo = client.put("/api/v1/profile/logo", content=_png(), headers=admin_headers)
    assert logo.json()["logo_sha256"]
    public = client.get("/issuer").json()
    assert public["name"] == "北疆机械集团技能鉴定站 / Beijiang Machinery Skills Centre"
    assert public["description"] == "0471-1234567"
    served = client.get("/issuer/logo.png")
    assert Image.open(io.BytesIO(served.content)).format == "PNG"

    client.put(
        "/api/v1/units/U01", json={"name_zh": "冶炼厂", "name_en": "Smelter"}, headers=admin_headers
    )
    client.put(
        "/api/v1/occupations/6-17-05-01",
        json=dict.fromkeys(OCCUPATION_FIELDS, "x"),
        headers=admin_headers,
    )
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers)
    assert issued.status_code == 201, issued.text
    credential_id = issued.json()["id"]
    pdf = client.get(f"/api/v1/credentials/{credential_id}/certificate.pdf", headers=admin_headers)
    (tmp_path / "c.pdf").write_bytes(pdf.content)
    text = run(debian_tool("pdftotext"), "-enc", "UTF-8", "c.pdf", "-", cwd=tmp_path)
    assert "北疆机械集团技能鉴定站" in text
    assert "Beijiang Machinery Skills Centre" in text
    images = run(debian_tool("pdfimages"), "-list", "c.pdf", cwd=tmp_path)
    assert len(images.strip().splitlines()) >= 3  # header lines, then the seal


def test_bad_images_are_refused_and_change_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    for body in (
        b"GIF89a not allowed",
        _png(fmt="GIF"),
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and nothing readable
        _png(size=(2001, 10)),
        b"\xff\xd8" + b"\x00" * (1_048_576 + 1),
    ):
        answer = client.put("/api/v1/profile/seal", content=body, headers=admin_headers)
        assert answer.status_code in (413, 422), answer.text
        if answer.status_code == 422:
            assert answer.json()["code"] == "invalid_image"
    assert client.get("/api/v1/profile", headers=admin_headers).json()["seal_sha256"] is None


def test_production_init_leaves_an_empty_catalog_and_says_how_to_import(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    env = {
        **cli_env(settings),
        "TESSERA_ENVIRONMENT": "production",
        "TESSERA_ADMIN_TOKEN_FILE": str(tmp_path / "admin-token"),
    }
    result = CliRunner().invoke(tessera, ["init"], env=env)
    assert result.exit_code == 0, result.output
    assert "tessera catalog import FILE" in result.output
    assert "demo" not in result.output
    assert _counts(services)[:2] == (0, 0)
    with services.sessions() as session:
        assert [lv.code for lv in list_levels(session)] == ["junior", "intermediate", "senior"]
