"""Search the register: filters, an order, pages with a total, and the caller's units.

One typed ``CredentialFilter`` serves the API's list, its CSV export and (later) the
registrar console. Every filter is a ``WHERE`` clause run by the database with a ``LIMIT``:
no search reads the whole table into memory (decision 0034).

- ``number``: the printed certificate number, exact after ``certificate_number_key``
  (``ts-2026 000123`` finds ``TS2026000123``);
- ``holder_name``: part of the signed holder name, compared as ``holder_name_key`` (NFKC,
  case-folded, without spaces): ``ＺＨＡＮＧ`` and ``zhang wei`` both find ``Zhang Wei``;
- ``employee_number``, ``exam_session``: exact, after ``clean_identifier`` (NFKC);
- ``units`` (any of), ``occupation``, ``level``, ``state``: codes, exact;
- ``issued_from``/``issued_to``, ``exam_from``/``exam_to``: inclusive date ranges (issue
  dates are UTC days).

Units bound every search (decision 0019): ``scope`` is the caller's units (``None``: all);
asking for a unit outside them is refused, not silently emptied. ``tally`` counts what a
search would find, per unit or level and state, with the same filters and scope (the
console's dashboard), so its figures are the totals the list gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from issuer.credentials.lookup import certificate_number_key, holder_name_key
from issuer.credentials.text import clean_identifier
from issuer.errors import InvalidInputError, IssuerErrorCode, PermissionDeniedError
from issuer.store.models import Credential, Holder, Level, Occupation, Unit
from issuer.vocabulary import CredentialState

MAX_PAGE: Final = 500
EXPORT_BATCH: Final = 500
_LIKE_ESCAPE: Final = "\\"


class TallyBy(StrEnum):
    """What ``tally`` groups by, besides the state."""

    UNIT = "unit"
    LEVEL = "level"


class SortOrder(StrEnum):
    """The orders a search may ask for; ``-`` is descending. Ties break on the id."""

    NEWEST = "-issued_at"
    OLDEST = "issued_at"
    EXAM_NEWEST = "-exam_date"
    EXAM_OLDEST = "exam_date"
    NUMBER = "number"
    NUMBER_DESC = "-number"
    HOLDER_NAME = "holder_name"


@dataclass(frozen=True)
class CredentialFilter:
    """What to find; every field left ``None`` (or empty) matches everything."""

    number: str | None = None
    holder_name: str | None = None
    employee_number: str | None = None
    units: tuple[str, ...] = ()
    occupation: str | None = None
    level: str | None = None
    state: CredentialState | None = None
    exam_session: str | None = None
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    exam_from: dt.date | None = None
    exam_to: dt.date | None = None


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: its rows, how many match in all, and where the next starts."""

    items: list[Credential]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        following = self.offset + len(self.items)
        return following if following < self.total and self.items else None


