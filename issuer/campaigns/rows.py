"""Validate the rows of a results file: each becomes an ``IssueRequest``, a skip, or a problem.

A problem names the column and a stable reason code (docs/import-format.md). Values are
taken as plain text: nothing is evaluated, and no value is ever put in a message or a log.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from issuer.campaigns.results_file import RawRow
from issuer.credentials.catalog import Catalog
from issuer.credentials.holder_email import MAX_EMAIL_LENGTH, clean_optional_email
from issuer.credentials.issuance import IssueRequest, issuance_key
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
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_NATIONAL_ID = re.compile(r"^\d{17}[\dX]$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Reason codes of a rejected row: what the report and docs/import-format.md say.
REASONS = {
    "missing_value": "the cell is empty",
    "bad_encoding": "the cell holds bytes that are not UTF-8 or GB18030 text",
    "invalid_characters": "control, format (zero-width, bidirectional) or invisible characters",
    "value_too_long": "the value is longer than allowed",
    "invalid_date": "not a date (YYYY-MM-DD)",
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
}


@dataclass(frozen=True)
class RowProblem:
    column: str | None
    reason: str


@dataclass
class RowValidator:
    """Validates rows in file order; remembers what it saw to find duplicates in the file."""

    catalog: Catalog
    allowed_units: frozenset[str] | None = None  # None: every unit (admins)
    _seen: set[str] = field(default_factory=set)
    _names: dict[str, str] = field(default_factory=dict)
    _occupations: dict[str, str] = field(default_factory=dict)
    _units: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code, occupation in self.catalog.occupations.items():
            for alias in (code, occupation.name_zh, occupation.name_en):
                self._occupations[alias.casefold()] = code
        for code, unit in self.catalog.units.items():
            for alias in (code, unit.name_zh, unit.name_en):
                self._units[alias.casefold()] = code

    def validate(self, row: RawRow) -> IssueRequest | RowProblem | None:
        """The request for a passed row, ``None`` for a row that did not pass, or a problem."""
        try:
            return self._validate(row.cells)
        except _RejectError as reject:
            return RowProblem(reject.column, reject.reason)

    def _validate(self, cells: dict[str, str]) -> IssueRequest | None:
        text = {column: _clean(column, value) for column, value in cells.items()}
        for column in ("name", "employee_number", "occupation", "level", "unit"):
            _required(text, column)
        for column in ("exam_date", "exam_session", "result"):
            _required(text, column)
        result = text["result"].casefold()
        if result not in PASSED:
            if result in NOT_PASSED:
                return None
            raise _RejectError("result", "unknown_result")
        level = _LEVEL_ALIASES.get(text["level"].casefold())
        if level is None:
            raise _RejectError("level", "unknown_level")
        occupation = self._occupations.get(text["occupation"].casefold())
        if occupation is None:
            raise _RejectError("occupation", "unknown_occupation")
        offered = self.catalog.occupations[occupation].levels
        if offered is not None and level not in offered:
            raise _RejectError("level", "level_not_offered")
        unit = self._units.get(text["unit"].casefold())
        if unit is None:
            raise _RejectError("unit", "unknown_unit")
        if self.allowed_units is not None and unit not in self.allowed_units:
            raise _RejectError("unit", "unit_not_allowed")
        national_id = text.get("national_id") or None
        if national_id is not None and not valid_national_id(national_id.upper()):
            raise _RejectError("national_id", "invalid_national_id")
        try:
            email = clean_optional_email(text.get("email"))
        except InvalidInputError:
            raise _RejectError("email", "invalid_email") from None
        request = IssueRequest(
            holder_name=text["name"],
            employee_number=text["employee_number"],
            occupation=occupation,
            level=level,
            unit=unit,
            exam_date=_date(text["exam_date"], "exam_date"),
            exam_session=text["exam_session"],
            score=_score(text.get("score", "")),
            national_id=national_id.upper() if national_id else None,
            birth_date=_date(text["birth_date"], "birth_date") if text.get("birth_date") else None,
            holder_email=email,
        )
        known = self._names.setdefault(request.employee_number, request.holder_name)
        if known != request.holder_name:
            raise _RejectError("name", "holder_name_mismatch")
        key = issuance_key(request)
        if key in self._seen:
            raise _RejectError("exam_session", "duplicate_row")
        self._seen.add(key)
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


def _required(text: dict[str, str], column: str) -> None:
    if not text.get(column):
        raise _RejectError(column, "missing_value")


def _date(value: str, column: str) -> dt.date:
    if _ISO_DATE.match(value):  # the common case, without strptime's locale look-ups
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _RejectError(column, "invalid_date") from None
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise _RejectError(column, "invalid_date")


def _score(value: str) -> float | None:
    if not value:
        return None
    try:
        score = float(value)
    except ValueError:
        raise _RejectError("score", "invalid_score") from None
    if not 0 <= score <= 1000:
        raise _RejectError("score", "invalid_score")
    return score


def valid_national_id(value: str) -> bool:
    """An 18-character resident identity number with its ISO 7064 MOD 11-2 check (GB 11643)."""
    if not _NATIONAL_ID.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]
