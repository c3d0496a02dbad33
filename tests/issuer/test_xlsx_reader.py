"""The XLSX reader gives what openpyxl's read-only mode gave, for files openpyxl writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from issuer.campaigns.xlsx import read_xlsx_rows
from tests.issuer.xlsx_files import MAIN, inline_cell, sheet_xml, write_package


def _openpyxl_rows(path: Path) -> list[list[str]]:
    """What the reader before this one returned: openpyxl's values as text."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    rows: list[list[str]] = []
    for values in book.worksheets[0].iter_rows(values_only=True):
        row: list[str] = []
        for value in values:
            if value is None:
                row.append("")
            elif isinstance(value, dt.datetime):
                midnight = value.time() == dt.time()
                row.append(value.date().isoformat() if midnight else value.isoformat())
            elif isinstance(value, float) and value.is_integer():
                row.append(str(int(value)))
            else:
                row.append(str(value))
        while row and not row[-1]:
            row.pop()
        rows.append(row)
    book.close()
    return rows


def test_values_match_openpyxl_for_a_workbook_it_writes(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "employee_number", "exam_date", "score", "note"])
    sheet.append(["张三", 12345, dt.date(2026, 10, 14), 88.5, '=HYPERLINK("http://x","y")'])
    sheet.append(["李四", "007", dt.datetime(2026, 10, 14, 9, 30), 90.0, True])
    sheet.append(["王五", -3, dt.time(12, 30), 1e300, False])
    sheet["A6"] = "after a blank row"
    sheet["B6"] = "=SUM(1,2)"
    sheet["C6"] = 46309
    sheet["C6"].number_format = "yyyy-mm-dd"
    sheet["D6"] = 0.1
    runs: list[str | TextBlock] = ["rich ", TextBlock(InlineFont(b=True), "text")]
    sheet["A7"] = CellRichText(runs)
    path = tmp_path / "book.xlsx"
    book.save(path)
    ours = list(read_xlsx_rows(path))
    assert ours == _openpyxl_rows(path)
    assert ours[1] == ["张三", "12345", "2026-10-14", "88.5", '=HYPERLINK("http://x","y")']
    assert ours[2] == ["李四", "007", "2026-10-14T09:30:00", "90", "True"]
    assert ours[3][2] == "12:30:00"
    assert ours[4] == []
    assert ours[5] == ["after a blank row", "=SUM(1,2)", "2026-10-14", "0.1"]
    assert ours[6] == ["rich text"]


def test_write_only_workbooks_like_the_import_tests_use(tmp_path: Path) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.append(["姓名", "考试日期", "成绩"])
    sheet.append(["张三", dt.date(2026, 10, 14), 90])
    path = tmp_path / "wo.xlsx"
    book.save(path)
    assert list(read_xlsx_rows(path)) == _openpyxl_rows(path)


def test_inline_strings_shared_formulas_and_chinese_date_formats(tmp_path: Path) -> None:
    styles = (
        f'<styleSheet xmlns="{MAIN}"><cellXfs count="3"><xf numFmtId="0"/>'
        '<xf numFmtId="31"/><xf numFmtId="46"/></cellXfs></styleSheet>'
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/></Relationships>'
    )
    row = (
        inline_cell("A2", "x")
        + '<c r="B2" s="1"><v>46309</v></c>'
        + '<c r="C2" s="2"><v>1.5</v></c>'
        + '<c r="D2"><f t="shared" ref="D2:D3" si="0">A2&amp;"!"</f><v>x!</v></c>'
        + '<c r="E2" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r>'
        + "<rPh><t>hint</t></rPh></is></c>"
        + '<c r="F2" s="1"><v>99999999999</v></c>'
        + '<c r="G2" t="d"><v>2026-10-14T00:00:00</v></c>'
        + '<c r="H2" t="e"><v>#N/A</v></c>'
    )
    row3 = '<c r="D3"><f t="shared" si="0"/><v>y!</v></c>'
    sheet = sheet_xml(f'<row r="2">{row}</row><row r="3">{row3}</row>')
    path = write_package(
        tmp_path / "hand.xlsx",
        {
            "xl/worksheets/sheet1.xml": sheet,
            "xl/styles.xml": styles,
            "xl/_rels/workbook.xml.rels": rels,
        },
    )
    rows = list(read_xlsx_rows(path))
    assert rows[1] == [
        "x",
        "2026-10-14",
        "1 day, 12:00:00",
        '=A2&"!"',
        "ab",
        "99999999999",
        "2026-10-14",
        "#N/A",
    ]
    assert rows[2] == ["", "", "", '=A3&"!"']
