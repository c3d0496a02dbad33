"""Fuzzing the import parsers: whatever the bytes, reading a results file gives rows or
refuses the file with ``InvalidInputError`` (a 4xx), never another exception."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.campaigns.results_file import open_results_file
from issuer.errors import InvalidInputError
from tests.issuer.xlsx_files import HEADER, MAIN, sheet_xml, write_package

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        path.write_bytes(content)
        try:
            results = open_results_file(path)
            for row in results.rows():
                assert all(isinstance(v, str) for v in row.cells.values())
        except InvalidInputError:
            pass


def _package(parts: dict[str, str | bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = write_package(Path(folder) / "f.xlsx", dict(parts), compression=compression)
        return path.read_bytes()


_VALID = _package({})
_HEADER_CSV = ",".join(HEADER).encode() + b"\r\n"


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_as_csv(data: bytes) -> None:
    _read(data)
    _read(_HEADER_CSV + data)


@FUZZ
@given(st.text(max_size=300))
def test_any_text_after_a_csv_header(text: str) -> None:
    for encoding in ("utf-8", "gb18030", "utf-16"):
        _read(_HEADER_CSV + text.encode(encoding, "replace"))


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(_VALID) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=8,
    ),
    st.integers(min_value=0, max_value=len(_VALID)),
)
def test_damaged_xlsx_bytes(changes: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_VALID)
    for at, value in changes:
        data[at] = value
    _read(bytes(data))
    _read(bytes(data[:cut]) if cut >= 4 else b"PK\x03\x04")


_XML_TEXT = st.text(alphabet=st.sampled_from('<>/="&;!?[] abcrtvsi-1:#x\n'), max_size=300)


@FUZZ
@given(
    st.sampled_from(
        [
            "xl/worksheets/sheet1.xml",
            "xl/sharedStrings.xml",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "_rels/.rels",
            "xl/styles.xml",
        ]
    ),
    _XML_TEXT,
)
def test_any_text_as_an_xml_part(part: str, text: str) -> None:
    _read(_package({part: text}))
    _read(_package({part: f'<x xmlns="{MAIN}">{text}</x>'}))


_CELL = st.fixed_dictionaries(
    {
        "r": st.one_of(st.just(""), st.from_regex(r"[A-Z]{1,4}[0-9]{0,8}", fullmatch=True)),
        "t": st.sampled_from(["", "n", "s", "b", "d", "e", "str", "inlineStr", "zz"]),
        "s": st.sampled_from(["", "0", "1", "2", "-1", "x", "99999999999999999999999"]),
        "v": st.one_of(
            st.none(),
            st.sampled_from(["0", "1", "-1", "1e400", "nan", "inf", "2958466", "-700000"]),
            st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{0,10})?([eE]-?[0-9]{1,4})?", fullmatch=True),
            st.text(alphabet="0123456789.eE-+:TZx ", max_size=30),
        ),
        "f": st.one_of(st.none(), st.sampled_from(["", "A1+1", "SUM(A1:B2", "'x"])),
        "ft": st.sampled_from(["", "shared", "array", "dataTable"]),
    }
)


def _cell_xml(cell: dict[str, str | None]) -> str:
    attrs = "".join(f' {k}="{cell[k]}"' for k in ("r", "t", "s") if cell[k])
    inner = ""
    if cell["f"] is not None:
        kind = f' t="{cell["ft"]}" si="0" ref="A1:A9"' if cell["ft"] else ""
        inner += f"<f{kind}>{cell['f']}</f>"
    if cell["v"] is not None:
        inner += f"<v>{cell['v']}</v>"
    if cell["t"] == "inlineStr":
        inner += "<is><t>x</t><rPh><t>y</t></rPh></is>"
    return f"<c{attrs}>{inner}</c>"


_STYLES = (
    f'<styleSheet xmlns="{MAIN}"><numFmts><numFmt numFmtId="170" formatCode="[h]:mm"/>'
    '</numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="170"/>'
    "</cellXfs></styleSheet>"
)
_STRINGS = f'<sst xmlns="{MAIN}"><si><t>a</t></si><si><r><t>b</t></r></si></sst>'


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(min_value=-1, max_value=1_100_000).map(str)),
            st.lists(_CELL, max_size=6),
        ),
        max_size=6,
    ),
    st.booleans(),
)
def test_any_cells_in_a_well_formed_sheet(
    rows: list[tuple[str | None, list[dict[str, str | None]]]], date1904: bool
) -> None:
    body = "".join(
        (f'<row r="{number}">' if number is not None else "<row>")
        + "".join(_cell_xml(c) for c in cells)
        + "</row>"
        for number, cells in rows
    )
    workbook = (
        f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships"><workbookPr date1904="{int(date1904)}"/><sheets>'
        '<sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/{kind}" Target="{target}"/>'
            for i, kind, target in [
                (1, "worksheet", "worksheets/sheet1.xml"),
                (2, "sharedStrings", "sharedStrings.xml"),
                (3, "styles", "styles.xml"),
            ]
        )
        + "</Relationships>"
    )
    _read(
        _package(
            {
                "xl/worksheets/sheet1.xml": sheet_xml(body),
                "xl/workbook.xml": workbook,
                "xl/_rels/workbook.xml.rels": rels,
                "xl/styles.xml": _STYLES,
                "xl/sharedStrings.xml": _STRINGS,
            }
        )
    )


def test_the_fuzzers_base_package_is_readable() -> None:
    # The fuzzers' base package is itself readable: a header and no rows.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.xlsx"
        path.write_bytes(_VALID)
        assert open_results_file(path).count_rows() == 0
