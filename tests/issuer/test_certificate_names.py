"""Hard names on the A4 certificate and the wallet card: every glyph drawn, every line inside.

The names are in ``hard_names.json``: CJK Extensions A-E, the middle dot of Uyghur names
written in Chinese, long Latin names, a decomposed accent, Vietnamese, full-width letters.
Each is rendered straight from a ``CredentialDocument`` (no database); poppler's ``pdftotext``
must find it whole and inside the frame, and for the rare characters ``pdftoppm``'s raster of
the name must differ from the same name drawn without the rare-character font (where each
would be the font's .notdef box).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from issuer.documents import typesetting
from issuer.documents.card import CARD_HEIGHT_MM, CARD_WIDTH_MM, SAFE_MM, render_card_pdf
from issuer.documents.certificate import render_certificate_pdf
from issuer.documents.credential_document import CredentialDocument
from issuer.documents.typesetting import RARE_HAN_FONT, fit, missing_glyphs, runs, width
from tests.issuer.pdf_files import Word, debian_tool, pages_of_words, run
from verifier import labels

HARD_NAMES: dict[str, list[dict[str, Any]]] = json.loads(
    (Path(__file__).parent / "hard_names.json").read_text("utf-8")
)
CASES = HARD_NAMES["names"]
FRAME_MM = 15  # the certificate's inner frame line, from each edge of the A4 page
VALUE_X_MM = 80  # where the certificate's values start
DOCUMENT = CredentialDocument(
    credential_id="00000000-0000-7000-8000-000000000001",
    number="TS2026001000042",
    issuer_zh="示例职业技能等级认定中心",
    issuer_en="Example Skill Level Certification Centre",
    holder_name="王小明",
    employee_number="E-0001",
    occupation_code="6-17-05-01",
    occupation_zh="稀土湿法冶炼工",
    occupation_en="Rare Earth Hydrometallurgy Operator",
    level_code="senior",
    level_zh="高级工",
    level_en="Senior",
    unit_zh="冶炼一厂",
    unit_en="Smelter No. 1",
    achievement_name="稀土湿法冶炼工（高级工）",
    exam_date=dt.date(2026, 10, 14),
    issued_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
    valid_until=None,
    state="active",
    verify_url="https://issuer.example/verify/00000000-0000-7000-8000-000000000001",
    qr_text="https://issuer.example/c#1234567890",
    jws="not-used-here",
)


def _name(case: dict[str, Any]) -> str:
    name: str = case["name"]
    return unicodedata.normalize("NFD", name) if case.get("form") == "decomposed" else name


def _squeezed(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


def _rare(name: str) -> bool:
    return any(font == RARE_HAN_FONT for font, _run in runs(name))


def _between(words: list[Word], top: str, bottom: str) -> list[Word]:
    """The words under the first word ``top`` and above the first word ``bottom``."""
    upper = next(w for w in words if w.text == top)
    lower = next(w for w in words if w.text == bottom)
    return [w for w in words if upper.y_max < w.y_min + 2 and w.y_max < lower.y_min + 1]


def _certificate_name_words(pdf: Path) -> list[Word]:
    [page] = pages_of_words(pdf)
    label = next(w for w in page if w.text == labels.HOLDER_NAME.zh)
    below = next(w for w in page if w.text == "工号")
    return [
        w
        for w in page
        if w.x_min >= VALUE_X_MM * mm - 1 and label.y_min - 6 <= w.y_min < below.y_min - 4
    ]


IDS = [case["id"] for case in CASES]


def test_the_list_is_hard_and_every_character_has_an_embedded_glyph() -> None:
    names = [_name(case) for case in CASES]
    assert any(ord(c) > 0x20000 for name in names for c in name)  # Extension B and later
    assert any(len(name) > 100 for name in names)
    assert any(unicodedata.is_normalized("NFC", name) is False for name in names)
    assert {name: missing_glyphs(name) for name in names} == {name: [] for name in names}
    assert _rare("𠮷田")
    assert not _rare("王小明")
    assert [font for font, _run in runs("王小明 Li")] == ["TesseraCJK", "TesseraLatin"]
    assert missing_glyphs("王\U00030000") == ["\U00030000"]  # Extension G: not embedded


@pytest.mark.parametrize("case", HARD_NAMES["not_printable"], ids=lambda c: str(c["id"]))
def test_a_name_that_cannot_print_is_logged_without_the_name(
    case: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    name = case["name"]
    assert missing_glyphs(name)
    document = replace(DOCUMENT, holder_name=name)
    with caplog.at_level(logging.WARNING, logger="issuer.documents.certificate"):
        assert render_certificate_pdf(document).startswith(b"%PDF")
        assert render_card_pdf(document).startswith(b"%PDF")
    messages = [r.getMessage() for r in caplog.records]
    count = len(missing_glyphs(name))
    expected = f"{DOCUMENT.credential_id}: {count} printed characters have no embedded glyph"
    assert len(messages) == 2
    assert all(expected in m for m in messages)
    assert not any(c in m for m in messages for c in name if not c.isascii())
    assert missing_glyphs(DOCUMENT.holder_name) == []


def test_fitting_shrinks_then_takes_two_lines_and_never_overflows() -> None:
    short = fit("王小明", 15, 200, floor=10)
    assert (short.size, short.lines) == (15, ("王小明",))
    medium = "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff"
    shrunk = fit(medium, 15, width(medium, 15) * 0.8, floor=10)
    assert shrunk.lines == (medium,)
    assert shrunk.size == pytest.approx(12)
    [long] = [case["name"] for case in CASES if case["id"] == "latin-107"]
    two = fit(long, 15, 280, floor=10, bold=True)
    assert len(two.lines) == 2
    assert " ".join(two.lines) == long
    assert all(width(line, two.size, bold=True) <= 280 + 1e-6 for line in two.lines)
    uyghur = fit("阿卜杜勒·艾合买提", 15, 60, floor=10)
    assert uyghur.lines == ("阿卜杜勒·", "艾合买提")  # broken after the middle dot
    no_space = fit("𠮷" * 40, 15, 100, floor=10)
    assert "".join(no_space.lines) == "𠮷" * 40
    assert max(width(line, no_space.size) for line in no_space.lines) <= 100 + 1e-6


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_certificate_and_card_print_the_whole_name_inside_the_frame(
    case: dict[str, Any], tmp_path: Path
) -> None:
    name = _name(case)
    document = replace(DOCUMENT, holder_name=name)
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(render_certificate_pdf(document))
    words = _certificate_name_words(certificate)
    assert _squeezed(" ".join(w.text for w in words)) == _squeezed(name)
    page_width = A4[0]
    assert min(w.x_min for w in words) >= FRAME_MM * mm
    assert max(w.x_max for w in words) <= page_width - FRAME_MM * mm

    card = tmp_path / "card.pdf"
    card.write_bytes(render_card_pdf(document))
    front, back = pages_of_words(card)
    on_card = _between(front, "Centre", "职业")
    assert _squeezed(" ".join(w.text for w in on_card)) == _squeezed(name)
    safe = SAFE_MM * mm - 0.5
    both = front + back
    assert min(w.x_min for w in both) >= safe
    assert max(w.x_max for w in both) <= CARD_WIDTH_MM * mm - safe
    assert min(w.y_min for w in both) >= safe
    assert max(w.y_max for w in both) <= CARD_HEIGHT_MM * mm - safe


@pytest.mark.parametrize("case", [c for c in CASES if _rare(_name(c))], ids=lambda c: str(c["id"]))
def test_rare_characters_are_drawn_with_a_real_glyph_not_a_box(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdftoppm, pdffonts = debian_tool("pdftoppm"), debian_tool("pdffonts")
    name = _name(case)
    document = replace(DOCUMENT, holder_name=name)
    (tmp_path / "real.pdf").write_bytes(render_certificate_pdf(document))
    assert "HanaMinA" in run(pdffonts, "real.pdf", cwd=tmp_path)
    words = _certificate_name_words(tmp_path / "real.pdf")
    chain = typesetting.chain
    monkeypatch.setattr(
        typesetting,
        "chain",
        lambda code, bold=False: tuple(f for f in chain(code, bold=bold) if f != RARE_HAN_FONT),
    )
    assert missing_glyphs(name)  # without the font these would be .notdef boxes
    (tmp_path / "boxes.pdf").write_bytes(render_certificate_pdf(document))
    dpi = 100
    scale = dpi / 72
    box = [
        round(min(w.x_min for w in words) * scale) - 2,
        round(min(w.y_min for w in words) * scale) - 2,
        round((max(w.x_max for w in words) - min(w.x_min for w in words)) * scale) + 4,
        round((max(w.y_max for w in words) - min(w.y_min for w in words)) * scale) + 4,
    ]
    crop = ["-x", str(box[0]), "-y", str(box[1]), "-W", str(box[2]), "-H", str(box[3])]
    for stem in ("real", "boxes"):
        run(
            pdftoppm,
            "-r",
            str(dpi),
            "-gray",
            "-png",
            "-singlefile",
            *crop,
            f"{stem}.pdf",
            stem,
            cwd=tmp_path,
        )
    with Image.open(tmp_path / "real.png") as image:
        real = image.convert("L")
    with Image.open(tmp_path / "boxes.png") as image:
        boxes = image.convert("L")
    assert min(real.tobytes()) < 128  # ink where the name is
    changed = sum(ImageChops.difference(real, boxes).histogram()[65:])
    assert changed > 20  # the rare characters' glyphs, not the boxes
