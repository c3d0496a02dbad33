"""Unit boundaries through imports, bundles, share links and holder corrections.

A registrar of U01 probes or touches what belongs to U02; each test names the attack. The
answer is a neutral refusal that names no id, and nothing of U02 changes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.documents.credential_document import credential_document
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, Credential, Holder, ImportRow, ShareLink
from tests.helpers import make_token
from tests.issuer.campaign_files import csv_bytes
from tests.issuer.helpers import issue_body, load_catalog
from tests.issuer.lifecycle_helpers import bearer, issue

NAME = "王小明"
NUMBER = "E-0001"
SESSION_U02 = "2026-Q4-U02-R01"
OTHER_UNIT = "conflicts_with_other_unit"


def _row(
    *, name: str = NAME, number: str = NUMBER, unit: str = "U01", session: str = SESSION_U02
) -> list[str]:
    return [name, number, "6-17-05-01", "高级", unit, "2026-10-14", session, "91", "合格"]


def _file(rows: list[list[str]]) -> dict[str, Any]:
    return {"file": ("c.csv", csv_bytes(rows).encode(), "text/csv")}


def _u02_credential(client: TestClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    return issue(
        client, admin_headers, unit="U02", exam={"date": "2026-10-14", "session": SESSION_U02}
    )


def _registrar(services: Services, unit: str = "U01") -> dict[str, str]:
    return bearer(make_token(services, "registrar", [unit]))


def _import(
    client: TestClient, headers: dict[str, str], rows: list[list[str]], *, dry_run: bool
) -> dict[str, Any]:
    url = "/api/v1/imports?dry_run=true" if dry_run else "/api/v1/imports"
    response = client.post(url, files=_file(rows), headers=headers)
    assert response.status_code == (200 if dry_run else 202), response.text
    job_id = response.json()["id"]
    report = client.get(f"/api/v1/imports/{job_id}", headers=headers)
    assert report.status_code == 200
    body: dict[str, Any] = report.json()
    return body


def _count(services: Services, model: type[Any], *where: Any) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_import_naming_another_units_exam_gets_no_id_dry_run_or_real(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    other = _u02_credential(client, admin_headers)
    registrar = _registrar(services)
    for dry_run in (True, False):
        report = _import(client, registrar, [_row()], dry_run=dry_run)
        [row] = report["rows"]
        assert (row["status"], row["reason"], row["credential_id"]) == (
            "invalid",
            OTHER_UNIT,
            None,
        )
        text = client.get(f"/api/v1/imports/{report['id']}/report.csv", headers=registrar).text
        assert other["id"] not in text
        assert other["id"] not in str(report)
    assert _count(services, Credential) == 1


def test_import_name_probe_of_another_units_employee_number_is_neutral(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    """holder_name_mismatch used to say "this number exists under another name"."""
    load_catalog(services)
    _u02_credential(client, admin_headers)
    registrar = _registrar(services)
    outcomes = []
    for row in (
        _row(name="someone else", session="2026-Q4-U01-R01"),  # name probe
        _row(),  # exam probe
        _row(name="又一个人", number="E-9999", session="2026-Q4-U01-R01"),  # unknown number
    ):
        [answer] = _import(client, registrar, [row], dry_run=True)["rows"]
        outcomes.append((answer["status"], answer["column"], answer["reason"]))
    assert outcomes == [
        ("invalid", "employee_number", OTHER_UNIT),
        ("invalid", "employee_number", OTHER_UNIT),  # the same answer: not which collision
        ("ok", None, None),
    ]


def test_import_name_mismatch_within_own_units_is_still_reported(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issue(client, admin_headers)  # E-0001 in U01
    report = _import(
        client, _registrar(services), [_row(name="王晓明", session="S-2")], dry_run=True
    )
    assert [(r["status"], r["reason"]) for r in report["rows"]] == [
        ("invalid", "holder_name_mismatch")
    ]


def test_single_issue_name_probe_of_another_units_holder_is_neutral(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    _u02_credential(client, admin_headers)
    holder = {"name": "someone else", "employee_number": NUMBER}
    body = issue_body(holder=holder, exam={"date": "2026-10-14", "session": "S-9"})
    response = client.post("/api/v1/credentials", json=body, headers=_registrar(services))
    assert response.status_code == 409
    assert response.json()["code"] == OTHER_UNIT
    assert _count(services, Credential) == 1


def _bundle(client: TestClient, headers: dict[str, str], job_id: str) -> zipfile.ZipFile:
    started = client.post(f"/api/v1/imports/{job_id}/bundle", headers=headers)
    assert started.status_code == 202, started.text
    response = client.get(f"/api/v1/imports/{job_id}/bundle.zip", headers=headers)
    assert response.status_code == 200, response.text
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_bundle_ships_no_other_units_credential_even_if_a_row_names_it(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    """Defence in depth: an import row pointing at U02's credential (an import recorded
    before the fix, or a tampered row) gets no file, no token and no share link."""
    load_catalog(services)
    other = _u02_credential(client, admin_headers)
    registrar = _registrar(services)
    report = _import(client, registrar, [_row(number="E-0002", session="S-1")], dry_run=False)
    [mine] = [r["credential_id"] for r in report["rows"]]
    assert mine is not None
    with session_scope(services.sessions) as session:
        session.add(
            ImportRow(import_id=report["id"], row_number=99, status="already_issued",
                      credential_id=other["id"])
        )  # fmt: skip
    archive = _bundle(client, registrar, report["id"])
    manifest = archive.read("manifest.csv").decode("utf-8-sig")
    assert other["number"] not in manifest
    assert not any(other["number"] in name for name in archive.namelist())
    assert len([n for n in archive.namelist() if n.endswith(".jwt")]) == 1
    assert _count(services, ShareLink, ShareLink.credential_id == other["id"]) == 0
    assert _count(services, ShareLink, ShareLink.credential_id == mine) == 1


def test_every_bundle_share_link_is_an_audit_event(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    rows = [_row(number=f"E-{i:04d}", name=f"持证人{i}", session="S-1") for i in range(3)]
    report = _import(client, admin_headers, rows, dry_run=False)
    archive = _bundle(client, admin_headers, report["id"])
    links = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert len(links) == 1 + 3
    with services.sessions() as session:
        events = session.execute(
            select(AuditEvent.target, AuditEvent.details).where(
                AuditEvent.action == "share_link.create"
            )
        ).all()
        stored = session.execute(select(ShareLink.credential_id, ShareLink.id)).all()
    assert sorted((target, details["link"]) for target, details in events) == sorted(stored)
    assert len(stored) == 3


def _holder_name(services: Services) -> str:
    with services.sessions() as session:
        name = session.scalar(select(Holder.name).where(Holder.employee_number == NUMBER))
    assert name is not None
    return name


def test_registrar_cannot_rename_a_holder_shared_with_another_unit(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    mine = issue(client, admin_headers)  # E-0001 in U01
    other = _u02_credential(client, admin_headers)  # the same holder in U02
    registrar = _registrar(services)
    response = client.post(
        f"/api/v1/credentials/{mine['id']}/reissue",
        json={"reason": "data_correction", "holder_name": "Planted"},
        headers=registrar,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "holder_in_other_units"
    assert _holder_name(services) == NAME
    read = client.get(f"/api/v1/credentials/{other['id']}", headers=admin_headers).json()
    assert read["holder"]["name"] == NAME
    assert read["state"] == "active"
    assert _count(services, Credential) == 2


def test_a_name_correction_leaves_other_credentials_with_their_signed_name(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    """An admin's correction renames the holder; U02's credential keeps the name it was
    signed with on every document (API, PDF, badge, share page, bundle manifest)."""
    load_catalog(services)
    mine = issue(client, admin_headers)
    other = _u02_credential(client, admin_headers)
    response = client.post(
        f"/api/v1/credentials/{mine['id']}/reissue",
        json={"reason": "data_correction", "holder_name": "王晓明"},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["credential"]["holder"]["name"] == "王晓明"
    assert _holder_name(services) == "王晓明"
    read = client.get(f"/api/v1/credentials/{other['id']}", headers=admin_headers).json()
    assert read["holder"]["name"] == NAME
    with services.sessions() as session:
        row = session.get(Credential, other["id"])
        assert row is not None
        document = credential_document(row, base_url="https://x.example", issuer_name="T")
    assert document.holder_name == NAME
    link = client.post(f"/api/v1/credentials/{other['id']}/share-links", headers=admin_headers)
    page = client.get("/s/" + link.json()["url"].rsplit("/", 1)[1]).text
    assert NAME in page
    assert "王晓明" not in page


def test_registrar_may_rename_a_holder_entirely_within_its_units(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    mine = issue(client, admin_headers)
    response = client.post(
        f"/api/v1/credentials/{mine['id']}/reissue",
        json={"reason": "data_correction", "holder_name": "王晓明"},
        headers=_registrar(services),
    )
    assert response.status_code == 201, response.text
    assert _holder_name(services) == "王晓明"


def test_import_report_recorded_before_the_fix_never_names_another_units_credential(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    """An import report stored before unit boundaries held in imports may name another
    unit's credential on a row; its registrar reads the row without the id."""
    load_catalog(services)
    other = _u02_credential(client, admin_headers)
    registrar = _registrar(services)
    mine = _import(client, registrar, [_row(session="2026-Q4-U01-R01")], dry_run=True)
    with session_scope(services.sessions) as session:  # the row as the old code wrote it
        session.add(
            ImportRow(
                import_id=mine["id"],
                row_number=99,
                status="already_issued",
                credential_id=other["id"],
            )
        )
    for headers, shown in ((registrar, None), (admin_headers, other["id"])):
        report = client.get(f"/api/v1/imports/{mine['id']}", headers=headers).json()
        [old_row] = [row for row in report["rows"] if row["row"] == 99]
        assert old_row["credential_id"] == shown
        csv_report = client.get(f"/api/v1/imports/{mine['id']}/report.csv", headers=headers)
        assert csv_report.status_code == 200
        assert (other["id"] in csv_report.text) is (shown is not None)
    assert _count(services, ImportRow, ImportRow.credential_id == other["id"]) == 1
