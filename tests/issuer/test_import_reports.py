"""What an import reports: every problem of a row, the dry run's counts, the command's exit
status, exam dates after today, and the national ID check that the API shares with rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.campaigns.row_report import MAX_REASON_CHARS, decode_problems, encode_problems
from issuer.campaigns.rows import REASONS, RowProblem
from issuer.config import Settings
from issuer.credentials.national_id import check_digit, valid_national_id
from issuer.services import Services
from issuer.web.console import import_words
from tests.issuer.campaign_files import HEADER_EN, csv_bytes, write_csv
from tests.issuer.helpers import issue_body, load_catalog, run_cli
from verifier.i18n import Lang, say

HEADER = [*HEADER_EN, "national_id"]
GOOD_ID = "110101199003074477"
BAD_ID = "110101199003074478"  # the check digit is 7


def _row(number: str, **changes: str) -> list[str]:
    cells = {
        "name": "王小明",
        "employee_number": number,
        "occupation": "6-17-05-01",
        "level": "senior",
        "unit": "U01",
        "exam_date": "2026-10-14",
        "exam_session": "2026-Q4-D3-R05",
        "score": "91",
        "result": "passed",
        "national_id": GOOD_ID,
    }
    cells.update(changes)
    return [cells[column] for column in HEADER]


# One row of each kind: two that would issue, one not passed, one with four problems.
ROWS = [
    _row("E-1"),
    _row("E-2", name="李娜"),
    _row("E-3", name="张伟", result="failed"),
    _row(
        "E-4",
        name="",
        level="expert",
        exam_date="2026-13-45",
        national_id=BAD_ID,
    ),
]
MULTI = [
    {"column": "name", "reason": "missing_value"},
    {"column": "national_id", "reason": "invalid_national_id"},
    {"column": "level", "reason": "unknown_level"},
    {"column": "exam_date", "reason": "invalid_date"},
]


def _body(rows: list[list[str]]) -> bytes:
    return csv_bytes(rows, HEADER).encode("utf-8")


def test_every_problem_of_a_row_and_the_dry_run_counts_come_back_from_the_api(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    files = {"file": ("r.csv", _body(ROWS), "text/csv")}
    dry = client.post("/api/v1/imports?dry_run=true", files=files, headers=admin_headers)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["counts"] == {
        "issued": 0,
        "would_issue": 2,
        "already_issued": 0,
        "not_passed": 1,
        "invalid": 1,
    }
    bad = report["rows"][3]
    assert (bad["row"], bad["status"]) == (5, "invalid")
    assert bad["problems"] == MULTI
    assert (bad["column"], bad["reason"]) == ("name", "missing_value")  # the first, as before
    csv_report = client.get(f"/api/v1/imports/{report['id']}/report.csv", headers=admin_headers)
    assert "5,invalid,name; national_id; level; exam_date," in csv_report.text
    assert "missing_value; invalid_national_id; unknown_level; invalid_date" in csv_report.text

    # Imported for real, then again: "already issued" is counted on the re-run.
    first = client.post("/api/v1/imports", files=files, headers=admin_headers).json()
    again = client.post("/api/v1/imports", files=files, headers=admin_headers).json()
    done = client.get(f"/api/v1/imports/{first['id']}", headers=admin_headers).json()
    assert done["counts"]["issued"] == 2
    rerun = client.get(f"/api/v1/imports/{again['id']}", headers=admin_headers).json()
    assert rerun["counts"] == {
        "issued": 0,
        "would_issue": 0,
        "already_issued": 2,
        "not_passed": 1,
        "invalid": 1,
    }


def test_the_command_prints_every_problem_in_both_languages_and_exits_1(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    bad = write_csv(tmp_path / "bad.csv", ROWS, header=HEADER)
    code, out = run_cli(settings, "import", "--dry-run", str(bad))
    assert code == 1, out
    for problem in MULTI:
        column = import_words.COLUMNS[problem["column"]]
        reason = import_words.ROW_REASONS[problem["reason"]]
        assert f"第 5 行 {column.zh}：{reason.zh}" in out
        assert f"row 5: {column.en}: {reason.en}" in out
        assert f"({problem['column']}: {problem['reason']})" in out
    assert "试运行" in out
    assert "2 would be issued, 0 already issued, 1 not passed, 1 invalid" in out

    good = write_csv(tmp_path / "good.csv", ROWS[:3], header=HEADER)
    code, out = run_cli(settings, "import", "--dry-run", str(good))
    assert code == 0, out
    assert "2 would be issued" in out
    code, out = run_cli(settings, "import", str(good))
    assert code == 0, out
    assert "2 issued, 0 already issued, 1 not passed, 0 invalid" in out
    # A real import with invalid rows issues the valid ones and still says so by its status.
    code, out = run_cli(settings, "import", str(bad))
    assert code == 1, out
    assert "0 issued, 2 already issued, 1 not passed, 1 invalid" in out


@pytest.fixture
def late_evening(services: Services) -> Services:
    """The services at 2026-12-04 20:00 UTC: already 2026-12-05 in Shanghai, the issuer's
    time zone by default."""
    return dataclasses.replace(
        services, clock=lambda: dt.datetime(2026, 12, 4, 20, 0, tzinfo=dt.UTC)
    )


def test_an_exam_after_today_in_the_issuers_time_zone_is_refused_by_rows_and_the_api(
    settings: Settings, late_evening: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(late_evening)
    rows = [
        _row("E-1", exam_date="2026-12-05", exam_session="S-1"),  # today in Shanghai
        _row("E-2", name="李娜", exam_date="2026-12-06", exam_session="S-2"),
    ]
    with TestClient(create_app(settings, services=late_evening)) as client:
        files = {"file": ("r.csv", _body(rows), "text/csv")}
        report = client.post("/api/v1/imports?dry_run=true", files=files, headers=admin_headers)
        statuses = [(r["status"], r["problems"]) for r in report.json()["rows"]]
        assert statuses == [
            ("ok", []),
            ("invalid", [{"column": "exam_date", "reason": "exam_date_in_future"}]),
        ]
        body = issue_body(exam={"date": "2026-12-06", "session": "S-3"})
        answer = client.post("/api/v1/credentials", json=body, headers=admin_headers)
        assert answer.status_code == 422
        assert answer.json()["code"] == "exam_date_in_future"
        assert answer.json()["detail"] == say("import.reason.exam_date_in_future", Lang.BOTH)
        body = issue_body(exam={"date": "2026-12-05", "session": "S-3"})
        assert client.post("/api/v1/credentials", json=body, headers=admin_headers).is_success


def test_a_bad_check_digit_gets_the_same_words_from_the_api_and_an_import_row(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    words = say("import.reason.invalid_national_id", Lang.BOTH)
    body = issue_body()
    body["holder"]["national_id"] = BAD_ID
    answer = client.post("/api/v1/credentials", json=body, headers=admin_headers)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "holder.national_id", "reason": words}]

    files = {"file": ("r.csv", _body([_row("E-1", national_id=BAD_ID)]), "text/csv")}
    report = client.post("/api/v1/imports?dry_run=true", files=files, headers=admin_headers)
    [row] = report.json()["rows"]
    assert row["problems"] == [{"column": "national_id", "reason": "invalid_national_id"}]
    reason = import_words.ROW_REASONS["invalid_national_id"]
    assert f"{reason.zh} / {reason.en}" == words

    body["holder"]["national_id"] = GOOD_ID[:-1] + "7"
    assert client.post("/api/v1/credentials", json=body, headers=admin_headers).status_code == 201


def test_the_command_checks_a_national_id_as_the_api_does(
    settings: Settings, services: Services
) -> None:
    load_catalog(services)
    args = ["issue", "--name", "王小明", "--employee-number", "E-1", "--occupation", "6-17-05-01"]
    args += ["--level", "senior", "--unit", "U01", "--exam-date", "2026-10-14"]
    args += ["--exam-session", "S-1", "--national-id", BAD_ID]
    code, out = run_cli(settings, *args)
    assert code == 1
    assert say("import.reason.invalid_national_id", Lang.BOTH) in out


def test_the_check_digit_is_iso_7064_mod_11_2() -> None:
    # GB 11643-1999's own example, and one whose check character is X.
    assert check_digit("11010519491231002") == "X"
    assert valid_national_id("11010519491231002X")
    assert valid_national_id(GOOD_ID)
    assert not valid_national_id(BAD_ID)
    assert not valid_national_id("11010519491231002x")  # rows and the API upper-case first
    assert not valid_national_id("1101011990030744")


def test_several_problems_are_stored_and_read_back_in_column_order() -> None:
    problems = tuple(RowProblem(p["column"], p["reason"]) for p in MULTI)
    column, reason = encode_problems(problems)
    assert column == "name"
    assert len(reason) <= MAX_REASON_CHARS
    assert [(p.column, p.reason) for p in decode_problems(column, reason)] == [
        ("name", "missing_value"),
        ("national_id", "invalid_national_id"),
        ("level", "unknown_level"),
        ("exam_date", "invalid_date"),
    ]
    # What was stored before (one problem) reads as it was.
    assert decode_problems("unit", "unknown_unit") == [RowProblem("unit", "unknown_unit")]
    assert decode_problems(None, None) == []


def test_a_row_wrong_everywhere_keeps_what_fits_and_says_there_is_more() -> None:
    reasons = [r for r in REASONS if r != "more_problems"]
    problems = tuple(RowProblem(f"column_{i}", reason) for i, reason in enumerate(reasons))
    column, reason = encode_problems(problems)
    assert len(reason) <= MAX_REASON_CHARS
    decoded = decode_problems(column, reason)
    assert decoded[-1] == RowProblem(None, "more_problems")
    assert decoded[:-1] == sorted(decoded[:-1], key=lambda p: reasons.index(p.reason))


def test_every_reason_and_refusal_has_words_in_both_catalogues() -> None:
    for table in (import_words.ROW_REASONS, import_words.FILE_ERRORS, import_words.COLUMNS):
        for words in table.values():
            assert words.zh
            assert words.en
            assert words.zh != words.en
    assert set(import_words.ROW_REASONS) == set(REASONS)


def test_a_not_passed_row_reports_problems_of_its_cells_only(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    rows = [
        _row("E-1", result="failed", national_id=BAD_ID),  # nothing to issue: not checked
        _row("E-2", name="", result="absent"),  # but an empty required cell is reported
    ]
    path = write_csv(tmp_path / "r.csv", rows, header=HEADER)
    code, out = run_cli(settings, "import", "--dry-run", str(path))
    assert code == 1
    assert "第 2 行" not in out
    assert "(name: missing_value)" in out
    assert "0 would be issued, 0 already issued, 1 not passed, 1 invalid" in out
