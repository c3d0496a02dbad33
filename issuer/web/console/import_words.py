"""What the import pages say, in both languages: row outcomes, reasons, columns, states.

Registrars read sentences, not codes: every reason a row check can give
(``issuer.campaigns.rows.REASONS``) and every code a whole file can be refused with has one
sentence (the tests hold both lists to it). Reasons, columns and file refusals come from the
message catalogues (``import.reason.*``, ``import.column.*``, ``import.file.*``), which the
API and the ``tessera import`` command speak too; the rest is still written here. The codes
stay beside the words, small, so a registrar can look them up in docs/import-format.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from issuer.campaigns.results_file import COLUMNS as FILE_COLUMNS
from issuer.campaigns.row_report import decode_problems
from issuer.campaigns.rows import REASONS, RowProblem
from issuer.store.models import ImportRow
from verifier.i18n import both


class Words(NamedTuple):
    zh: str
    en: str


class Catalogued(Mapping[str, Words]):
    """The words of a fixed set of codes, from the message catalogues (``<prefix>.<code>``),
    looked up when asked for: nothing is read at import time."""

    def __init__(self, prefix: str, codes: tuple[str, ...]) -> None:
        self.prefix = prefix
        self.codes = codes

    def __getitem__(self, code: str) -> Words:
        if code not in self.codes:
            raise KeyError(code)
        return Words(*both(f"{self.prefix}.{code}"))

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)


# What happened to a row (``import_rows.status``); ``ok`` is a dry run's "would issue".
ROW_STATUS = {
    "ok": Words("将签发", "Would issue"),
    "issued": Words("已签发", "Issued"),
    "already_issued": Words("此前已签发，不再重复", "Issued before: not again"),
    "not_passed": Words("未通过考试，不签发", "Not passed: nothing to issue"),
    "invalid": Words("有错误，不签发", "Error: not issued"),
}

# Why a row was refused (``import_rows.reason``): one sentence for each code of
# issuer/campaigns/rows.py REASONS, in the catalogues as ``import.reason.<code>``.
ROW_REASONS: Mapping[str, Words] = Catalogued("import.reason", tuple(REASONS))

# The file's columns (issuer/campaigns/results_file.py COLUMNS), as the report names them
# (``import.column.<column>``).
COLUMNS: Mapping[str, Words] = Catalogued("import.column", tuple(FILE_COLUMNS))

# Why a whole file was refused before any row was read (issuer/campaigns/file_kind.py,
# results_file.py, import_run.py, the upload itself): ``import.file.<code>``.
FILE_ERRORS: Mapping[str, Words] = Catalogued(
    "import.file",
    (
        "empty_file",
        "missing_columns",
        "duplicate_column",
        "malformed_file",
        "unsafe_xml",
        "file_too_large",
        "body_too_large",
        "too_many_columns",
        "too_many_rows",
        "missing_file",
        "unsupported_file",
        "file_is_pdf",
        "file_is_image",
        "file_is_word",
        "file_is_zip",
        "file_is_html",
        "file_is_binary",
        "utf16_text",
        "semicolon_separated",
        "unreadable_xls",
    ),
)

IMPORT_STATES = {
    "running": Words("进行中", "Running"),
    "done": Words("已完成", "Done"),
    "failed": Words("失败", "Failed"),
}

BUNDLE_STATES = {
    None: Words("未生成", "Not built"),
    "building": Words("正在生成", "Building"),
    "ready": Words("可下载", "Ready"),
    "failed": Words("生成失败", "Failed"),
    "expired": Words("已过期删除", "Expired and deleted"),
}

UNKNOWN = Words("未知", "Unknown")


def words(table: Mapping[str, Words] | Mapping[str | None, Words], code: str | None) -> Words:
    """The words for ``code``; a code without words reads "Unknown" (the tests forbid it)."""
    return table.get(code, UNKNOWN)  # type: ignore[arg-type]


def problems(row: ImportRow) -> list[RowProblem]:
    """Every problem of a row's stored outcome (issuer/campaigns/row_report.py)."""
    return decode_problems(row.column, row.reason)
