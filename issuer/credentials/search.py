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

Every read is bounded at any size (decision 0062): a page reads ``limit + 1`` rows (the
extra one says whether a next page exists); the total is counted exactly up to
``COUNT_CAP`` and estimated by the planner beyond it on PostgreSQL (``SearchPage.exact``),
read from the register's counts when only units and a state filter (exact at any size),
and estimated for a name piece the planner expects in over ``COMMON_NAME_MATCHES`` rows
(decision 0064); unit codes are resolved to ids before the query is built;
pages follow each other by keyset (``SearchPage.next_cursor``: the last row's sort value
and id), while ``offset`` stops at ``MAX_OFFSET``. On PostgreSQL the partial-name search
goes through a GIN index of the key's one- and two-character pieces
(``tessera_name_grams``, migration 0018), then the same ``LIKE``.

Units bound every search (decision 0019): ``scope`` is the caller's units (``None``: all);
asking for a unit outside them is refused, not silently emptied. ``tally`` counts what a
search would find, per unit or level and state, with the same filters and scope (the
console's dashboard), so its figures are the totals the list gives.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, Select, Text, and_, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, defer

from issuer.credentials.lookup import certificate_number_key, holder_name_key
from issuer.credentials.register_counts import count_in, unit_counts
from issuer.credentials.text import clean_identifier
from issuer.errors import InvalidInputError, IssuerErrorCode, PermissionDeniedError
from issuer.store.models import Credential, Holder, Level, Occupation, Unit
from issuer.vocabulary import CredentialState

MAX_PAGE: Final = 500
# Past this many rows an ``offset`` is refused: deeper pages follow ``next_cursor``.
MAX_OFFSET: Final = 10_000
# Counted exactly up to here; beyond it PostgreSQL's planner estimates (decision 0062).
COUNT_CAP: Final = 10_000
# A name piece PostgreSQL expects in more credentials than this is common (decision 0064):
# its total is the planner's estimate, and its page walks the order's index with ``LIKE``.
COMMON_NAME_MATCHES: Final = 2_000
EXPORT_BATCH: Final = 500
_LIKE_ESCAPE: Final = "\\"


class TallyBy(StrEnum):
    """What ``tally`` groups by, besides the state."""

    UNIT = "unit"
    LEVEL = "level"


class SortOrder(StrEnum):
    """The orders a search may ask for; ``-`` is descending. Ties break on the id, in the
    same direction, so that one index on ``(column, id)`` serves both directions."""

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
    """One page of a search: its rows, how many match in all (``exact``: counted, else a
    planner's estimate above ``COUNT_CAP``), and where the next starts."""

    items: list[Credential]
    total: int
    limit: int
    offset: int
    more: bool = False
    exact: bool = True
    next_cursor: str | None = None

    @property
    def next_offset(self) -> int | None:
        following = self.offset + len(self.items)
        return following if self.more and following <= MAX_OFFSET else None


def _name_grams(key: str) -> list[str]:
    """The pieces of a searched name key that ``tessera_name_grams`` indexes: the key
    itself when one character long, else its two-character pieces (migration 0018)."""
    if len(key) == 1:
        return [key]
    return sorted({key[i : i + 2] for i in range(len(key) - 1)})


def _name_contains(key: str, dialect: str) -> ColumnElement[bool]:
    like = Credential.holder_name_key.like(_like_any(key), escape=_LIKE_ESCAPE)
    if dialect != "postgresql":
        return like
    grams = func.tessera_name_grams(Credential.holder_name_key, type_=ARRAY(Text))
    return and_(grams.contains(_name_grams(key)), like)


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


def conditions(criteria: CredentialFilter, dialect: str = "") -> list[ColumnElement[bool]]:
    """The ``WHERE`` clauses of ``criteria`` for the database ``dialect`` (its name:
    PostgreSQL searches names through their index), units aside: their codes are checked
    here and resolved to ids by ``unit_ids``."""
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
        where.append(_name_contains(key, dialect))
    if criteria.employee_number is not None:
        number = _identifier(criteria.employee_number, "employee_number")
        where.append(
            Credential.holder_id.in_(select(Holder.id).where(Holder.employee_number == number))
        )
    for unit in criteria.units:
        _identifier(unit, "unit")
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


def unit_ids(
    session: Session, criteria: CredentialFilter, scope: Sequence[str] | None
) -> list[int] | None:
    """The ids of the units a search may find credentials in: those it asks for, else the
    caller's (``None``: any unit). Resolved before the search is planned, so the planner
    sees the ids themselves (decision 0064); a unit outside ``scope`` is refused."""
    check_scope(criteria, scope)
    if criteria.units:
        codes: Sequence[str] = [clean_identifier(u, "unit") for u in criteria.units]
    elif scope is not None:
        codes = scope
    else:
        return None
    if not codes:
        return []
    return sorted(session.scalars(select(Unit.id).where(Unit.code.in_(tuple(codes)))))


def _scoped(
    query: Select[Any], criteria: CredentialFilter, units: Sequence[int] | None, dialect: str
) -> Select[Any]:
    query = query.where(*conditions(criteria, dialect))
    if units is not None:
        query = query.where(Credential.unit_id.in_(units))
    return query


# Each order's column and whether it descends; ties break on the id, the same way.
_ORDERS: Final[dict[SortOrder, tuple[Any, bool]]] = {
    SortOrder.NEWEST: (Credential.issued_at, True),
    SortOrder.OLDEST: (Credential.issued_at, False),
    SortOrder.EXAM_NEWEST: (Credential.exam_date, True),
    SortOrder.EXAM_OLDEST: (Credential.exam_date, False),
    SortOrder.NUMBER: (Credential.number, False),
    SortOrder.NUMBER_DESC: (Credential.number, True),
    SortOrder.HOLDER_NAME: (Credential.holder_name_key, False),
}


def _ordering(order: SortOrder) -> list[Any]:
    column, descending = _ORDERS[order]
    if descending:
        return [column.desc(), Credential.id.desc()]
    return [column.asc(), Credential.id.asc()]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _bad_cursor() -> InvalidInputError:
    return InvalidInputError(
        "cursor: not one this search gave", code=IssuerErrorCode.INVALID_REQUEST
    )


def _sort_value(row: Credential, order: SortOrder) -> str:
    value = {
        SortOrder.NEWEST: row.issued_at,
        SortOrder.OLDEST: row.issued_at,
        SortOrder.EXAM_NEWEST: row.exam_date,
        SortOrder.EXAM_OLDEST: row.exam_date,
        SortOrder.NUMBER: row.number,
        SortOrder.NUMBER_DESC: row.number,
        SortOrder.HOLDER_NAME: row.holder_name_key,
    }[order]
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def encode_cursor(row: Credential, order: SortOrder) -> str:
    """Where the page after ``row`` starts, in ``order``: its sort value and its id. Not a
    secret: a cursor only moves within the filters and units of the search it is sent with."""
    raw = json.dumps([order.value, _sort_value(row, order), row.id], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _parse_value(order: SortOrder, value: str) -> Any:
    if order in (SortOrder.NEWEST, SortOrder.OLDEST):
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment
    if order in (SortOrder.EXAM_NEWEST, SortOrder.EXAM_OLDEST):
        return dt.date.fromisoformat(value)
    return value


def after_cursor(cursor: str, order: SortOrder) -> ColumnElement[bool]:
    """The ``WHERE`` clause of the rows after ``cursor`` in ``order`` (keyset pagination):
    ``column >= v AND (column > v OR id > last)``, descending mirrored, so that the index
    on ``(column, id)`` bounds the scan."""
    if len(cursor) > 1000:
        raise _bad_cursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw.decode())
        if not (isinstance(decoded, list) and len(decoded) == 3):
            raise ValueError("shape")
        sort, value, last_id = decoded
        if sort != order.value or not isinstance(value, str) or not isinstance(last_id, str):
            raise ValueError("sort")
        if "\x00" in value or "\x00" in last_id:  # no database stores it; PostgreSQL refuses it
            raise ValueError("NUL")
        bound = _parse_value(order, value)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise _bad_cursor() from exc
    column, descending = _ORDERS[order]
    if descending:
        return and_(column <= bound, or_(column < bound, Credential.id < last_id))
    return and_(column >= bound, or_(column > bound, Credential.id > last_id))


def _estimated_rows(session: Session, query: Select[Any]) -> int:
    """PostgreSQL's planner estimate of how many rows ``query`` returns (no row is read)."""
    connection = session.connection()
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    plan = connection.exec_driver_sql(
        "EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params
    ).scalar_one()
    document = json.loads(plan) if isinstance(plan, str) else plan
    return int(document[0]["Plan"]["Plan Rows"])


def count_matches(session: Session, query: Select[Any]) -> tuple[int, bool]:
    """How many rows the ``select(Credential.id)`` ``query`` finds, and whether exactly: counted
    up to ``COUNT_CAP + 1`` rows; past that, PostgreSQL's estimate (never below the cap)
    and, elsewhere (SQLite, the embedded size), the exact count."""
    capped = select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery())
    counted = int(session.scalar(capped) or 0)
    if counted <= COUNT_CAP:
        return counted, True
    if _dialect(session) == "postgresql":
        return max(_estimated_rows(session, query), COUNT_CAP + 1), False
    exact = select(func.count()).select_from(query.subquery())
    return int(session.scalar(exact) or 0), True


