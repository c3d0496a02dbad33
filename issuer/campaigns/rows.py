"""Validate the rows of a results file: each becomes an ``IssueRequest``, a skip, or problems.

A problem names the column and a stable reason code (docs/import-format.md). Every problem of
a row is reported, one per column, not only the first: a registrar corrects a row once, not
once per upload. Values are taken as plain text: nothing is evaluated, and no value is ever
put in a message or a log.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from issuer.campaigns.results_file import COLUMNS, REQUIRED, RawRow
from issuer.campaigns.row_memory import RowMemory
from issuer.credentials.catalog import Catalog
from issuer.credentials.holder_email import MAX_EMAIL_LENGTH, clean_optional_email
from issuer.credentials.issuance import IssueRequest, issuance_key
from issuer.credentials.national_id import valid_national_id
from issuer.credentials.text import UnsafeTextError, clean_identifier, clean_name
from issuer.errors import InvalidInputError

PASSED = frozenset({"合格", "通过", "及格", "pass", "passed", "p", "yes", "y", "1"})
NOT_PASSED = frozenset(
    {"不合格", "未通过", "不及格", "缺考", "fail", "failed", "f", "no", "n", "0", "absent"}
)
LEVELS = {
    "junior": ("初级", "初级工", "五级", "junior"),
    "intermediate": ("中级", "中级工", "四级", "intermediate"),
    "senior": ("高级", "高级工", "三级", "senior"),
}
_LEVEL_ALIASES = {alias.casefold(): code for code, aliases in LEVELS.items() for alias in aliases}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_MAX_LENGTHS = {"name": 200, "employee_number": 64, "exam_session": 64, "national_id": 64}
_MAX_LENGTHS["email"] = MAX_EMAIL_LENGTH
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ORDER = {column: index for index, column in enumerate(COLUMNS)}

# Reason codes of a rejected row: what the report and docs/import-format.md say.
REASONS = {
    "missing_value": "the cell is empty",
    "bad_encoding": "the cell holds bytes that are not UTF-8 or GB18030 text",
    "invalid_characters": "control, format (zero-width, bidirectional) or invisible characters",
    "value_too_long": "the value is longer than allowed",
    "number_lost_digits": "a number cell of 16 digits or more: its last digits are lost",
    "invalid_date": "not a date (YYYY-MM-DD)",
    "exam_date_in_future": "the exam date is after today (the issuer's time zone)",
    "invalid_score": "not a number from 0 to 1000",
    "invalid_national_id": "not an 18-character national ID with a valid check digit",
    "invalid_email": "not one e-mail address such as name@example.org",
    "unknown_level": "not a level (初级/中级/高级, junior/intermediate/senior)",
    "unknown_occupation": "no occupation with this code or name in the catalog",
    "level_not_offered": "the catalog does not offer this occupation at this level",
    "unknown_unit": "no unit with this code or name in the catalog",
    "unknown_result": "not a result (合格/不合格, passed/failed)",
    "unit_not_allowed": "this registrar may not issue for that unit",
    "duplicate_row": "the same candidate and exam session appear on an earlier row",
    "holder_name_mismatch": "this employee number has another name (earlier row or register)",
    "conflicts_with_other_unit": "the row collides with a record of a unit outside this token",
    "more_problems": "the row has more problems than its report can hold; correct these first",
}


@dataclass(frozen=True)
class RowProblem:
    column: str | None
    reason: str


Problems = tuple[RowProblem, ...]
_Report = Callable[[str, str], None]


@dataclass
class RowValidator:
    """Validates rows in file order; remembers what it saw to find duplicates in the file.
    ``close()`` it when done (or use it in a ``with`` block).

    ``today`` (the issuer's date, in its time zone) refuses exam dates after it; ``None``
    checks no date against the calendar."""

    catalog: Catalog
    allowed_units: frozenset[str] | None = None  # None: every unit (admins)
    today: dt.date | None = None
    # The rows seen so far, on disk: memory does not grow with the file (decision 0061).
    _memory: RowMemory = field(default_factory=RowMemory)
    _occupations: dict[str, str] = field(default_factory=dict)
    _units: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code, occupation in self.catalog.occupations.items():
            for alias in (code, occupation.name_zh, occupation.name_en):
                self._occupations[alias.casefold()] = code
        for code, unit in self.catalog.units.items():
            for alias in (code, unit.name_zh, unit.name_en):
                self._units[alias.casefold()] = code

    def __enter__(self) -> RowValidator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop what it remembers of the file."""
        self._memory.close()

    def validate(self, row: RawRow) -> IssueRequest | Problems | None:
        """The request for a passed row, ``None`` for a row that did not pass, or every
        problem of the row (one per column, in the columns' order)."""
        found: dict[str, str] = {}
        request = self._validate(row, found)
        if found:
            ordered = sorted(found.items(), key=lambda item: _ORDER.get(item[0], len(_ORDER)))
            return tuple(RowProblem(column, reason) for column, reason in ordered)
        return request

    def _validate(self, row: RawRow, found: dict[str, str]) -> IssueRequest | None:
        def problem(column: str, reason: str) -> None:
            found.setdefault(column, reason)  # a column's first problem is its problem

        text: dict[str, str] = {}
        for column, value in row.cells.items():
            if column in row.inexact:
                problem(column, "number_lost_digits")
                continue
            try:
                text[column] = _clean(column, value)
            except _RejectError as reject:
                problem(column, reject.reason)
        for column in REQUIRED:
            if not text.get(column) and (column in text or column not in row.cells):
                problem(column, "missing_value")  # empty, or beyond the end of a short row
        result = text.get("result", "").casefold()
        if result in NOT_PASSED:
            return None  # nothing to issue; problems of its cells above still show
        if result and result not in PASSED:
            problem("result", "unknown_result")
        level = _level(text, problem)
        occupation = _lookup(text, "occupation", self._occupations, problem)
        if occupation is not None and level is not None:
            offered = self.catalog.occupations[occupation].levels
            if offered is not None and level not in offered:
                problem("level", "level_not_offered")
        unit = _lookup(text, "unit", self._units, problem)
        if unit is not None and self.allowed_units is not None and unit not in self.allowed_units:
            problem("unit", "unit_not_allowed")
        national_id = text.get("national_id", "").upper() or None
        if national_id is not None and not valid_national_id(national_id):
            problem("national_id", "invalid_national_id")
        email = None
        try:
            email = clean_optional_email(text.get("email"))
        except InvalidInputError:
            problem("email", "invalid_email")
        exam_date = _date(text, "exam_date", problem)
        if exam_date is not None and self.today is not None and exam_date > self.today:
            problem("exam_date", "exam_date_in_future")
        birth_date = _date(text, "birth_date", problem)
        score = _score(text.get("score", ""), problem)
        if found or level is None or occupation is None or unit is None or exam_date is None:
            return None  # a problem was reported for each
        request = IssueRequest(
            holder_name=text["name"],
            employee_number=text["employee_number"],
            occupation=occupation,
            level=level,
            unit=unit,
            exam_date=exam_date,
            exam_session=text["exam_session"],
            score=score,
            national_id=national_id,
            birth_date=birth_date,
            holder_email=email,
        )
        return self._check_repeats(request, problem)

    def _check_repeats(self, request: IssueRequest, problem: _Report) -> IssueRequest | None:
        """A name that differs from an earlier row's for the same employee number, or the
        same exam twice: only checked on rows with no other problem."""
        if not self._memory.same_name(request.employee_number, request.holder_name):
            problem("name", "holder_name_mismatch")
            return None
        if not self._memory.first_time(issuance_key(request)):
            problem("exam_session", "duplicate_row")
            return None
        return request


class _RejectError(Exception):
    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def _clean(column: str, value: str) -> str:
    """The cell's text in its normal form (decision 0024), the same as the API keeps."""
    if "\ufffd" in value:
        raise _RejectError(column, "bad_encoding")
    try:
        value = clean_name(value) if column == "name" else clean_identifier(value)
    except UnsafeTextError:
        raise _RejectError(column, "invalid_characters") from None
    if len(value) > _MAX_LENGTHS.get(column, 64):
        raise _RejectError(column, "value_too_long")
    return value


def _level(text: dict[str, str], problem: _Report) -> str | None:
    if not text.get("level"):
        return None
    level = _LEVEL_ALIASES.get(text["level"].casefold())
    if level is None:
        problem("level", "unknown_level")
    return level


def _lookup(
    text: dict[str, str], column: str, known: dict[str, str], problem: _Report
) -> str | None:
    if not text.get(column):
        return None
    code = known.get(text[column].casefold())
    if code is None:
        problem(column, f"unknown_{column}")
    return code


def _date(text: dict[str, str], column: str, problem: _Report) -> dt.date | None:
    value = text.get(column)
    if not value:
        return None
    if _ISO_DATE.match(value):  # the common case, without strptime's locale look-ups
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            problem(column, "invalid_date")
            return None
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    problem(column, "invalid_date")
    return None


def _score(value: str, problem: _Report) -> float | None:
    if not value:
        return None
    try:
        score = float(value)
    except ValueError:
        problem("score", "invalid_score")
        return None
    if not 0 <= score <= 1000:
        problem("score", "invalid_score")
        return None
    return score
