"""One vocabulary: the certificate, the share page, the verify page and the API docs name each
field with the same words (verifier/labels.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from tests.issuer.helpers import issue_body, load_catalog
from verifier import labels
from verifier.labels import Label

ROOT = Path(__file__).resolve().parents[2]


def _pdftotext() -> str:
    path = shutil.which("pdftotext")
    if path is None:
        message = "pdftotext (Debian package 'poppler-utils') is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the certificate tests: {message}")
        pytest.skip(message)
    return path


def _shown(label: Label, html: str) -> bool:
    return f'<dt>{label.zh} <span class="en" lang="en">{label.en}</span></dt>' in html


def test_certificate_share_page_and_verify_page_use_the_same_labels(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    load_catalog(services)
    issued: dict[str, Any] = client.post(
        "/api/v1/credentials", json=issue_body(), headers=admin_headers
    ).json()
    pdf = client.get(f"/api/v1/credentials/{issued['id']}/certificate.pdf", headers=admin_headers)
    (tmp_path / "c.pdf").write_bytes(pdf.content)
    done = subprocess.run(
        [_pdftotext(), "-enc", "UTF-8", "c.pdf", "-"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
        timeout=60,
    )
    printed = done.stdout.decode()
    for label in labels.PRINTED:
        assert label.zh in printed, label
        assert label.en in printed, label
    page = client.get(f"/v/{issued['id']}").text
    on_page = [
        labels.HOLDER_NAME,
        labels.EMPLOYEE_NUMBER,
        labels.OCCUPATION_CODE,
        labels.UNIT,
        labels.CERTIFICATE_NUMBER,
        labels.EXAM_DATE,
        labels.DATE_OF_ISSUE,
    ]
    assert all(_shown(label, page) for label in on_page), page
    assert f"<dd>{issued['number']}</dd>" in page
    link = client.post(f"/api/v1/credentials/{issued['id']}/share-links", headers=admin_headers)
    share = client.get(link.json()["url"].split("tessera.test", 1)[1]).text
    for label in (labels.HOLDER_NAME, labels.CERTIFICATE_NUMBER, labels.DATE_OF_ISSUE):
        assert _shown(label, share), label
    for old in ("颁发日期", "职业编码", "Credential id"):  # the words before one vocabulary
        assert old not in page + share + printed


def test_the_api_docs_name_each_field_with_its_label() -> None:
    text = (ROOT / "docs" / "verifier-api.md").read_text(encoding="utf-8")
    section = text.split("\n## Field names\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \| ([^|]+?) \|$", section, re.MULTILINE)
    documented = {field: (zh, en) for field, zh, en in rows}
    assert documented == {field: (label.zh, label.en) for field, label in labels.API_FIELDS.items()}
