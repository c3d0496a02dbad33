"""Imports of exam results: the whole campaign as CSV and XLSX, exactly once, bad files."""

from __future__ import annotations

import dataclasses
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.campaigns.import_run import ImportRequest, list_import_rows, run_import, start_import
from issuer.errors import InvalidInputError
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, Credential, Holder, Level, RegisterCount
from tests.helpers import coverage_paused
from tests.issuer.campaign_files import (
    HEADER_EN,
    campaign,
    csv_bytes,
    request_row,
    write_csv,
    write_xlsx,
)
from tests.issuer.helpers import load_catalog
from tests.issuer.register_count_helpers import assert_counts_exact, grouped

LEVELS = {"junior": 761, "intermediate": 280, "senior": 350}


def _import(services: Services, path: Path, *, dry_run: bool = False) -> Any:
    request = ImportRequest(path=path, filename=path.name, dry_run=dry_run, actor=Actor("test"))
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=200_000, now=services.clock())
    return run_import(services, job.id, request)


def _rows(services: Services, job_id: str) -> dict[int, tuple[str, str | None, str | None]]:
    with services.sessions() as session:
        rows = list_import_rows(session, job_id, limit=1_000_000, offset=0)
        return {r.row_number: (r.status, r.column, r.reason) for r in rows}


def _level_counts(services: Services) -> Counter[str]:
    with services.sessions() as session:
        return Counter(session.scalars(select(Level.code).join(Credential)))


def test_campaign_csv_via_api_issues_1391_once(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    body = csv_bytes(request_row(r) for r in campaign()).encode("utf-8-sig")  # with a BOM
    files = {"file": ("campaign.csv", body, "text/csv")}
    first = client.post("/api/v1/imports", files=files, headers=admin_headers)
    assert first.status_code == 202, first.text
    report = client.get(first.headers["location"], headers=admin_headers).json()
    assert report["state"] == "done"
    assert report["processed_rows"] == report["total_rows"] == 1391
    assert report["counts"] == {
        "issued": 1391,
        "would_issue": 0,
        "already_issued": 0,
        "not_passed": 0,
        "invalid": 0,
    }
    assert _level_counts(services) == LEVELS

    again = client.post(
        "/api/v1/imports?filename=campaign.csv",
        content=body,
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    second = client.get(again.headers["location"], headers=admin_headers, params={"limit": 2000})
    assert second.json()["counts"] == {
        "issued": 0,
        "would_issue": 0,
        "already_issued": 1391,
        "not_passed": 0,
        "invalid": 0,
    }
    assert {row["status"] for row in second.json()["rows"]} == {"already_issued"}
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 1391
        actions = Counter(session.scalars(select(AuditEvent.action)))
    assert actions["import.start"] == actions["import.finish"] == 2


def test_campaign_xlsx_issues_1391_once(services: Services, tmp_path: Path) -> None:
    load_catalog(services)
    path = write_xlsx(
        tmp_path / "campaign.xlsx", (request_row(r, chinese=False) for r in campaign())
    )
    first = _import(services, path)
    assert (first.format, first.issued, first.already_issued, first.failed) == ("xlsx", 1391, 0, 0)
    assert _level_counts(services) == LEVELS
    second = _import(services, path)
    assert (second.issued, second.already_issued) == (0, 1391)
    assert sum(_level_counts(services).values()) == 1391
    # The register's counts: exact, and folded by each chunk to one row a group.
    assert_counts_exact(services)
    with services.read_sessions() as session:
        rows = session.scalar(select(func.count()).select_from(RegisterCount))
    assert rows == len(grouped(services))


def test_dry_run_reports_every_row_and_issues_nothing(services: Services, tmp_path: Path) -> None:
    load_catalog(services)
    path = write_csv(
        tmp_path / "c.csv", (request_row(r) for r in campaign()[:50]), encoding="gb18030"
    )
    job = _import(services, path, dry_run=True)
    assert (job.state, job.processed_rows, job.issued, job.failed) == ("done", 50, 0, 0)
    assert {status for status, _, _ in _rows(services, job.id).values()} == {"ok"}
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 0


def test_bad_rows_are_reported_by_column_and_only_good_rows_issued(
    services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    good = [request_row(r) for r in campaign()[:3]]
    formula = '=HYPERLINK("http://evil.example/","点我")'
    rows = [
        good[0],  # row 2: issued
        [*good[1][:2], "9-99-99-99", *good[1][3:]],  # row 3: unknown occupation
        good[0],  # row 4: duplicate of row 2
        [formula, "F-1", *good[2][2:]],  # row 5: a formula is only a name
        ["", "F-2", *good[2][2:]],  # row 6: no name
        [*good[2][:5], "2026-13-45", *good[2][6:]],  # row 7: bad date
        [*good[2][:8], "不合格"],  # row 8: failed exam, nothing to issue
        [*good[2][:3], "专家级", *good[2][4:]],  # row 9: unknown level
        [*good[2][:8], "maybe"],  # row 10: unknown result
    ]
    data = csv_bytes(rows).encode("utf-8")
    data += "\xe5\xbc\xa0\xff\u4e09,F-3,6-17-05-01,高级,U01,2026-10-14,S1,90,合格\r\n".encode(
        "latin-1", "ignore"
    )  # row 11: bytes that are neither UTF-8 nor GB18030
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    job = _import(services, path)
    report = _rows(services, job.id)
    assert report[2][0] == "issued"
    assert report[5][0] == "issued"
    assert report[3] == ("invalid", "occupation", "unknown_occupation")
    assert report[4] == ("invalid", "exam_session", "duplicate_row")
    assert report[6] == ("invalid", "name", "missing_value")
    assert report[7] == ("invalid", "exam_date", "invalid_date")
    assert report[8] == ("not_passed", None, None)
    assert report[9] == ("invalid", "level", "unknown_level")
    assert report[10] == ("invalid", "result", "unknown_result")
    # Latin-1 dropped the level and result too: every problem of the row is stored.
    assert report[11] == ("invalid", "name", "bad_encoding:name;missing_value:level,result")
    assert (job.issued, job.failed) == (2, 7)
    with services.sessions() as session:
        names = set(session.scalars(select(Holder.name)))
    assert formula in names  # kept as text, never evaluated


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"\r\n\r\n", "empty_file"),
        ("姓名,工号,等级\r\n张三,1,高级\r\n".encode(), "missing_columns"),
        ("name,姓名,employee_number\r\n".encode(), "duplicate_column"),
        (b"PK\x03\x04not really a zip", "malformed_file"),
    ],
)
def test_unusable_files_are_refused_whole(
    services: Services, tmp_path: Path, content: bytes, code: str
) -> None:
    load_catalog(services)
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInputError) as caught:
        _import(services, path)
    assert caught.value.code == code