def _common_name_estimate(
    session: Session, criteria: CredentialFilter, units: Sequence[int] | None, dialect: str
) -> int | None:
    """PostgreSQL's estimate of the matches of a name piece it expects in more than
    ``COMMON_NAME_MATCHES`` credentials (with the other filters); ``None`` otherwise. Counting
    those would read each match's row (about 75 ms for 10,000 at a million credentials)."""
    if dialect != "postgresql" or criteria.holder_name is None:
        return None
    key = holder_name_key(criteria.holder_name)
    pieces = func.tessera_name_grams(Credential.holder_name_key, type_=ARRAY(Text))
    others = dataclasses.replace(criteria, holder_name=None)
    query = _scoped(select(Credential.id), others, units, dialect)
    estimate = _estimated_rows(session, query.where(pieces.contains(_name_grams(key))))
    return estimate if estimate > COMMON_NAME_MATCHES else None


def page_query(
    session: Session,
    criteria: CredentialFilter,
    *,
    scope: Sequence[str] | None,
    order: SortOrder,
    cursor: str | None = None,
) -> Select[Any]:
    """The ordered ``SELECT`` of the credentials ``search_credentials`` pages through (no
    ``LIMIT`` yet), after ``cursor`` when given. The signed token is left unread: a list
    shows no token (``row.jws`` would be one more read per row)."""
    units, _common, page_dialect = _plan(session, criteria, scope, order)
    return _page_query(criteria, units, order, page_dialect, cursor)


