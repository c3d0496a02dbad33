"""Imports of any size: status slots never reused, memory flat, rows streamed, chunks atomic.

Behaviour, not timing (bench/scale.py measures the cost; docs/performance.md has figures).
"""

from __future__ import annotations

import dataclasses
import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Connection

from issuer.campaigns import import_run, row_memory
from issuer.campaigns.import_run import (
    ImportRequest,
    iter_import_rows,
    list_import_rows,
    run_import,
    start_import,
)
from issuer.campaigns.results_file import RawRow, ResultsFile, open_results_file
from issuer.campaigns.row_memory import RowMemory
from issuer.campaigns.rows import RowProblem, RowValidator
from issuer.credentials import status_list
from issuer.credentials.catalog import load_catalog as read_catalog
from issuer.credentials.issuance import issue_credentials
from issuer.credentials.status_list import allocate_indexes
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import Credential, ImportJob, ImportRow, StatusAllocation, StatusList
from issuer.store.statistics import PlannerStatistics
from tests.helpers import coverage_paused
from tests.issuer.campaign_files import campaign, request_row, write_csv
from tests.issuer.helpers import load_catalog


def _issue(services: Services, count: int, rng: random.Random) -> None:
    with session_scope(services.sessions) as session:
        issue_credentials(
            session,
            campaign()[:count],
            issuer=services.issuer(session),
            actor=Actor("test"),
            now=services.clock(),
            rng=rng,
            exactly_once=True,
        )


def _slots(services: Services) -> list[tuple[int, int]]:
    with services.read_sessions() as session:
        query = select(StatusAllocation.list_id, StatusAllocation.index)
        return [(int(list_id), int(index)) for list_id, index in session.execute(query)]


def test_allocation_never_reuses_an_index_its_random_draw_hits_again(
    services: Services,
) -> None:
    load_catalog(services)
    _issue(services, 60, random.Random(7))  # the first 60 draws of Random(7) are taken
    taken = set(_slots(services))
    with session_scope(services.sessions) as session:
        # The same seed draws the same indexes first: each must be seen as taken.
        again = allocate_indexes(session, 60, now=services.clock(), rng=random.Random(7))
    assert len(set(again)) == 60
    assert not taken & set(again)