def test_api_refuses_a_file_without_the_needed_columns(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    files = {"file": ("x.csv", "姓名,工号\r\n张三,1\r\n".encode(), "text/csv")}
    response = client.post("/api/v1/imports", files=files, headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["code"] == "missing_columns"


def test_registrar_imports_only_rows_of_its_units(client: TestClient, services: Services) -> None:
    from tests.helpers import make_token

    load_catalog(services)
    rows = [request_row(r) for r in campaign()[:40]]
    headers = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U01'])}"}
    files = {"file": ("c.csv", csv_bytes(rows).encode(), "text/csv")}
    report = client.post("/api/v1/imports?dry_run=true", files=files, headers=headers).json()
    mine = sum(1 for r in rows if r[4] == "U01")
    assert 0 < mine < 40
    statuses = Counter((row["status"], row["reason"]) for row in report["rows"])
    assert statuses == {("ok", None): mine, ("invalid", "unit_not_allowed"): 40 - mine}
    auditor = {"Authorization": f"Bearer {make_token(services, 'auditor')}"}
    assert client.post("/api/v1/imports", files=files, headers=auditor).status_code == 403


# The importing process's memory does not depend on the database; one backend suffices.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_100000_row_file_is_validated_in_bounded_memory(
    services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    template = request_row(campaign()[0])
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADER_EN) + "\r\n")
        for i in range(100_000):
            handle.write(",".join([f"张{i}", f"B{i:07d}", *template[2:]]) + "\r\n")
    assert path.stat().st_size > 5_000_000
    # Big chunks: fewer round trips (this test is about memory, not commit granularity).
    big_chunks = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"import_chunk_rows": 5000})
    )
    tracemalloc.start()
    try:
        with coverage_paused():  # the import path is covered by the small imports
            job = _import(big_chunks, path, dry_run=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (job.processed_rows, job.failed) == (100_000, 0)
    # The file is ~6 MB; a parser that loaded it would hold several times that in objects.
    # What earlier rows said lives on disk (issuer/campaigns/row_memory.py): in Python sets
    # it was ~20 MB at 100,000 rows. What remains is one chunk of 5,000 rows and its report.
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_too_many_rows_are_refused(services: Services, tmp_path: Path) -> None:
    load_catalog(services)
    path = write_csv(tmp_path / "c.csv", (request_row(r) for r in campaign()[:11]))
    request = ImportRequest(path=path, filename="c.csv", dry_run=True, actor=Actor("test"))
    with session_scope(services.sessions) as session, pytest.raises(InvalidInputError) as caught:
        start_import(session, request, max_rows=10, now=services.clock())
    assert caught.value.code == "too_many_rows"
