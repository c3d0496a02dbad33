"""Keep PostgreSQL's planner statistics current while a bulk write grows its tables.

The planner chooses index or sequential scans from each table's statistics, which
autovacuum refreshes only after a table has grown by a tenth and a minute has passed. An
import of 200,000 rows into a young register outgrows them many times over in one run: a
register planned as 6 rows is scanned whole for every look-up of every chunk, and each chunk
then costs more than the one before (measured: 4x the per-row cost at 20,000 rows as at
2,000). PostgreSQL's own advice for bulk loads is to ``ANALYZE`` (manual §14.4.9); here it
runs whenever the written rows reach half of what the statistics were taken at, so a run
analyses O(log n) times, each ``ANALYZE`` reading a sample of at most 300 x
``default_statistics_target`` rows whatever the table's size (decision 0061). SQLite plans
these look-ups by their indexes without statistics: nothing to do there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

MIN_ROWS = 1000  # below this a stale estimate costs less than refreshing it


class PlannerStatistics:
    """Told how many rows a bulk write added; analyses ``tables`` when they have grown."""

    def __init__(self, engine: Engine, tables: Sequence[str]) -> None:
        self._engine = engine
        self._tables = tuple(tables)
        self.enabled = engine.dialect.name == "postgresql"
        self.analysed = 0  # how many times, for tests and logs
        self._known = 0
        self._added = 0
        if self.enabled:
            with engine.connect() as connection:
                estimate = connection.scalar(
                    text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                    {"t": self._tables[0]},
                )
            self._known = max(0, int(estimate or 0))  # -1: never analysed

    def grew(self, rows: int) -> None:
        """``rows`` more were committed; analyse when they reach half the known size."""
        if not self.enabled:
            return
        self._added += rows
        if self._added < max(MIN_ROWS, self._known // 2):
            return
        # Names from the models, never from input; ANALYZE takes no bind parameters.
        statement = text(f"ANALYZE {', '.join(self._tables)}")
        try:
            with self._engine.begin() as connection:
                connection.execute(statement)
        except SQLAlchemyError:
            # A role that does not own the tables may not analyse them: the import goes on
            # with the statistics autovacuum keeps (docs/operations.md, "Big campaigns").
            log.warning("planner statistics not refreshed; leaving it to autovacuum")
            self.enabled = False
            return
        self._known += self._added
        self._added = 0
        self.analysed += 1
        log.info("planner statistics refreshed", extra={"rows": self._known})
