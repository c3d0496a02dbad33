"""How many credentials the register holds per unit, level and state, without counting rows.

Triggers on ``credentials`` (migration 0019) add a ``RegisterCount`` row, a signed delta,
to every transaction that inserts credentials, changes their unit, level or state, or
deletes them: issuance, an import (its ``COPY`` too), a lifecycle change, a re-issue's
supersession, a batch revocation, a restore. A count is the sum of its group's deltas, so
it is exact in every transaction's snapshot, as a ``GROUP BY`` over the credentials would
be, and reading it costs the size of this small table, not of the register
(docs/decisions/0064-register-counts.md).

- ``unit_counts``: per (unit or level code, state) within a unit scope (the dashboard);
- ``count_in``: how many credentials some units (by id) hold, in one state or all (the
  search's total when it filters by nothing else);
- ``fold_counts``: merges the deltas into one row per group (after an import, and by
  ``tessera operations recount``), so the table stays as small as its groups;
- ``recount``: rebuilds the table from the credentials (repair).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, text
from sqlalchemy.orm import Session

from issuer.store.models import Credential, Level, RegisterCount, Unit
from issuer.vocabulary import CredentialState

_GROUP = (RegisterCount.unit_id, RegisterCount.level_id, RegisterCount.state)


def unit_counts(
    session: Session, *, unit_ids: Sequence[int] | None, by_level: bool
) -> list[tuple[str, str, int]]:
    """(unit code, or level code if ``by_level``; state; count) of the credentials in
    ``unit_ids`` (``None``: every unit), groups of none left out."""
    table: type[Unit] | type[Level] = Level if by_level else Unit
    foreign = RegisterCount.level_id if by_level else RegisterCount.unit_id
    total = func.sum(RegisterCount.n)
    query = (
        select(table.code, RegisterCount.state, total)
        .join(table, table.id == foreign)
        .group_by(table.code, RegisterCount.state)
        .having(total != 0)
    )
    if unit_ids is not None:
        query = query.where(RegisterCount.unit_id.in_(unit_ids))
    return [(str(code), str(state), int(n)) for code, state, n in session.execute(query)]


def count_in(
    session: Session, *, unit_ids: Sequence[int] | None, state: CredentialState | None
) -> int:
    """How many credentials are in ``unit_ids`` (``None``: any unit) and ``state`` (``None``:
    any): the search's exact total when it filters by nothing else."""
    where: list[ColumnElement[bool]] = []
    if unit_ids is not None:
        where.append(RegisterCount.unit_id.in_(unit_ids))
    if state is not None:
        where.append(RegisterCount.state == state.value)
    return int(session.scalar(select(func.sum(RegisterCount.n)).where(*where)) or 0)


def fold_counts(session: Session) -> int:
    """Merge the deltas into one row per group; returns how many rows were merged. Exact
    while others write: only the rows this statement deletes are summed back, and deltas
    of transactions still open are left for the next fold."""
    taken = delete(RegisterCount).returning(*_GROUP, RegisterCount.n)
    gone: list[Any] = list(session.execute(taken, execution_options={"synchronize_session": False}))
    sums: dict[tuple[int, int, str], int] = {}
    for unit_id, level_id, state, n in gone:
        key = (int(unit_id), int(level_id), str(state))
        sums[key] = sums.get(key, 0) + int(n)
    rows = [
        {"unit_id": u, "level_id": lv, "state": s, "n": n}
        for (u, lv, s), n in sorted(sums.items())
        if n != 0
    ]
    if rows:
        session.execute(insert(RegisterCount), rows)
    return len(gone)


def recount(session: Session) -> None:
    """Rebuild the counts from the credentials themselves (repair). On PostgreSQL the
    credentials are locked against writers meanwhile (readers go on), so no change falls
    between the count and the deltas it replaces."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE credentials IN SHARE MODE"))
    session.execute(delete(RegisterCount))
    grouped = select(
        Credential.unit_id, Credential.level_id, Credential.state, func.count()
    ).group_by(Credential.unit_id, Credential.level_id, Credential.state)
    session.execute(
        insert(RegisterCount).from_select(["unit_id", "level_id", "state", "n"], grouped)
    )
