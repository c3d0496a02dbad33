"""Batch verification: ``POST /api/v1/verify/batch`` and the page ``/verify/batch``."""

from __future__ import annotations

import csv
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
from tests.issuer.helpers import issue_body, load_catalog

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
        data={"text": f"{first['credential']}\n{revoked['qr_text']}\n<b>x</b>", "format": "html"},
        files={"files": ("empty.txt", b"", "text/plain")},
    )
    assert page.status_code == 200, page.text
    assert "共 3 项，1 项真实有效" in page.text
    assert "<b>x</b>" not in page.text
    links = [part.split('"')[0] for part in page.text.split('href="/verify/batch/')[1:]]
    assert len(links) == 2
    as_csv = client.get(f"/verify/batch/{links[0]}")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [row["status"] for row in rows] == ["valid", "revoked", "unreadable"]
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
    assert "no items" in nothing.text
