"""The console's import wizard: upload, a dry run in words, confirm once, progress, bundle."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from issuer.access.form_tokens import issue_form_token
from issuer.app import create_app
from issuer.campaigns import uploads
from issuer.campaigns.bundle import request_bundle
from issuer.campaigns.bundle_chunks import plan_bundle
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.campaigns.rows import REASONS
from issuer.config import Settings
from issuer.errors import IssuerErrorCode
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import Credential, ImportJob, Unit
from issuer.vocabulary import BundleState, ImportState
from issuer.web.console import import_words
from tests.console.helpers import make_user, signed_in
from tests.issuer.campaign_files import HEADER_EN, csv_bytes, write_xlsx
from tests.issuer.helpers import load_catalog

ADMIN = "admin@example.com"
REGISTRAR = "registrar@example.com"
AUDITOR = "auditor@example.com"
_IMPORT_PAGE = re.compile(r"^/console/imports/([0-9a-f-]{36})$")
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _row(
    name: str, number: str, unit: str = "U01", *, date: str = "2026-10-14", result: str = "passed"
) -> list[str]:
    return [name, number, "6-17-05-01", "senior", unit, date, "2026-Q4-D3-R05", "91", result]


GOOD = [_row("王小明", "E-0001"), _row("李娜", "E-0002")]
BAD = [
    _row("张伟", "E-0003", date="2026-13-45"),
    _row("刘洋", "E-0004", unit="U99"),
    _row("", "E-0005"),
    _row("陈静", "E-0006", result="failed"),
]


def _file(rows: Sequence[Sequence[str]]) -> bytes:
    return csv_bytes(rows, HEADER_EN).encode("utf-8")


def _upload(client: TestClient, csrf: str, body: bytes, name: str = "results.csv") -> str:
    """Upload through the form; the dry run's id (the page it redirects to)."""
    answer = client.post(
        "/console/imports",
        data={"csrf_token": csrf},
        files={"file": (name, body, "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    match = _IMPORT_PAGE.match(answer.headers["location"])
    assert match is not None, answer.headers["location"]
    return match.group(1)


def _confirm(client: TestClient, csrf: str, dry_run_id: str, token: str) -> Response:
    return client.post(
        f"/console/imports/{dry_run_id}/confirm",
        data={"csrf_token": csrf, "form_token": token},
        follow_redirects=False,
    )


def _token_of(html: str) -> str:
    match = _FORM_TOKEN.search(html)
    assert match is not None, "the page offers no confirmation"
    return match.group(1)


def _credentials(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Credential)) or 0)


def test_every_reason_a_row_check_gives_has_words_in_both_languages() -> None:
    assert set(import_words.ROW_REASONS) == set(REASONS)
    file_codes = {
        IssuerErrorCode.EMPTY_FILE,
        IssuerErrorCode.MISSING_COLUMNS,
        IssuerErrorCode.DUPLICATE_COLUMN,
        IssuerErrorCode.MALFORMED_FILE,
        IssuerErrorCode.UNSAFE_XML,
        IssuerErrorCode.FILE_TOO_LARGE,
        IssuerErrorCode.TOO_MANY_COLUMNS,
        IssuerErrorCode.TOO_MANY_ROWS,
        IssuerErrorCode.MISSING_FILE,
    }
    assert file_codes <= set(import_words.FILE_ERRORS)
    assert set(import_words.ROW_STATUS) == {"ok", "issued", "already_issued", "not_passed"} | {
        "invalid"
    }
    for table in (import_words.ROW_REASONS, import_words.FILE_ERRORS, import_words.ROW_STATUS):
        for words in table.values():
            assert words.zh
            assert words.en
            assert words.zh != words.en


def test_every_import_and_bundle_state_has_words_in_both_languages() -> None:
    assert set(import_words.IMPORT_STATES) == set(ImportState)
    assert set(import_words.BUNDLE_STATES) == {"none", *BundleState}
    for table in (import_words.IMPORT_STATES, import_words.BUNDLE_STATES):
        for words in table.values():
            assert words.zh
            assert words.en
            assert words.zh != words.en
    assert import_words.words(import_words.BUNDLE_STATES, None).en == "Not built"
    assert import_words.words(import_words.IMPORT_STATES, "no_such_state").en == "Unknown"


def test_the_dry_run_reports_each_row_in_words_and_issues_nothing(
    console: TestClient, services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    make_user(services, ADMIN)
    csrf = signed_in(console, ADMIN)
    dry_run = _upload(console, csrf, _file(GOOD + BAD))
    report = console.get(f"/console/imports/{dry_run}")
    assert report.status_code == 200
    html = report.text
    assert "试运行报告" in html
    assert 'id="count-ok">2<' in html
    assert 'id="count-not-passed">1<' in html
    assert 'id="count-invalid">3<' in html
    # Errors in words, in both languages, with the column named; the holder from the file.
    assert "不是有效日期" in html
    assert "Not a valid date (for example 2026-10-14)." in html
    assert "没有此单位代码或名称。" in html
    assert "No unit with this code or name." in html
    assert "This cell is required but empty." in html
    assert "Exam date" in html
    assert "张伟" in html
    assert "E-0003" in html
    assert "Would issue" in html
    assert "Not passed: nothing to issue" in html
    assert _token_of(html)
    assert _credentials(services) == 0
    errors_only = console.get(f"/console/imports/{dry_run}", params={"status": "invalid"})
    assert "张伟" in errors_only.text
    assert "王小明" not in errors_only.text

    # The same rows as XLSX read the same.
    book = write_xlsx(tmp_path / "results.xlsx", GOOD + BAD)
    xlsx = _upload(console, csrf, book.read_bytes(), "results.xlsx")
    same = console.get(f"/console/imports/{xlsx}").text
    assert 'id="count-ok">2<' in same
    assert 'id="count-invalid">3<' in same
    assert "Not a valid date (for example 2026-10-14)." in same
    assert console.get("/console/imports/not-an-import").status_code == 404


def test_a_file_that_cannot_be_read_is_refused_in_words_on_the_form(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    make_user(services, ADMIN)
    csrf = signed_in(console, ADMIN)
    answer = console.post(
        "/console/imports",
        data={"csrf_token": csrf},
        files={"file": ("notes.csv", b"just,a,header\n1,2,3\n", "text/csv")},
    )
    assert answer.status_code == 422
    assert "缺少必需的列" in answer.text
    assert "Required columns are missing" in answer.text
    assert 'type="file"' in answer.text  # the form again, to choose another file
    empty = console.post("/console/imports", data={"csrf_token": csrf})
    assert empty.status_code == 422
    assert "Choose a file." in empty.text
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportJob)) == 0


@pytest.mark.parametrize(
    ("name", "body", "zh", "en"),
    [
        ("results.pdf", b"%PDF-1.7\n%%EOF\n", "这是一个 PDF 文件", "This is a PDF file"),
        ("results.csv", b"name;employee_number;level\r\n", "用分号分隔", "semicolons"),
    ],
)
def test_a_file_that_is_no_table_is_named_on_the_form_in_both_languages(
    console: TestClient, services: Services, name: str, body: bytes, zh: str, en: str
) -> None:
    load_catalog(services)
    make_user(services, ADMIN)
    csrf = signed_in(console, ADMIN)
    answer = console.post(
        "/console/imports", data={"csrf_token": csrf}, files={"file": (name, body, "text/csv")}
    )
    assert answer.status_code == 422
    assert zh in answer.text
    assert en in answer.text
    assert "缺少必需的列" not in answer.text


def test_the_dry_run_lists_every_problem_of_a_row(console: TestClient, services: Services) -> None:
    load_catalog(services)
    make_user(services, ADMIN)
    csrf = signed_in(console, ADMIN)
    row = _row("", "E-0009", unit="U99", date="2026-13-45")
    dry_run = _upload(console, csrf, _file([*GOOD, row]))
    html = console.get(f"/console/imports/{dry_run}").text
    assert 'id="count-invalid">1<' in html
    for problem in ("missing_value", "unknown_unit", "invalid_date"):
        assert f"({problem})" in html
        assert import_words.ROW_REASONS[problem].en in html
        assert import_words.ROW_REASONS[problem].zh in html
    assert '<ul class="problems">' in html


def test_a_file_over_the_size_limit_is_refused_with_a_page(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    make_user(services, ADMIN)
    csrf = signed_in(console, ADMIN)
    limit = services.settings.import_max_bytes
    body = _file(GOOD) + b"#" * (limit + 1 - len(_file(GOOD)))
    answer = console.post(
        "/console/imports",
        data={"csrf_token": csrf},
        files={"file": ("big.csv", body, "text/csv")},
    )
    assert answer.status_code == 413
    assert "文件太大" in answer.text
    assert answer.headers["content-type"].startswith("text/html")


def test_a_body_declared_over_the_limit_is_refused_with_a_page_before_it_is_read(
    settings: Settings, services: Services
) -> None:
    small = settings.model_copy(update={"import_max_bytes": 2048})
    with TestClient(create_app(small, services=services)) as client:
        answer = client.post(
            "/console/imports",
            content=b"x" * (2048 + 65_537),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "文件太大" in answer.text
    assert "body_too_large" in answer.text


def test_confirming_issues_once_and_a_second_confirmation_or_upload_issues_nothing(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    make_user(services, ADMIN)
    csrf = signed_in(console, ADMIN)
    body = _file(GOOD + BAD)
    dry_run = _upload(console, csrf, body)
    token = _token_of(console.get(f"/console/imports/{dry_run}").text)

    confirmed = _confirm(console, csrf, dry_run, token)
    assert confirmed.status_code == 303
    location = confirmed.headers["location"]
    assert location.endswith("?done=confirmed")
    progress = console.get(location)
    assert "已确认" in progress.text
    assert 'id="count-issued">2<' in progress.text
    assert "王小明" in progress.text  # the issued row names its holder from the credential
    assert _credentials(services) == 2

    again = _confirm(console, csrf, dry_run, token)  # the same form, submitted twice
    assert again.status_code == 409
    assert "form_already_submitted" in again.text
    # A new token for the same dry run finds its file used up.
    with session_scope(services.sessions) as session:
        principal_id = session.scalar(select(ImportJob.created_by).where(ImportJob.id == dry_run))
        assert principal_id is not None
        fresh = issue_form_token(
            session,
            principal_id=int(principal_id.split(":")[1]),
            purpose=f"import-confirm:{dry_run}",
            now=services.clock(),
            ttl=dt.timedelta(hours=1),
        )
    gone = _confirm(console, csrf, dry_run, fresh)
    assert gone.status_code == 409
    assert "import_file_gone" in gone.text
    page = console.get(f"/console/imports/{dry_run}")
    assert 'name="form_token"' not in page.text
    assert "no longer kept" in page.text
    assert _credentials(services) == 2

    # The same file uploaded again: the dry run sees the issued rows, and confirming it
    # issues nothing new (exactly once rests on each exam's issuance key).
    second = _upload(console, csrf, body)
    report = console.get(f"/console/imports/{second}").text
    assert "This file was imported before" in report
    assert 'id="count-before">2<' in report
    assert 'name="form_token"' not in report  # nothing would be issued: nothing to confirm
    assert _credentials(services) == 2


def test_a_registrar_imports_for_its_units_only(console: TestClient, services: Services) -> None:
    load_catalog(services)
    make_user(services, REGISTRAR, "registrar", ["U01"])
    csrf = signed_in(console, REGISTRAR)
    rows = [_row("王小明", "E-0001"), _row("赵磊", "E-0010", unit="U02")]
    dry_run = _upload(console, csrf, _file(rows))
    report = console.get(f"/console/imports/{dry_run}").text
    assert "您无权为此单位签发证书。" in report
    assert "You may not issue credentials for this unit." in report
    assert "(unit_not_allowed)" in report
    confirmed = _confirm(console, csrf, dry_run, _token_of(report))
    assert confirmed.status_code == 303
    with services.sessions() as session:
        codes = list(session.scalars(select(Unit.code).join(Credential)))
        job = session.scalars(select(ImportJob).where(ImportJob.dry_run.is_(False))).one()
    assert codes == ["U01"]
    assert (job.issued, job.failed) == (1, 1)
    assert job.units == ["U01"]

    # Another registrar sees neither the imports nor their pages.
    make_user(services, "other@example.com", "registrar", ["U01"])
    console.cookies.clear()
    signed_in(console, "other@example.com")
    assert dry_run not in console.get("/console/imports").text
    assert console.get(f"/console/imports/{dry_run}").status_code == 403
    assert console.get(f"/console/imports/{job.id}/progress").status_code == 403


def test_an_auditor_reads_imports_but_has_no_upload_and_every_post_is_refused(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    make_user(services, ADMIN)
    csrf = signed_in(console, ADMIN)
    dry_run = _upload(console, csrf, _file(GOOD))
    console.cookies.clear()
    make_user(services, AUDITOR, "auditor")
    csrf = signed_in(console, AUDITOR)
    listing = console.get("/console/imports")
    assert listing.status_code == 200
    assert '<a href="/console/imports" aria-current="page">' in listing.text  # in the menu
    assert dry_run in listing.text
    assert 'type="file"' not in listing.text
    report = console.get(f"/console/imports/{dry_run}")
    assert report.status_code == 200
    assert 'name="form_token"' not in report.text
    assert "/confirm" not in report.text
    files = {"file": ("results.csv", _file(GOOD), "text/csv")}
    upload = console.post("/console/imports", data={"csrf_token": csrf}, files=files)
    assert upload.status_code == 403
    confirm = _confirm(console, csrf, dry_run, "x" * 43)
    assert confirm.status_code == 403
    bundle = console.post(f"/console/imports/{dry_run}/bundle", data={"csrf_token": csrf})
    assert bundle.status_code == 403
    assert _credentials(services) == 0


def test_progress_moves_to_done(
    console: TestClient, services: Services, timed_services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    make_user(services, ADMIN)
    signed_in(console, ADMIN)
    path = tmp_path / "results.csv"
    path.write_bytes(_file([_row(f"员工{i}", f"E-{i:04d}") for i in range(6)]))
    request = ImportRequest(path=path, filename=path.name, dry_run=False, actor=Actor("test"))
    with session_scope(services.sessions) as session:
        job_id = start_import(session, request, max_rows=100, now=services.clock()).id
    url = f"/console/imports/{job_id}/progress"
    first = console.get(url).json()
    assert (first["state"], first["processed_rows"], first["percent"]) == ("running", 0, 0)
    assert first["total_rows"] == 6
    page = console.get(f"/console/imports/{job_id}").text
    assert '<progress id="bar" max="100" value="0">' in page
    assert "/console/static/imports.js" in page
    assert "刷新" in page  # the way to follow it without the script

    seen: list[int] = []
    small_chunks = dataclasses.replace(
        timed_services,
        settings=services.settings.model_copy(update={"import_chunk_rows": 2}),
    )
    run_import(
        small_chunks,
        job_id,
        request,
        on_progress=lambda _done, _total: seen.append(console.get(url).json()["processed_rows"]),
    )
    assert seen == [2, 4, 6]
    last = console.get(url).json()
    assert (last["state"], last["percent"], last["issued"]) == ("done", 100, 6)
    assert "已完成" in last["state_words"]
    done_page = console.get(f"/console/imports/{job_id}").text
    assert "/console/static/imports.js" not in done_page
    assert "生成下载包" in done_page


def test_the_bundle_is_built_and_downloaded_under_the_session(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    make_user(services, ADMIN)
    csrf = signed_in(console, ADMIN)
    dry_run = _upload(console, csrf, _file(GOOD[:1]))  # one holder: rendered in-process
    token = _token_of(console.get(f"/console/imports/{dry_run}").text)
    location = _confirm(console, csrf, dry_run, token).headers["location"]
    job_id = _IMPORT_PAGE.match(location.split("?")[0])
    assert job_id is not None
    page = f"/console/imports/{job_id.group(1)}"
    not_yet = console.get(f"{page}/bundle.zip")
    assert not_yet.status_code == 409
    built = console.post(f"{page}/bundle", data={"csrf_token": csrf}, follow_redirects=False)
    assert built.status_code == 303
    assert "下载下载包" in console.get(page).text
    download = console.get(f"{page}/bundle.zip")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert len([n for n in names if n.endswith(".pdf")]) == 1
    assert "manifest.csv" in names
    assert uploads.is_kept(services.settings, dry_run) is False


def test_a_bundle_being_built_shows_its_chunks_and_can_be_stopped(
    console: TestClient, services: Services
) -> None:
    """The page shows the chunks done of the total and a stop button; stopping it leaves the
    bundle "cancelled" and the progress poll says so."""
    load_catalog(services)
    make_user(services, ADMIN)
    csrf = signed_in(console, ADMIN)
    dry_run = _upload(console, csrf, _file(GOOD[:2]))
    token = _token_of(console.get(f"/console/imports/{dry_run}").text)
    location = _confirm(console, csrf, dry_run, token).headers["location"]
    found = _IMPORT_PAGE.match(location.split("?")[0])
    assert found is not None
    job_id = found.group(1)
    with session_scope(services.sessions) as session:  # planned, not yet rendered
        request_bundle(session, job_id)
        plan_bundle(
            session, job_id, actor=Actor("test"), units=None, chunk_size=1, services=services
        )
    page = console.get(f"/console/imports/{job_id}").text
    assert '<span id="bundle-done">0</span> / <span id="bundle-total">2</span>' in page
    assert "停止生成" in page
    assert "Stop building" in page
    progress = console.get(f"/console/imports/{job_id}/progress").json()
    assert (progress["bundle_chunks_done"], progress["bundle_chunks_total"]) == (0, 2)
    stopped = console.post(
        f"/console/imports/{job_id}/bundle/cancel",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert stopped.status_code == 303
    assert stopped.headers["location"].endswith("?done=bundle_cancelled")
    after = console.get(stopped.headers["location"]).text
    assert "已停止生成下载包" in after
    assert console.get(f"/console/imports/{job_id}/progress").json()["bundle_state"] == (
        BundleState.CANCELLED
    )
    again = console.post(
        f"/console/imports/{job_id}/bundle/cancel",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert again.status_code == 409
