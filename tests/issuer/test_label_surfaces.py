"""One field, one name on every surface: the verify page, the printed certificate (read back
with poppler's ``pdftotext``), the share page and the badge (verifier/labels.py).

Each surface is read as a person reads it, not as the code builds it: the pages' field names
are their ``<dt>`` texts, the certificate's are the lines ``pdftotext -bbox`` finds in its
label column. For every label in verifier/labels.py a surface shows, in either language, it
must show that label's Chinese and English words together, naming one field; and the fields
every surface shows must be there.

The badge is checked the other way round: its picture (SVG ``<text>``, the PNG drawn from the
same values) carries values only, the occupation, the level and the occupation code, with no
field names, so there is no label to disagree with; the test pins that, and that the values
are the certificate's. Its embedded credential names fields as Open Badges 3.0 defines them
(``achievement.name``), which are the standard's words, not ours to translate.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from issuer.services import Services
from tests.issuer.helpers import issue_body, load_catalog
from tests.issuer.pdf_files import Word, pages_of_words
from verifier import labels
from verifier.labels import Label

EVERY_LABEL = [value for value in vars(labels).values() if isinstance(value, Label)]
ON_EVERY_SURFACE = [
    labels.HOLDER_NAME,
    labels.UNIT,
    labels.CERTIFICATE_NUMBER,
    labels.EXAM_DATE,
    labels.DATE_OF_ISSUE,
]
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Line:
    """Words ``pdftotext`` put on one baseline, left to right, from the page's top-left."""

    text: str
    x: float
    y: float


def _lines(words: list[Word]) -> list[Line]:
    rows: dict[tuple[int, int], list[Word]] = {}
    for word in words:  # a label column line: same baseline, words a space apart
        rows.setdefault((round(word.y_max), round(word.x_min) // 200), []).append(word)
    lines = []
    for row in rows.values():
        row.sort(key=lambda w: w.x_min)
        lines.append(Line(" ".join(w.text for w in row), row[0].x_min, row[0].y_max))
    return lines


def _field_names_of_page(page: str) -> list[str]:
    """The page's field names: each ``<dt>`` as text, both languages with one space."""
    found = re.findall(r"<dt[^>]*>(.*?)</dt>", page, re.DOTALL)
    return [" ".join(html.unescape(_TAG.sub(" ", dt)).split()) for dt in found]


def _check_page(name: str, page: str, required: list[Label]) -> None:
    shown = _field_names_of_page(page)
    assert shown, f"{name}: no field names found"
    for label in EVERY_LABEL:
        pair = f"{label.zh} {label.en}"
        alone = [
            text
            for text in shown
            if text != pair and (text.startswith(label.zh + " ") or text.endswith(" " + label.en))
        ]
        assert alone == [], f"{name} names {label} otherwise: {alone}"
    for label in required:
        assert f"{label.zh} {label.en}" in shown, f"{name} does not name {label}: {shown}"


def _check_certificate(pdf: Path) -> set[Label]:
    [words] = pages_of_words(pdf)
    lines = _lines(words)
    printed = set()
    for label in EVERY_LABEL:
        zh = [line for line in lines if line.text == label.zh]
        en = [line for line in lines if line.text == label.en]
        if not zh and not en:
            continue
        assert len(zh) == 1, (label, zh)
        assert len(en) == 1, (label, en)
        # One field: the English right under the Chinese, in the same column.
        assert abs(zh[0].x - en[0].x) < 1, label
        assert 5 < en[0].y - zh[0].y < 20, label
        printed.add(label)
    return printed


def test_each_field_has_one_name_on_page_certificate_share_page_and_badge(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    load_catalog(services)
    body = issue_body(valid_until="2031-12-31T00:00:00Z")
    issued: dict[str, Any] = client.post(
        "/api/v1/credentials", json=body, headers=admin_headers
    ).json()
    credential = f"/api/v1/credentials/{issued['id']}"
    pdf = client.get(f"{credential}/certificate.pdf", headers=admin_headers)
    (tmp_path / "c.pdf").write_bytes(pdf.content)
    printed = _check_certificate(tmp_path / "c.pdf")
    assert printed == set(labels.PRINTED)

    page = client.get(f"/v/{issued['id']}")
    assert page.status_code == 200
    on_page = [*ON_EVERY_SURFACE, labels.EMPLOYEE_NUMBER, labels.OCCUPATION_CODE, labels.ISSUER]
    _check_page("the verify page", page.text, [*on_page, labels.VALID_UNTIL])

    link = client.post(f"{credential}/share-links", headers=admin_headers).json()["url"]
    share = client.get(urlsplit(link).path)
    assert share.status_code == 200
    _check_page("the share page", share.text, ON_EVERY_SURFACE)

    svg = client.get(f"{credential}/badge.svg", headers=admin_headers).text
    drawn = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    assert drawn, svg
    for label in EVERY_LABEL:
        assert label.zh not in drawn, label
        assert label.en not in drawn, label
        assert label.en.upper() not in drawn, label
    pdf_text = " ".join(w.text for w in pages_of_words(tmp_path / "c.pdf")[0])
    for value in drawn:  # the badge's values are the certificate's
        assert value in pdf_text or value.title() in pdf_text, value
