"""What the import pages say, in both languages: row outcomes, reasons, columns, states.

Registrars read sentences, not codes: every reason a row check can give
(``issuer.campaigns.rows.REASONS``) and every code a whole file can be refused with has one
sentence (the tests hold both lists to it). Reasons, columns and file refusals come from the
message catalogues (``import.reason.*``, ``import.column.*``, ``import.file.*``), which the
API and the ``tessera import`` command speak too; row outcomes and states are
``console.imports.*`` keys. The codes stay beside the words, small, so a registrar can look
them up in docs/import-format.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from issuer.campaigns.results_file import COLUMNS as FILE_COLUMNS
from issuer.campaigns.row_report import decode_problems
from issuer.campaigns.rows import REASONS, RowProblem
from issuer.store.models import ImportRow
from issuer.vocabulary import BundleState, ImportState
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


# What happened to a row (``import_rows.status``); ``ok`` is a dry run's "would issue":
# ``console.imports.row.<status>``.
ROW_STATUS: Mapping[str, Words] = Catalogued(
    "console.imports.row", ("ok", "issued", "already_issued", "not_passed", "invalid")
)

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

# An import's state (``import_jobs.state``): ``console.imports.state.<state>``.
IMPORT_STATES: Mapping[str, Words] = Catalogued("console.imports.state", tuple(ImportState))

# Its download bundle's state (``import_jobs.bundle_state``; none yet is ``none``):
# ``console.imports.bundle_state.<state>``.
BUNDLE_STATES: Mapping[str, Words] = Catalogued(
    "console.imports.bundle_state", ("none", *BundleState)
)


def words(table: Mapping[str, Words], code: str | None) -> Words:
    """The words for ``code`` (no code reads as ``none``); a code without words reads
    "Unknown" (the tests forbid it)."""
    found = table.get("none" if code is None else code)
    return found if found is not None else Words(*both("console.imports.unknown"))


def problems(row: ImportRow) -> list[RowProblem]:
    """Every problem of a row's stored outcome (issuer/campaigns/row_report.py)."""
    return decode_problems(row.column, row.reason)
