"""The items of a batch verification, read from what an employer sends.

- a CSV (or pasted lines): each row a certificate number and the holder's name, or one cell
  holding a credential or link; a first row naming the columns is recognised (Chinese or
  English) and may put them in any order; UTF-8 (with or without a BOM) or GB 18030, as
  Chinese spreadsheet programs save it;
- JSON: a list (or ``{"items": [...]}``) of strings (credentials, links, QR texts) and of
  objects ``{"certificate_number", "holder_name"}`` or ``{"credential"}``;
- files: each a PDF certificate, a baked badge, a QR image or a ``.jwt`` (``holder_files``).

An item that cannot be read is kept as an unreadable item with a one-line reason (it becomes
one ``unreadable`` row of the report); only a request that is not a batch at all, or holds
more than ``MAX_ITEMS`` items, is refused (``BatchRequestError``).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from verifier.holder_files import HolderFileError, read_handed_over, read_text

MAX_ITEMS: Final = 5000
MAX_CELL_CHARS: Final = 70_000
NUMBER_HEADERS: Final = frozenset(
    {"certificate_number", "certificate number", "certificate no.", "certificate no", "number"}
    | {"证书编号", "证书号", "编号"}
)
NAME_HEADERS: Final = frozenset(
    {"holder_name", "holder name", "holder", "name", "姓名", "持证人", "持证人姓名"}
)
CREDENTIAL_HEADERS: Final = frozenset(
    {"credential", "token", "link", "qr", "qr_text", "verify_url", "证书", "链接", "二维码"}
)


class BatchRequestError(ValueError):
    """The request is not a batch this service reads; ``code`` says why (docs/errors.md)."""

    def __init__(self, message: str, code: str, *, limit: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.limit = limit  # the most items a batch holds, for ``too_many_items``


@dataclass(frozen=True)
class BatchItem:
    """One thing to verify: ``text`` (a JWS or link), a certificate number and holder name,
    or ``error`` (why it cannot be read). ``source`` names the uploaded file, if any."""

    kind: str
    text: str | None = None
    certificate_number: str | None = None
    holder_name: str | None = None
    error: str | None = None
    source: str | None = None


def unreadable(kind: str, error: str, source: str | None = None) -> BatchItem:
    return BatchItem(kind=kind, error=error, source=source)


def text_item(text: str) -> BatchItem:
    if len(text) > MAX_CELL_CHARS:
        return unreadable("text", "the value is too long to be a credential")
    handed = read_text(text)
    return BatchItem(kind=handed.kind, text=handed.text)


def file_item(name: str | None, data: bytes) -> BatchItem:
    """One uploaded holder file."""
    try:
        handed = read_handed_over(data)
    except HolderFileError as exc:
        return unreadable("file", str(exc), source=name)
    return BatchItem(kind=handed.kind, text=handed.text, source=name)


def _header_key(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell).strip().lower()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise BatchRequestError(
            "the CSV is neither UTF-8 nor GB 18030 text", "malformed_file"
        ) from None


def _rows(text: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield cells
    except csv.Error:
        raise BatchRequestError("the CSV cannot be read", "malformed_file") from None


def _columns(header: list[str]) -> tuple[int, int, int] | None:
    """(number, name, credential) column indexes of a header row (-1: absent), or ``None``
    when the row is data."""
    keys = [_header_key(cell) for cell in header]

    def find(names: frozenset[str]) -> int:
        return next((i for i, key in enumerate(keys) if key in names), -1)

    number, name, credential = find(NUMBER_HEADERS), find(NAME_HEADERS), find(CREDENTIAL_HEADERS)
    if (number, name, credential) == (-1, -1, -1):
        return None
    return number, name, credential


def _cell(row: list[str], index: int) -> str:
    return row[index] if 0 <= index < len(row) else ""


def _csv_item(row: list[str], columns: tuple[int, int, int]) -> BatchItem:
    number_col, name_col, credential_col = columns
    credential = _cell(row, credential_col)
    if credential:
        return text_item(credential)
    number, name = _cell(row, number_col), _cell(row, name_col)
    if number and name:
        if len(number) > 64 or len(name) > 200:
            return unreadable("certificate", "the certificate number or name is too long")
        return BatchItem(kind="certificate", certificate_number=number, holder_name=name)
    return unreadable("certificate", "a row needs a certificate number and the holder's name")


def items_from_csv(data: bytes | str, *, limit: int = MAX_ITEMS) -> list[BatchItem]:
    """The items of a CSV or of pasted lines."""
    text = _decode(data) if isinstance(data, bytes) else data
    items: list[BatchItem] = []
    columns: tuple[int, int, int] | None = None
    for position, row in enumerate(_rows(text)):
        if position == 0:
            columns = _columns(row)
            if columns is not None:
                continue
        if len(items) >= limit:
            raise too_many(limit)
        if columns is not None:
            items.append(_csv_item(row, columns))
        elif len(row) == 1 or not any(row[1:]):
            items.append(text_item(row[0]))
        else:
            items.append(_csv_item(row, (0, 1, -1)))
    return items


def _json_item(entry: Any) -> BatchItem:
    if isinstance(entry, str):
        return text_item(entry)
    if isinstance(entry, dict):
        if isinstance(entry.get("credential"), str):
            return text_item(entry["credential"])
        number, name = entry.get("certificate_number"), entry.get("holder_name")
        if isinstance(number, str) and isinstance(name, str):
            return _csv_item([number, name], (0, 1, -1))
    return unreadable(
        "json", "not a credential, a link, or a certificate number with the holder's name"
    )


def items_from_json(document: Any, *, limit: int = MAX_ITEMS) -> list[BatchItem]:
    """The items of a JSON list (or of ``{"items": [...]}``)."""
    entries = document.get("items") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise BatchRequestError(
            'the JSON body must be a list of items or {"items": [...]}', "invalid_request"
        )
    if len(entries) > limit:
        raise too_many(limit)
    return [_json_item(entry) for entry in entries]


def too_many(limit: int) -> BatchRequestError:
    return BatchRequestError(f"a batch holds at most {limit} items", "too_many_items", limit=limit)


def check_count(items: Iterable[BatchItem], limit: int = MAX_ITEMS) -> list[BatchItem]:
    """``items`` as a list, refused when empty or over ``limit``."""
    listed = list(items)
    if len(listed) > limit:
        raise too_many(limit)
    if not listed:
        raise BatchRequestError("the batch holds no items", "no_items")
    return listed