def test_allocation_opens_a_new_list_when_the_current_one_is_half_full(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_catalog(services)
    monkeypatch.setattr(status_list, "FILL_LIMIT", 10)
    _issue(services, 8, random.Random(3))
    with session_scope(services.sessions) as session:
        pairs = allocate_indexes(session, 5, now=services.clock(), rng=random.Random(3))
        lists = list(session.scalars(select(StatusList.id).order_by(StatusList.id)))
    assert len(lists) == 2
    first, second = lists
    assert [list_id for list_id, _ in pairs] == [first, first, second, second, second]
    assert not set(pairs) & set(_slots(services))
    assert len(set(pairs)) == 5


def test_allocation_looks_up_its_candidates_never_every_used_index(
    services: Services,
) -> None:
    load_catalog(services)
    _issue(services, 200, random.Random(5))
    statements: list[str] = []

    def seen(_conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(services.engine, "before_cursor_execute", seen)
    try:
        with session_scope(services.sessions) as session:
            allocate_indexes(session, 3, now=services.clock(), rng=random.Random(9))
    finally:
        event.remove(services.engine, "before_cursor_execute", seen)
    reads = [s for s in statements if "FROM status_allocations" in s]
    assert reads, statements
    for statement in reads:  # a count, or the candidates' look-up through the index
        assert "count(" in statement or " IN (" in statement, statement


def _raw_rows(count: int, start: int = 0) -> Iterator[RawRow]:
    """Passed rows of the demo's shape, each with its own employee number."""
    base = campaign()
    columns = ["name", "employee_number", "occupation", "level", "unit", "exam_date"]
    columns += ["exam_session", "score", "result"]
    for k in range(start, start + count):
        cells = dict(zip(columns, request_row(base[k % len(base)]), strict=True))
        cells["employee_number"] = f"SC{k:08d}"
        yield RawRow(k + 2, cells)


def _validation_peak(services: Services, count: int) -> int:
    with services.read_sessions() as session:
        catalog = read_catalog(session)
    rows = list(_raw_rows(count))
    tracemalloc.start()
    try:
        with coverage_paused(), RowValidator(catalog) as validator:
            for row in rows:
                assert not isinstance(validator.validate(row), tuple)
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_validator_memory_does_not_grow_with_the_rows_it_has_seen(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_catalog(services)
    # Past its first rows (20,000 in production, 500 here) the memory moves to disk.
    monkeypatch.setattr(row_memory, "IN_MEMORY_ROWS", 500)
    small = _validation_peak(services, 1_000)
    large = _validation_peak(services, 15_000)
    # Remembered in Python sets, 14,000 more rows would add about 2 MB.
    assert large - small < 256 * 1024, (small, large)


def test_validator_still_finds_a_repeat_far_back_in_the_file(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_catalog(services)
    monkeypatch.setattr(row_memory, "IN_MEMORY_ROWS", 1_000)  # the first row in memory, the
    # repeats after the move to disk
    with services.read_sessions() as session:
        catalog = read_catalog(session)
    first = next(_raw_rows(1))
    renamed = RawRow(9_000, {**first.cells, "name": "另一个人"})
    repeated = RawRow(9_001, dict(first.cells))
    with RowValidator(catalog) as validator:
        for row in (first, *_raw_rows(5_000, start=1)):
            assert not isinstance(validator.validate(row), tuple)
        assert validator.validate(renamed) == (RowProblem("name", "holder_name_mismatch"),)
        assert validator.validate(repeated) == (RowProblem("exam_session", "duplicate_row"),)


@pytest.mark.parametrize("in_memory_rows", [None, 0, 1])
def test_row_memory_remembers_first_names_and_exams(in_memory_rows: int | None) -> None:
    memory = RowMemory(in_memory_rows=in_memory_rows)
    try:
        assert memory.same_name("E1", "张三")
        assert memory.same_name("E1", "张三")
        assert not memory.same_name("E1", "李四")
        assert memory.same_name("E2", "李四")
        assert memory.first_time("E1|S1")
        assert not memory.first_time("E1|S1")
        assert memory.first_time("E1|S2")
        assert memory.on_disk == (in_memory_rows is not None)  # 1: moved midway
    finally:
        memory.close()


def _campaign_file(tmp_path: Path, count: int) -> Path:
    return write_csv(tmp_path / "c.csv", (request_row(r) for r in campaign()[:count]))


def _start(services: Services, path: Path) -> tuple[str, ImportRequest]:
    request = ImportRequest(path=path, filename=path.name, dry_run=False, actor=Actor("test"))
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=10_000, now=services.clock())
        return job.id, request


def test_import_reads_the_file_no_further_than_the_chunk_in_hand(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_catalog(services)
    chunked = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"import_chunk_rows": 50})
    )
    job_id, request = _start(chunked, _campaign_file(tmp_path, 300))
    read = 0
    opened = open_results_file

    def counting(path: Path) -> ResultsFile:
        results = opened(path)

        class Counted(ResultsFile):
            def rows(self) -> Iterator[RawRow]:
                nonlocal read
                for row in super().rows():
                    read += 1
                    yield row

        return Counted(results.path, results.format, results.encoding, results.columns)

    monkeypatch.setattr(import_run, "open_results_file", counting)
    ahead: list[int] = []
    run_import(chunked, job_id, request, on_progress=lambda done, _t: ahead.append(read - done))
    assert len(ahead) == 6
    assert max(ahead) <= 1  # at most the row that showed the chunk was full


def test_a_chunk_that_fails_leaves_no_trace_and_the_rerun_completes_without_gap(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_catalog(services)
    chunked = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"import_chunk_rows": 40})
    )
    path = _campaign_file(tmp_path, 200)
    job_id, request = _start(chunked, path)
    real = import_run.process_chunk
    calls = 0

    def dies_in_the_third(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        real(*args, **kwargs)  # every write of the chunk made, then the process dies
        if calls == 3:
            raise RuntimeError("power cut")

    monkeypatch.setattr(import_run, "process_chunk", dies_in_the_third)
    with pytest.raises(RuntimeError):
        run_import(chunked, job_id, request)
    with services.read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 80
        assert session.scalar(select(func.count()).select_from(StatusAllocation)) == 80
        assert session.scalar(select(func.count()).select_from(ImportRow)) == 80
        assert session.get(ImportJob, job_id).processed_rows == 80  # type: ignore[union-attr]
    monkeypatch.setattr(import_run, "process_chunk", real)
    again_id, again = _start(chunked, path)
    job = run_import(chunked, again_id, again)
    assert (job.issued, job.already_issued) == (120, 80)
    with services.read_sessions() as session:
        keys = session.scalar(select(func.count(func.distinct(Credential.issuance_key))))
        count = session.scalar(select(func.count()).select_from(Credential))
    assert keys == count == 200
    slots = _slots(services)
    assert len(slots) == len(set(slots)) == 200


def test_report_rows_stream_a_page_at_a_time_in_file_order(
    services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    job_id, request = _start(services, _campaign_file(tmp_path, 130))
    run_import(services, job_id, request)
    with services.read_sessions() as session:
        expected = [
            (r.row_number, r.status, r.credential_id)
            for r in list_import_rows(session, job_id, limit=1000, offset=0)
        ]
    with services.read_sessions() as session:
        held: list[int] = []
        streamed = []
        for row in iter_import_rows(session, job_id, batch=25):
            streamed.append((row.row_number, row.status, row.credential_id))
            held.append(len(session.identity_map))
    assert streamed == expected
    assert len(streamed) == 130
    assert max(held) <= 25


def test_import_keeps_postgresql_planner_statistics_current(
    services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    statistics = PlannerStatistics(services.engine, ["credentials"])
    if services.engine.dialect.name != "postgresql":
        assert not statistics.enabled  # SQLite plans by its indexes, without statistics
        return
    estimate = text("SELECT reltuples FROM pg_class WHERE relname = 'credentials'")
    with services.engine.begin() as connection:
        connection.execute(text("ANALYZE credentials"))  # the empty table, as it is now
        assert connection.scalar(estimate) <= 0
    job_id, request = _start(services, _campaign_file(tmp_path, 1391))
    run_import(services, job_id, request)
    with services.engine.connect() as connection:
        # ANALYZE ran during the import: the planner knows the register is no longer empty.
        assert connection.scalar(estimate) >= 1000


def test_planner_statistics_that_cannot_be_refreshed_leave_the_import_going(
    services: Services,
) -> None:
    # As for a role that does not own the tables: ANALYZE fails, the import does not.
    statistics = PlannerStatistics(services.engine, ["credentials", "no_such_table"])
    if services.engine.dialect.name != "postgresql":
        assert not statistics.enabled
        return
    statistics.grew(5_000)
    assert (statistics.enabled, statistics.analysed) == (False, 0)
    statistics.grew(5_000)  # and is not tried again
    assert statistics.analysed == 0