def _like_any(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _check_range(low: dt.date | None, high: dt.date | None, what: str) -> None:
    if low is not None and high is not None and low > high:
        raise InvalidInputError(
            f"{what}: the start is after the end", code=IssuerErrorCode.INVALID_REQUEST
        )


def _identifier(value: str, what: str) -> str:
    return clean_identifier(value, what)


def conditions(criteria: CredentialFilter) -> list[ColumnElement[bool]]:
    """The ``WHERE`` clauses of ``criteria`` (unit scope aside)."""
    _check_range(criteria.issued_from, criteria.issued_to, "issued_from/issued_to")
    _check_range(criteria.exam_from, criteria.exam_to, "exam_from/exam_to")
    where: list[ColumnElement[bool]] = []
    if criteria.number is not None:
        where.append(Credential.number == certificate_number_key(criteria.number))
    if criteria.holder_name is not None:
        key = holder_name_key(criteria.holder_name)
        if not key:
            raise InvalidInputError(
                "holder_name: no name can match it", code=IssuerErrorCode.INVALID_REQUEST
            )
        where.append(Credential.holder_name_key.like(_like_any(key), escape=_LIKE_ESCAPE))
    if criteria.employee_number is not None:
        number = _identifier(criteria.employee_number, "employee_number")
        where.append(
            Credential.holder_id.in_(select(Holder.id).where(Holder.employee_number == number))
        )
    if criteria.units:
        codes = [_identifier(u, "unit") for u in criteria.units]
        where.append(Credential.unit_id.in_(select(Unit.id).where(Unit.code.in_(codes))))
    if criteria.occupation is not None:
        code = _identifier(criteria.occupation, "occupation")
        where.append(
            Credential.occupation_id.in_(select(Occupation.id).where(Occupation.code == code))
        )
    if criteria.level is not None:
        code = _identifier(criteria.level, "level")
        where.append(Credential.level_id.in_(select(Level.id).where(Level.code == code)))
    if criteria.state is not None:
        where.append(Credential.state == criteria.state.value)
    if criteria.exam_session is not None:
        session_code = _identifier(criteria.exam_session, "exam_session")
        where.append(Credential.exam_session == session_code)
    if criteria.issued_from is not None:
        where.append(Credential.issued_at >= _day_start(criteria.issued_from))
    if criteria.issued_to is not None:
        end = _day_start(criteria.issued_to) + dt.timedelta(days=1)
        where.append(Credential.issued_at < end)
    if criteria.exam_from is not None:
        where.append(Credential.exam_date >= criteria.exam_from)
    if criteria.exam_to is not None:
        where.append(Credential.exam_date <= criteria.exam_to)
    return where


def check_scope(criteria: CredentialFilter, scope: Sequence[str] | None) -> None:
    """A registrar may ask only for its own units (403 otherwise)."""
    if scope is None:
        return
    outside = {clean_identifier(u, "unit") for u in criteria.units} - set(scope)
    if outside:
        raise PermissionDeniedError("this token may not see that unit's credentials")


def _scoped(
    query: Select[Any], criteria: CredentialFilter, scope: Sequence[str] | None
) -> Select[Any]:
    check_scope(criteria, scope)
    query = query.where(*conditions(criteria))
    if scope is not None:
        in_scope = select(Unit.id).where(Unit.code.in_(tuple(scope)))
        query = query.where(Credential.unit_id.in_(in_scope))
    return query


def _ordering(order: SortOrder) -> list[Any]:
    column: Any = {
        SortOrder.NEWEST: Credential.issued_at.desc(),
        SortOrder.OLDEST: Credential.issued_at.asc(),
        SortOrder.EXAM_NEWEST: Credential.exam_date.desc(),
        SortOrder.EXAM_OLDEST: Credential.exam_date.asc(),
        SortOrder.NUMBER: Credential.number.asc(),
        SortOrder.NUMBER_DESC: Credential.number.desc(),
        SortOrder.HOLDER_NAME: Credential.holder_name_key.asc(),
    }[order]
    return [column, Credential.id.asc()]


def search_credentials(
    session: Session,
    criteria: CredentialFilter,
    *,
    scope: Sequence[str] | None,
    order: SortOrder = SortOrder.NEWEST,
    limit: int = 50,
    offset: int = 0,
) -> SearchPage:
    """One page of the credentials matching ``criteria`` within ``scope``, and the total."""
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInputError(
            f"limit is 1 to {MAX_PAGE}, offset at least 0", code=IssuerErrorCode.INVALID_REQUEST
        )
    query = _scoped(select(Credential), criteria, scope)
    count = _scoped(select(func.count()).select_from(Credential), criteria, scope)
    rows = session.scalars(query.order_by(*_ordering(order)).limit(limit).offset(offset)).all()
    return SearchPage(list(rows), session.scalar(count) or 0, limit, offset)


def iter_credentials(
    session: Session,
    criteria: CredentialFilter,
    *,
    scope: Sequence[str] | None,
    order: SortOrder = SortOrder.NEWEST,
    batch: int = EXPORT_BATCH,
) -> Iterator[Credential]:
    """Every match, in ``order``, from one query read ``batch`` rows at a time (exports):
    one consistent snapshot, never the whole result in memory."""
    query = _scoped(select(Credential), criteria, scope).order_by(*_ordering(order))
    yield from session.scalars(query.execution_options(yield_per=batch))


def tally(
    session: Session, criteria: CredentialFilter, *, scope: Sequence[str] | None, by: TallyBy
) -> list[tuple[str, str, int]]:
    """How many credentials match ``criteria`` within ``scope``, per (unit or level code,
    state): one ``GROUP BY`` in the database, the rows never read."""
    table: type[Unit] | type[Level] = Unit if by == TallyBy.UNIT else Level
    foreign = Credential.unit_id if by == TallyBy.UNIT else Credential.level_id
    grouped = select(table.code, Credential.state, func.count()).select_from(Credential)
    query = _scoped(cast(Select[Any], grouped.join(table, table.id == foreign)), criteria, scope)
    rows = session.execute(query.group_by(table.code, Credential.state)).all()
    return [(str(row[0]), str(row[1]), int(row[2])) for row in rows]
