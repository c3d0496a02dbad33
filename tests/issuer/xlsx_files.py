"""Hand-made XLSX files for the reader's tests: the smallest valid package, and parts to
replace with hostile ones (DTDs, bombs, huge tables)."""

from __future__ import annotations

import tracemalloc
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from issuer.campaigns.results_file import open_results_file
from issuer.errors import InvalidInputError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["name", "employee_number", "occupation", "level", "unit", "exam_date"]
HEADER += ["exam_session", "score", "result"]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
PACKAGE_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheets><sheet name="results" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def inline_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row(header: Iterable[str] = HEADER) -> str:
    cells = "".join(inline_cell(f"{chr(65 + i)}1", name) for i, name in enumerate(header))
    return f'<row r="1">{cells}</row>'


def sheet_xml(rows: str = "", *, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    return (
        f'{prolog}<worksheet xmlns="{MAIN}"><sheetData>{header_row()}{rows}</sheetData></worksheet>'
    )


def write_package(
    path: Path,
    parts: dict[str, str | bytes | Iterable[bytes]],
    *,
    leave_out: Iterable[str] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """A package of the default parts, with ``parts`` replacing or adding some; a part given
    as an iterable of bytes is streamed (a bomb need not exist in memory)."""
    everything: dict[str, str | bytes | Iterable[bytes]] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": PACKAGE_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet_xml(),
    }
    everything.update(parts)
    with zipfile.ZipFile(path, "w", compression, compresslevel=9) as archive:
        for name, content in everything.items():
            if name in leave_out:
                continue
            if isinstance(content, str):
                archive.writestr(name, content.encode())
            elif isinstance(content, bytes):
                archive.writestr(name, content)
            else:
                with archive.open(name, "w", force_zip64=True) as member:
                    for block in content:
                        member.write(block)
    return path


def repeated(head: bytes, body: bytes, count: int, tail: bytes) -> Iterator[bytes]:
    yield head
    batch = max(1, (1 << 20) // len(body))
    for start in range(0, count, batch):
        yield body * min(batch, count - start)
    yield tail


def read_peak(path: Path) -> tuple[str | int, int]:
    """What reading the file gives (its row count, or the refusal's code) and the peak of
    traced heap while opening it and reading every row, as an import does."""
    tracemalloc.start()
    try:
        try:
            outcome: str | int = open_results_file(path).count_rows()
        except InvalidInputError as refused:
            outcome = str(refused.code)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcome, peak