def _plan(
    session: Session, criteria: CredentialFilter, scope: Sequence[str] | None, order: SortOrder
) -> tuple[list[int] | None, int | None, str]:
    """The units' ids, the estimate of a common name piece's matches (else ``None``), and
    the dialect the page's conditions are written for. A common piece is found fastest by
    walking the order's index and testing each row with ``LIKE`` alone (a match every few
    hundred rows), save in name order, where its matches may all lie far along: there the
    GIN index, and a sort of what it finds."""
    units = unit_ids(session, criteria, scope)
    dialect = _dialect(session)
    common = _common_name_estimate(session, criteria, units, dialect)
    walk = common is not None and order != SortOrder.HOLDER_NAME
    return units, common, "" if walk else dialect


def _page_query(
    criteria: CredentialFilter,
    units: Sequence[int] | None,
    order: SortOrder,
    dialect: str,
    cursor: str | None,
) -> Select[Any]:
    query = _scoped(select(Credential), criteria, units, dialect)
    if cursor is not None:
        query = query.where(after_cursor(cursor, order))
    return query.options(defer(Credential.jws)).order_by(*_ordering(order))


def _counted_by_unit_and_state(criteria: CredentialFilter) -> bool:
    """Whether ``criteria`` filters by units and state only: then the register's counts
    give the total exactly (issuer/credentials/register_counts.py)."""
    return dataclasses.replace(criteria, units=(), state=None) == CredentialFilter()


def search_credentials(
    session: Session,
    criteria: CredentialFilter,
    *,
    scope: Sequence[str] | None,
    order: SortOrder = SortOrder.NEWEST,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
) -> SearchPage:
    """One page of the credentials matching ``criteria`` within ``scope`` (after ``cursor``
    or ``offset`` rows), the total, and where the next page starts. Reads at most
    ``limit + 1`` rows and counts at most ``COUNT_CAP + 1``."""
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
        raise InvalidInputError(
            f"limit is 1 to {MAX_PAGE}, offset 0 to {MAX_OFFSET}",
            code=IssuerErrorCode.INVALID_REQUEST,
        )
    if cursor is not None and offset:
        raise InvalidInputError(
            "give a cursor or an offset, not both", code=IssuerErrorCode.INVALID_REQUEST
        )
    units, common, page_dialect = _plan(session, criteria, scope, order)
    query = _page_query(criteria, units, order, page_dialect, cursor)
    rows = list(session.scalars(query.limit(limit + 1).offset(offset)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if _counted_by_unit_and_state(criteria):
        total, exact = count_in(session, unit_ids=units, state=criteria.state), True
    elif common is not None:
        total, exact = max(common, len(rows) + offset), False
    else:
        matches = _scoped(select(Credential.id), criteria, units, _dialect(session))
        total, exact = count_matches(session, matches)
    next_cursor = encode_cursor(rows[-1], order) if more and rows else None
    return SearchPage(rows, total, limit, offset, more, exact, next_cursor)


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
    units = unit_ids(session, criteria, scope)
    query = _scoped(select(Credential), criteria, units, _dialect(session))
    query = query.order_by(*_ordering(order))
    with session.scalars(query.execution_options(yield_per=batch)) as result:
        yield from result  # a server-side cursor on PostgreSQL: closed even on early exit


def tally(
    session: Session, criteria: CredentialFilter, *, scope: Sequence[str] | None, by: TallyBy
) -> list[tuple[str, str, int]]:
    """How many credentials match ``criteria`` within ``scope``, per (unit or level code,
    state): with no filter (the dashboard) from the register's counts, else one ``GROUP BY``
    in the database, the rows never read."""
    units = unit_ids(session, criteria, scope)
    if criteria == CredentialFilter():
        return unit_counts(session, unit_ids=units, by_level=by == TallyBy.LEVEL)
    table: type[Unit] | type[Level] = Unit if by == TallyBy.UNIT else Level
    foreign = Credential.unit_id if by == TallyBy.UNIT else Credential.level_id
    grouped = select(table.code, Credential.state, func.count()).select_from(Credential)
    joined = cast(Select[Any], grouped.join(table, table.id == foreign))
    query = _scoped(joined, criteria, units, _dialect(session))
    rows = session.execute(query.group_by(table.code, Credential.state)).all()
    return [(str(row[0]), str(row[1]), int(row[2])) for row in rows]
