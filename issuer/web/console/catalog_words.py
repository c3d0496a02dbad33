"""What the organisation page says when a unit, an occupation or a catalog file is refused.

The domain refuses a value with a ``reason`` code and its values
(``issuer.credentials.catalog_admin.FieldError``, ``issuer.campaigns.catalog_file``); the
English message it also carries is for the API and the ``tessera catalog`` command. The page
shows the reason in both languages from the message catalogues
(``console.organisation.problem.<reason>``), and a file refused as a whole in the import
pages' words (``import.file.<code>``).
"""

from __future__ import annotations

from typing import Final

from issuer.campaigns.catalog_file import GUIDE
from issuer.credentials.catalog_admin import FieldError
from issuer.errors import InvalidInputError, IssuerErrorCode
from issuer.web.console.import_words import FILE_ERRORS
from verifier.i18n import Lang, say, text
from verifier.labels import Label

# A literal key for each reason, so tests/verifier/test_catalogues.py sees every one.
PROBLEMS: Final = {
    "invisible_characters": Label("console.organisation.problem.invisible_characters"),
    "empty": Label("console.organisation.problem.empty"),
    "too_long": Label("console.organisation.problem.too_long"),
    "bad_unit_code": Label("console.organisation.problem.bad_unit_code"),
    "bad_occupation_code": Label("console.organisation.problem.bad_occupation_code"),
    "unknown_level": Label("console.organisation.problem.unknown_level"),
    "bad_kind": Label("console.organisation.problem.bad_kind"),
    "duplicate_unit": Label("console.organisation.problem.duplicate_unit"),
    "duplicate_occupation": Label("console.organisation.problem.duplicate_occupation"),
    "unit_taken": Label("console.organisation.problem.unit_taken"),
    "occupation_taken": Label("console.organisation.problem.occupation_taken"),
}


def problem_words(reason: str, values: dict[str, object], message: str = "") -> str:
    """``中文 English`` for ``reason``; a reason without words falls back to ``message``."""
    label = PROBLEMS.get(reason)
    if label is None:
        return message
    return f"{text(label.key, Lang.ZH, **values)} {text(label.key, Lang.EN, **values)}"


def field_problem(error: FieldError) -> dict[str, str]:
    """The refused field and what is shown beside it."""
    return {error.column: problem_words(error.reason, error.values, error.message)}


def file_refusal_words(error: InvalidInputError) -> str:
    """A whole catalog file refused: its own columns when they are missing, else the import
    pages' words where its code has some."""
    if error.code == IssuerErrorCode.MISSING_COLUMNS:
        return say("console.organisation.catalog.missing_columns", Lang.BOTH, sep=" ", guide=GUIDE)
    words = FILE_ERRORS.get(error.code)
    return f"{words.zh} {words.en}" if words is not None else str(error)


def refusal_words(code: str) -> str:
    """``中文 English`` for an upload refused before it was read (``import.file.<code>``)."""
    words = FILE_ERRORS[code]
    return f"{words.zh} {words.en}"
