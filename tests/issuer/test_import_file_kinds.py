"""What a results file is, by its bytes: .xls read (dates, numbers that are codes, numbers
that lost digits), GB18030 and tab-separated CSV read, and every file that is no table
refused with words naming it, through the import, the API and the command line."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from issuer.campaigns.file_kind import OLE2_MAGIC
from issuer.campaigns.import_run import ImportRequest, list_import_rows, run_import, start_import
from issuer.campaigns.results_file import open_results_file
from issuer.config import Settings
from issuer.errors import InvalidInputError
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import Credential, Holder, ImportJob
from tests.issuer.campaign_files import HEADER_ZH, csv_bytes, write_csv
from tests.issuer.helpers import load_catalog, run_cli
from tests.issuer.xls_files import Cell, write_xls
from verifier.i18n import Lang, say

ROW = ["王小明", "SF700001", "6-17-05-01", "高级", "U01", "2026-10-14", "2026-Q4-D3-R05", "91"]
PASSED = [*ROW, "合格"]


def _import(services: Services, path: Path, *, dry_run: bool = False) -> ImportJob:
    request = ImportRequest(path=path, filename=path.name, dry_run=dry_run, actor=Actor("test"))
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=1000, now=services.clock())
    return run_import(services, job.id, request)


def _outcomes(services: Services, job_id: str) -> dict[int, tuple[str, str | None, str | None]]:
    with services.sessions() as session:
        rows = list_import_rows(session, job_id, limit=1000, offset=0)
        return {r.row_number: (r.status, r.column, r.reason) for r in rows}


def _image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format=kind)
    return buffer.getvalue()


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
SEMICOLONS = csv_bytes([PASSED]).replace(",", ";").encode("utf-8")
DAMAGED_XLS = OLE2_MAGIC + bytes(1000)

# A Word 97-2003 document is an OLE2 compound file, as .xls is; its directory names the
# stream "WordDocument" (UTF-16). Crafted: only the bytes the check looks at are real.
_DOC = OLE2_MAGIC + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(500)

NOT_TABLES = [
    pytest.param("results.pdf", PDF, "file_is_pdf", id="pdf"),
    pytest.param("results.png", _image("PNG"), "file_is_image", id="png"),
    pytest.param("results.jpg", _image("JPEG"), "file_is_image", id="jpeg"),
    pytest.param("results.gif", _image("GIF"), "file_is_image", id="gif"),
    pytest.param("results.webp", _image("WEBP"), "file_is_image", id="webp"),
    pytest.param(
        "results.docx",
        _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}),
        "file_is_word",
        id="docx",
    ),
    pytest.param("results.doc", _DOC, "file_is_word", id="doc"),
    pytest.param("results.zip", _zip({"results.csv": "姓名,工号\r\n"}), "file_is_zip", id="zip"),
    pytest.param(
        "results.xls",
        b"<html><body><table><tr><td>name</td></tr></table></body></html>",
        "file_is_html",
        id="html-named-xls",
    ),
    pytest.param("results.txt", csv_bytes([PASSED]).encode("utf-16"), "utf16_text", id="utf16-bom"),
    pytest.param(
        "results.txt", csv_bytes([PASSED]).encode("utf-16-le"), "utf16_text", id="utf16-no-bom"
    ),
    pytest.param("results.csv", SEMICOLONS, "semicolon_separated", id="semicolon"),
    pytest.param("results.dat", bytes(range(256)) * 4, "file_is_binary", id="binary"),
    pytest.param("results.xls", DAMAGED_XLS, "unreadable_xls", id="damaged-xls"),
    pytest.param("results.csv", b"", "empty_file", id="empty"),
]


@pytest.mark.parametrize(("name", "content", "code"), NOT_TABLES)
def test_a_file_that_is_no_table_is_refused_with_words_naming_it(
    services: Services, tmp_path: Path, name: str, content: bytes, code: str
) -> None:
    load_catalog(services)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInputError) as caught:
        _import(services, path)
    assert caught.value.code == code
    assert str(caught.value) == say(f"import.file.{code}", Lang.BOTH)


@pytest.mark.parametrize(
    ("name", "content", "code", "zh", "en"),
    [
        ("r.pdf", PDF, "file_is_pdf", "PDF 文件", "This is a PDF file"),
        ("r.png", _image("PNG"), "file_is_image", "图片", "This is an image"),
        ("r.csv", SEMICOLONS, "semicolon_separated", "用分号分隔", "separated by semicolons"),
        (
            "r.xls",
            DAMAGED_XLS,
            "unreadable_xls",
            "保存为 XLSX 或 CSV 后重试",
            "Save as XLSX or CSV",
        ),
    ],
)
def test_the_api_answers_422_in_both_languages(
    client: TestClient,
    admin_headers: dict[str, str],
    name: str,
    content: bytes,
    code: str,
    zh: str,
    en: str,
) -> None:
    files = {"file": (name, content, "application/octet-stream")}
    answer = client.post("/api/v1/imports?dry_run=true", files=files, headers=admin_headers)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == code
    assert zh in problem["detail"]
    assert en in problem["detail"]


def test_an_xls_workbook_is_read_by_its_bytes_and_issued(
    services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    rows: list[list[Cell]] = [
        [
            "王小明",
            "SF700001",
            "6-17-05-01",
            "高级",
            "U01",
            dt.date(2026, 10, 14),
            "S-1",
            91,
            "合格",
        ],
        # An employee number typed into a number cell: 12345, not 12345.0.
        ["李娜", 12345.0, "6-17-05-01", "高级", "U01", dt.date(2026, 10, 15), "S-2", 88.5, "合格"],
        ["张伟", "SF700003", "6-17-05-01", "高级", "U01", "2026/10/16", "S-3", None, "不合格"],
    ]
    # Named .csv: what a file is comes from its bytes, never its name.
    path = write_xls(tmp_path / "results.csv", HEADER_ZH, rows)
    assert path.read_bytes().startswith(OLE2_MAGIC)
    job = _import(services, path)
    assert job.format == "xls"
    outcomes = _outcomes(services, job.id)
    assert [outcomes[n][0] for n in (2, 3, 4)] == ["issued", "issued", "not_passed"]
    with services.sessions() as session:
        issued = session.execute(
            select(Holder.employee_number, Credential.exam_date, Credential.score)
            .join(Credential, Credential.holder_id == Holder.id)
            .order_by(Holder.employee_number)
        ).all()
    assert [tuple(row) for row in issued] == [
        ("12345", dt.date(2026, 10, 15), 88.5),
        ("SF700001", dt.date(2026, 10, 14), 91.0),
    ]


def test_long_numbers_in_xls_number_cells_are_refused_asking_for_text(
    services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    header = [*HEADER_ZH, "身份证号"]
    day = dt.date(2026, 10, 14)
    rows: list[list[Cell]] = [
        # Excel keeps 15 digits: an 18-digit ID in a number cell has lost its last ones.
        [
            "王小明",
            "SF700001",
            "6-17-05-01",
            "高级",
            "U01",
            day,
            "S-1",
            91,
            "合格",
            110101199003074477,
        ],
        [
            "李娜",
            "SF700002",
            "6-17-05-01",
            "高级",
            "U01",
            day,
            "S-2",
            90,
            "合格",
            "110101199003074477",
        ],
    ]
    path = write_xls(tmp_path / "results.xls", header, rows)
    outcomes = _outcomes(services, _import(services, path).id)
    assert outcomes[2] == ("invalid", "national_id", "number_lost_digits")
    assert outcomes[3][0] == "issued"  # stored as text, the same number is whole


def test_a_gb18030_csv_from_chinese_excel_is_read(services: Services, tmp_path: Path) -> None:
    load_catalog(services)
    path = write_csv(tmp_path / "gbk.csv", [PASSED], encoding="gbk")
    path.read_bytes().decode("gbk")  # really GBK, and not UTF-8:
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    job = _import(services, path)
    assert _outcomes(services, job.id)[2][0] == "issued"
    with services.sessions() as session:
        assert session.scalar(select(Holder.name)) == "王小明"


def test_a_tab_separated_file_is_read(services: Services, tmp_path: Path) -> None:
    load_catalog(services)
    path = tmp_path / "results.txt"
    path.write_bytes(csv_bytes([PASSED]).replace(",", "\t").encode("utf-8"))
    assert _outcomes(services, _import(services, path).id)[2][0] == "issued"


def test_the_command_line_names_a_refused_file_in_both_languages(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    pdf = tmp_path / "results.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    code, out = run_cli(settings, "import", "--dry-run", str(pdf))
    assert code == 1
    assert "这是一个 PDF 文件，不是成绩表。" in out
    assert "This is a PDF file, not a results table." in out
    assert "(file_is_pdf)" in out


def test_damaged_xls_files_are_refused_in_words_and_never_crash(tmp_path: Path) -> None:
    """xlrd parses what the sender wrote: 300 damaged copies of a workbook (bytes changed,
    the end cut off) are read or refused, never an exception of another kind (a 500)."""
    rows: list[list[Cell]] = [[*ROW[:5], dt.date(2026, 10, 14), "S-1", 91, "合格"]] * 20
    base = write_xls(tmp_path / "base.xls", HEADER_ZH, rows).read_bytes()
    rng = random.Random(20261204)
    codes: set[str] = set()
    for _ in range(300):
        data = bytearray(base)
        for _ in range(rng.choice((1, 2, 4, 16, 64))):
            data[rng.randrange(len(OLE2_MAGIC), len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(OLE2_MAGIC), len(data))]
        path = tmp_path / "damaged.xls"
        path.write_bytes(bytes(data))
        try:
            for _row in open_results_file(path).rows():
                pass
            codes.add("read")
        except InvalidInputError as refused:
            codes.add(refused.code)
    assert "unreadable_xls" in codes
    assert "read" in codes
    assert codes <= {"read", "unreadable_xls", "missing_columns", "duplicate_column", "empty_file"}
