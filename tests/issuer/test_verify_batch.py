"""Batch verification: ``POST /api/v1/verify/batch`` and the page ``/verify/batch``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.web.batch_verifier import MAX_STORED_REPORTS, REPORT_TTL_SECONDS, ReportStore
from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.issuer.helpers import issue_body, load_catalog
from verifier.batch import BatchReport
from verifier.batch_items import MAX_ITEMS

API = "/api/v1/verify/batch"
NAMES = ("王小明", "李雷", "韩梅梅")


def _issue_three(
    client: TestClient, headers: dict[str, str], services: Services
) -> list[dict[str, Any]]:
    """Three credentials; the second is revoked."""
    load_catalog(services)
    issued = []
    for number, name in enumerate(NAMES, start=1):
        body = issue_body(holder={"name": name, "employee_number": f"E-{number}"})
        response = client.post("/api/v1/credentials", json=body, headers=headers)
        assert response.status_code == 201, response.text
        issued.append(response.json())
    revoke = f"/api/v1/credentials/{issued[1]['id']}/revoke"
    assert client.post(revoke, json={"reason": "exam_misconduct"}, headers=headers).is_success
    return issued


def _statuses(report: dict[str, Any]) -> list[str]:
    return [row["status"] for row in report["rows"]]


def test_a_json_list_of_every_kind_of_item_gets_one_row_each_and_a_summary(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    first, revoked, third = _issue_three(client, admin_headers, services)
    items = [
        first["credential"],
        revoked["qr_text"],
        f"http://testserver/v/{third['id']}".replace("http://testserver", services.base_url),
        {"certificate_number": third["number"], "holder_name": " 韩梅梅 "},
        {"certificate_number": third["number"], "holder_name": "李雷"},
        "not a credential",
        first["credential"][:-8] + "AAAAAAAA",
        42,
    ]
    response = client.post(API, json=items)
    assert response.status_code == 200, response.text
    report = response.json()
    assert _statuses(report) == [
        "valid",
        "revoked",
        "valid",
        "valid",
        "not_found",
        "unreadable",
        "invalid",
        "unreadable",
    ]
    assert [row["index"] for row in report["rows"]] == list(range(1, 9))
    kinds = [row["kind"] for row in report["rows"]]
    assert kinds[:5] == ["token", "packed_link", "verify_link", "certificate", "certificate"]
    assert report["total"] == 8
    assert report["summary"]["valid"] == 3
    assert report["summary"]["unreadable"] == 2
    assert report["summary"]["expired"] == 0
    rows = report["rows"]
    assert rows[0]["holder_name"] == NAMES[0]
    assert rows[0]["employee_number"] == "E-1"
    assert rows[1]["reason"] == "exam_misconduct"
    assert rows[3]["certificate_number"] == third["number"]
    assert rows[4]["reason"] == "credential_not_found"
    assert rows[4]["holder_name"] is None  # a wrong name learns nothing about the holder
    assert rows[6]["holder_name"] is None  # nothing shown of a credential that is not genuine
    # What a printed certificate shows, nothing more.
    assert "national_id" not in response.text
    assert "110101199003074477" not in response.text


def test_a_chinese_csv_in_gb18030_with_a_header_row(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    first, _, third = _issue_three(client, admin_headers, services)
    text = (
        f"姓名,证书编号\r\n{NAMES[0]},{first['number']}\r\n韩梅梅,TS0000\r\n\r\n"
        f"{NAMES[2]},{third['number'].lower()}\r\n"
    )
    response = client.post(
        API, content=text.encode("gb18030"), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert _statuses(response.json()) == ["valid", "not_found", "valid"]


def test_csv_answer_is_neutralised_and_reads_back_with_the_csv_module(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    first, revoked, _ = _issue_three(client, admin_headers, services)
    lines = f'{first["credential"]}\n{revoked["credential"]}\n=HYPERLINK("x"),@SUM(1)\n'
    response = client.post(
        API + "?format=csv", content=lines, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["status"] for row in rows] == ["valid", "revoked", "not_found"]
    assert rows[0]["holder_name"] == NAMES[0]
    assert rows[2]["certificate_number"] == '\'=HYPERLINK("x")'
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())


def test_pdf_answer_reads_back_with_pdftotext(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run this test: pdftotext (poppler-utils) is not installed")
        pytest.skip("pdftotext (Debian package 'poppler-utils') is not installed")
    first, revoked, _ = _issue_three(client, admin_headers, services)
    items = [first["credential"], revoked["credential"], "garbage"]
    response = client.post(API, json=items, headers={"Accept": "application/pdf"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    (tmp_path / "report.pdf").write_bytes(response.content)
    done = subprocess.run(
        [pdftotext, "-layout", "-enc", "UTF-8", "report.pdf", "-"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
        timeout=60,
    )
    text = done.stdout.decode()
    assert "批量核验报告" in text
    assert "真实有效" in text
    assert "Revoked" in text
    assert "无法识别为证书" in text
    assert NAMES[0] in text
    assert NAMES[1] in text
    assert "共 3 项" in text


def test_uploaded_certificates_badges_and_a_csv_file_in_one_multipart_batch(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    first, revoked, third = _issue_three(client, admin_headers, services)

    def document(issued: dict[str, Any], name: str) -> bytes:
        url = f"/api/v1/credentials/{issued['id']}/{name}"
        response = client.get(url, headers=admin_headers)
        assert response.status_code == 200, response.text
        return response.content

    files = [
        ("files", ("first.pdf", document(first, "certificate.pdf"), "application/pdf")),
        ("files", ("revoked.png", document(revoked, "badge.png"), "image/png")),
        ("files", ("third.svg", document(third, "badge.svg"), "image/svg+xml")),
        ("files", ("holiday.jpg", b"\xff\xd8\xff\xe0 not really", "image/jpeg")),
        ("files", ("list.csv", f"{third['number']},{NAMES[2]}\n".encode(), "text/csv")),
    ]
    response = client.post(API, files=files, data={"text": first["qr_text"]})
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("pdf", "valid"),
        ("badge_png", "revoked"),
        ("badge_svg", "valid"),
        ("file", "unreadable"),
        ("certificate", "valid"),
        ("packed_link", "valid"),
    ]
    assert rows[0]["source"] == "first.pdf"
    assert rows[3]["reason"] == "unreadable_file"
    assert "image cannot be read" in rows[3]["reason_text"]


def test_limits_and_malformed_requests_are_clear_4xx(client: TestClient) -> None:
    too_many = client.post(API, json=["x"] * 5001)
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "too_many_items"
    lines = client.post(API, content="x\n" * 5001, headers={"Content-Type": "text/csv"})
    assert lines.json()["code"] == "too_many_items"
    empty = client.post(API, json=[])
    assert (empty.status_code, empty.json()["code"]) == (422, "no_items")
    shape = client.post(API, json={"credential": "x"})
    assert (shape.status_code, shape.json()["code"]) == (422, "invalid_request")
    not_json = client.post(API, content=b"[1,", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422
    media = client.post(API, content=b"x", headers={"Content-Type": "application/xml"})
    assert (media.status_code, media.json()["code"]) == (415, "unsupported_media_type")
    binary = client.post(API, content=b"\xff\xfe\x00\x81", headers={"Content-Type": "text/csv"})
    assert binary.status_code in (200, 422)  # GB 18030 decodes almost anything; never a 500


def test_the_body_limit_and_the_batch_rate_limit(settings: Settings, services: Services) -> None:
    limited = settings.model_copy(
        update={"verify_batch_max_bytes": 4096, "verify_batch_rate_limit": "2/hour"}
    )
    with TestClient(create_app(limited, services=services)) as client:
        big = client.post(API, content=b"x" * 5000, headers={"Content-Type": "text/csv"})
        assert (big.status_code, big.json()["code"]) == (413, "body_too_large")
        assert client.post(API, json=["x"]).status_code == 200
        assert client.post(API, json=["x"]).status_code == 200
        third = client.post(API, json=["x"])
        assert third.status_code == 429
        assert third.json()["code"] == "rate_limited"
        assert int(third.headers["retry-after"]) > 0
        # One batch is one request to the general limit, whatever it holds.
        assert client.post("/api/v1/verify", json={"credential": "x"}).status_code == 200


def test_the_page_shows_the_report_and_offers_it_as_csv_and_pdf(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    first, revoked, _ = _issue_three(client, admin_headers, services)
    form = client.get("/verify/batch")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    assert "content-security-policy" in form.headers
    page = client.post(
        "/verify/batch",
        data={
            "text": f"{first['credential']}\n{revoked['qr_text']}\n<b>x</b>\nTS0,{NAMES[0]}",
            "format": "html",
        },
        files={"files": ("empty.txt", b"", "text/plain")},
    )
    assert page.status_code == 200, page.text
    assert "共 4 项，1 项真实有效" in page.text
    assert "<b>x</b>" not in page.text
    assert "证书编号与姓名不符" in page.text
    links = [part.split('"')[0] for part in page.text.split('href="/verify/batch/')[1:]]
    assert len(links) == 2
    as_csv = client.get(f"/verify/batch/{links[0]}")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [row["status"] for row in rows] == ["valid", "revoked", "unreadable", "not_found"]
    as_pdf = client.get(f"/verify/batch/{links[1]}")
    assert as_pdf.content.startswith(b"%PDF-")
    gone = client.get("/verify/batch/" + "A" * 43 + "/report.csv")
    assert (gone.status_code, gone.json()["code"]) == (404, "report_expired")
    empty_file = {"files": ("empty.txt", b"", "text/plain")}
    direct = client.post(
        "/verify/batch", data={"text": first["credential"], "format": "csv"}, files=empty_file
    )
    assert direct.headers["content-type"].startswith("text/csv")
    urlencoded = client.post("/verify/batch", data={"text": first["credential"]})
    assert urlencoded.status_code == 415
    nothing = client.post("/verify/batch", data={"text": " "}, files={"x": ("a", b"", "")})
    assert nothing.status_code == 422
    assert "没有可核验的内容" in nothing.text
    assert "Nothing to verify" in nothing.text
    in_english = client.post(
        "/verify/batch?lang=en", data={"text": "a\n" * (MAX_ITEMS + 1)}, files=empty_file
    )
    assert in_english.status_code == 422
    assert f"A batch holds at most {MAX_ITEMS} items" in in_english.text
    assert "一次最多" not in in_english.text


def test_a_share_link_is_verified_and_a_revoked_one_names_no_credential(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    first, _, _ = _issue_three(client, admin_headers, services)
    created = client.post(f"/api/v1/credentials/{first['id']}/share-links", headers=admin_headers)
    assert created.status_code == 201, created.text
    link = created.json()["url"]
    response = client.post(API, json=[link, link + "x" * 8])
    rows = response.json()["rows"]
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("share_link", "valid"),
        ("share_link", "not_found"),
    ]
    assert rows[0]["holder_name"] == NAMES[0]
    # The single verify API takes the share link too.
    single = client.post("/api/v1/verify", json={"credential": f"{link}/credential.jwt"})
    assert single.json()["status"] == "valid"


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_page_in_chromium_uploads_files_and_downloads_the_csv(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    base, client = live_server
    first, revoked, third = _issue_three(client, admin_headers, services)
    pdf = client.get(f"/api/v1/credentials/{first['id']}/certificate.pdf", headers=admin_headers)
    (tmp_path / "certificate.pdf").write_bytes(pdf.content)
    (tmp_path / "list.csv").write_text(
        f"证书编号,姓名\n{third['number']},{NAMES[2]}\nTS000,{NAMES[0]}\n", encoding="utf-8"
    )
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True, extra_http_headers=BOTH_LANGUAGES)
            page.on("console", lambda message: messages.append(message.text))
            page.goto(f"{base}/verify/batch")
            page.set_input_files("#files", [tmp_path / "certificate.pdf", tmp_path / "list.csv"])
            page.fill("#text", revoked["qr_text"])
            page.locator("button[value=html]").click()
            page.wait_for_load_state()
            summary = page.locator("section.verdict").inner_text()
            statuses = page.locator("tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.status)"
            )
            with page.expect_download() as download_info:
                page.get_by_text("Download CSV").click()
            download = download_info.value
            saved = tmp_path / "report.csv"
            download.save_as(saved)
        finally:
            browser.close()
    assert "共 4 项，2 项真实有效" in summary
    assert statuses == ["valid", "valid", "not_found", "revoked"]
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert [row["status"] for row in rows] == statuses
    assert rows[0]["source"] == "certificate.pdf"
    assert [m for m in messages if "Content Security Policy" in m or "Refused" in m] == []


def test_the_report_store_keeps_reports_for_their_time_and_renders_each_once() -> None:
    now = [1000.0]
    store = ReportStore(clock=lambda: now[0])
    report = BatchReport(total=0, summary={}, rows=[], checked_at=dt.datetime.now(dt.UTC))
    token = store.put(report)
    assert len(token) >= 43  # 256 random bits
    assert store.get(token) is report
    assert store.rendered(token, "pdf") is None
    store.keep_rendered(token, "pdf", b"%PDF-")
    assert store.rendered(token, "pdf") == b"%PDF-"
    now[0] += REPORT_TTL_SECONDS
    assert store.get(token) is None
    tokens = [store.put(report) for _ in range(MAX_STORED_REPORTS + 1)]
    assert store.get(tokens[0]) is None  # the oldest goes first
    assert store.get(tokens[-1]) is report
