"""Hostile import files: each is refused with a clear code, or read, in bounded memory.

The bound is the one docs/import-format.md states ("Limits"): reading a results file, of
either format, holds at most ``READ_HEAP_BOUND`` of traced heap whatever the file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.campaigns.xlsx import MAX_CELL_CHARS
from issuer.services import Services
from issuer.store.models import AuditEvent, ImportJob
from tests.helpers import coverage_paused
from tests.issuer.xlsx_files import (
    BILLION_LAUGHS,
    MAIN,
    XXE,
    inline_cell,
    read_peak,
    repeated,
    sheet_xml,
    write_package,
)

READ_HEAP_BOUND = 16 * 1024 * 1024
ROW = "".join(
    inline_cell(f"{chr(65 + i)}{{n}}", value)
    for i, value in enumerate(
        ["张三", "E{n}", "6-17-05-01", "junior", "U01", "2026-10-14", "S1", "80", "passed"]
    )
)


def _sheet_rows(count: int) -> Iterator[bytes]:
    head, tail = sheet_xml().split("</sheetData>")
    yield head.encode()
    for start in range(2, count + 2, 1000):
        numbers = range(start, min(start + 1000, count + 2))
        yield "".join(f'<row r="{n}">{ROW.format(n=n)}</row>' for n in numbers).encode()
    yield f"</sheetData>{tail}".encode()


def test_billion_laughs_in_any_part_is_refused_as_unsafe_xml(tmp_path: Path) -> None:
    body = f'<sst xmlns="{MAIN}"><si><t>&lol9;</t></si></sst>'
    for name, content in [
        ("xl/sharedStrings.xml", BILLION_LAUGHS + body),
        ("xl/worksheets/sheet1.xml", sheet_xml(prolog=BILLION_LAUGHS)),
        ("xl/workbook.xml", BILLION_LAUGHS + f'<workbook xmlns="{MAIN}"/>'),
        ("_rels/.rels", BILLION_LAUGHS + "<Relationships/>"),
    ]:
        path = write_package(tmp_path / "lol.xlsx", {name: content})
        outcome, peak = read_peak(path)
        assert outcome == "unsafe_xml", name
        assert peak < READ_HEAP_BOUND


def test_xxe_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("name\n")
    doctype = XXE.replace("/etc/passwd", str(secret))
    sheet = sheet_xml(prolog=doctype).replace("<sheetData>", "<sheetData>&xxe;")
    path = write_package(tmp_path / "xxe.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    assert read_peak(path)[0] == "unsafe_xml"
    # A DOCTYPE with only a public external subset, no internal declarations, too.
    public = '<!DOCTYPE worksheet SYSTEM "http://127.0.0.1:9/x.dtd">'
    path = write_package(
        tmp_path / "ext.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml(prolog=public)}
    )
    assert read_peak(path)[0] == "unsafe_xml"


def test_zip_bomb_part_is_refused_past_its_limit_in_bounded_memory(tmp_path: Path) -> None:
    # 200 MiB of whitespace inside the sheet, about 200 KB compressed.
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    bomb = repeated(head, b" " * 1024, 200 * 1024, b"</sheetData></worksheet>")
    path = write_package(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": bomb})
    assert path.stat().st_size < 1_000_000
    outcome, peak = read_peak(path)
    assert outcome == "file_too_large"
    assert peak < READ_HEAP_BOUND


def test_zip_bomb_with_a_lying_size_in_its_headers_is_refused(tmp_path: Path) -> None:
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    bomb = repeated(head, b" " * 1024, 200 * 1024, b"</sheetData></worksheet>")
    path = write_package(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": bomb})
    data = bytearray(path.read_bytes())
    # Claim 1 KiB uncompressed in the central directory and the zip64 extra field.
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    real = info.file_size.to_bytes(8, "little")
    data = data.replace(real, (1024).to_bytes(8, "little"))
    path.write_bytes(bytes(data))
    outcome, peak = read_peak(path)
    assert outcome in ("malformed_file", "file_too_large")
    assert peak < READ_HEAP_BOUND


def test_huge_shared_string_table_stays_on_disk(tmp_path: Path) -> None:
    # 150,000 distinct strings (about 5 MiB of XML); the header cells are the last ones.
    header = ["name", "employee_number", "occupation", "level", "unit", "exam_date"]
    header += ["exam_session", "score", "result"]
    count = 150_000
    items = repeated(
        f'<sst xmlns="{MAIN}">'.encode(),
        b"<si><t>filler text number x</t></si>",
        count,
        "".join(f"<si><t>{h}</t></si>" for h in header).encode() + b"</sst>",
    )
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="s"><v>{count + i}</v></c>' for i in range(len(header))
    )
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{cells}</row></sheetData></worksheet>'
    path = write_package(
        tmp_path / "strings.xlsx",
        {"xl/sharedStrings.xml": items, "xl/worksheets/sheet1.xml": sheet},
    )
    outcome, peak = read_peak(path)
    assert outcome == 0  # read: a header and no data rows
    assert peak < READ_HEAP_BOUND


def test_a_sheet_with_16384_columns_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    from openpyxl.utils import get_column_letter

    wide = "".join(
        f'<c r="{get_column_letter(i)}2" t="inlineStr"><is><t>{"x" * 500}</t></is></c>'
        for i in range(1, 16_385)
    )
    path = write_package(
        tmp_path / "wide.xlsx",
        {"xl/worksheets/sheet1.xml": sheet_xml(f'<row r="2">{wide}</row>')},
    )
    outcome, peak = read_peak(path)
    assert outcome == "too_many_columns"
    assert peak < READ_HEAP_BOUND


def test_empty_cells_far_to_the_right_are_ignored(tmp_path: Path) -> None:
    row = inline_cell("A2", "x") + '<c r="XFD2" s="1"/>'
    path = write_package(
        tmp_path / "far.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml(f'<row r="2">{row}</row>')}
    )
    assert read_peak(path)[0] == 1


def test_a_long_sheet_is_read_in_memory_that_does_not_grow_with_its_rows(tmp_path: Path) -> None:
    small = write_package(tmp_path / "small.xlsx", {"xl/worksheets/sheet1.xml": _sheet_rows(2_000)})
    big = write_package(tmp_path / "big.xlsx", {"xl/worksheets/sheet1.xml": _sheet_rows(40_000)})
    with coverage_paused():  # the reader is covered by the small files
        small_outcome, small_peak = read_peak(small)
        big_outcome, big_peak = read_peak(big)
    assert (small_outcome, big_outcome) == (2_000, 40_000)
    assert big_peak < READ_HEAP_BOUND
    assert big_peak < small_peak + 2 * 1024 * 1024  # twenty times the rows, the same heap


def test_deeply_nested_xml_is_refused(tmp_path: Path) -> None:
    deep = "<a>" * 100_000 + "</a>" * 100_000
    path = write_package(
        tmp_path / "deep.xlsx",
        {"xl/worksheets/sheet1.xml": sheet_xml().replace("</sheetData>", deep + "</sheetData>")},
    )
    outcome, peak = read_peak(path)
    assert outcome == "malformed_file"
    assert peak < READ_HEAP_BOUND


def test_overlong_cells_are_cut_and_reported_as_too_long(tmp_path: Path) -> None:
    long_name = "名" * 100_000
    row = inline_cell("A2", long_name)
    path = write_package(
        tmp_path / "long.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml(f'<row r="2">{row}</row>')}
    )
    from issuer.campaigns.results_file import open_results_file

    (row_read,) = open_results_file(path).rows()
    assert row_read.cells["name"] == "名" * (MAX_CELL_CHARS + 1)


def _broken_packages(tmp_path: Path) -> dict[str, Path]:
    plain = write_package(tmp_path / "plain.xlsx", {})
    data = plain.read_bytes()
    cases = {
        "truncated": data[: len(data) // 2],
        "not_a_zip": b"PK\x03\x04" + b"\0" * 100,
    }
    paths = {name: tmp_path / f"{name}.xlsx" for name in cases}
    for name, content in cases.items():
        paths[name].write_bytes(content)
    paths["no_workbook"] = write_package(
        tmp_path / "nowb.xlsx", {}, leave_out=["xl/workbook.xml", "_rels/.rels"]
    )
    paths["no_sheet"] = write_package(
        tmp_path / "nosheet.xlsx", {}, leave_out=["xl/worksheets/sheet1.xml"]
    )
    paths["bad_xml"] = write_package(
        tmp_path / "badxml.xlsx", {"xl/worksheets/sheet1.xml": "<worksheet><sheetData>"}
    )
    missing_string = '<row r="2"><c r="A2" t="s"><v>7</v></c></row>'
    paths["missing_shared_string"] = write_package(
        tmp_path / "nostr.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml(missing_string)}
    )
    backwards = f'<row r="3">{inline_cell("A3", "x")}</row><row r="2"></row>'
    paths["rows_out_of_order"] = write_package(
        tmp_path / "order.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml(backwards)}
    )
    return paths


def test_bad_zip_and_missing_parts_are_malformed_files(tmp_path: Path) -> None:
    for name, path in _broken_packages(tmp_path).items():
        outcome, peak = read_peak(path)
        assert outcome == "malformed_file", name
        assert peak < READ_HEAP_BOUND


def test_a_zip_directory_of_many_entries_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "entries.xlsx"
    many = {f"junk/{i:06d}-{'x' * 60}": b"" for i in range(5000)}
    write_package(path, dict(many))
    outcome, peak = read_peak(path)
    assert outcome == "file_too_large"
    assert peak < READ_HEAP_BOUND


def test_api_answers_a_billion_laughs_upload_with_422_and_stores_nothing(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    path = write_package(
        tmp_path / "lol.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml(prolog=BILLION_LAUGHS)}
    )
    with services.sessions() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    for dry_run in ("true", "false"):
        response = client.post(
            f"/api/v1/imports?dry_run={dry_run}",
            files={"file": ("lol.xlsx", path.read_bytes(), xlsx)},
            headers=admin_headers,
        )
        assert response.status_code == 422
        assert response.json()["code"] == "unsafe_xml"
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportJob)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"a," * 2000 + b"\r\n", "too_many_columns"),
        (b"name," + b"x" * (2 << 20) + b"\r\n", "file_too_large"),
        (b'"a\nb",' * 200_000 + b"\r\n", "file_too_large"),
    ],
)
def test_csv_rows_too_wide_or_too_long_are_refused_in_bounded_memory(
    tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    outcome, peak = read_peak(path)
    assert outcome == code
    assert peak < READ_HEAP_BOUND
