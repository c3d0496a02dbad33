"""The ``reads`` section of bench/scale.py: verification and search at a large register.

Run through bench/scale.py (``--sections reads``), or, on a database already seeded (the
search part alone, with the keys directory its signing key is in):

    .venv/bin/python bench/scale_reads.py postgresql://postgres@127.0.0.1:5432/db KEYS_DIR

The URL names a PostgreSQL server and a database to connect to while a scratch database
(``tessera_scale_<section>``) is created; each section drops its scratch database at the
end (``--keep`` leaves it). Sections:

- ``reads``: ``POST /api/v1/verify`` throughput of the demo campaign's 1,391 credentials
  (wrk, one ``tessera serve`` worker, the verification memo off so every request runs
  every check) with the campaign alone, then again after ``--large`` credentials in all
  (bench/seed_credentials.py), and their ratio; then the register's search
  (``GET /api/v1/credentials``) by each kind of query, ``--tries`` requests each, one at a
  time, p50 and p95, the dashboard's counts (``tally`` by unit and by level, in-process),
  and each query's plan (EXPLAIN ANALYZE) at that size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from seed_credentials import seed
from sqlalchemy.engine import make_url
from verify import _LUA, _free_port, run_wrk

from issuer.access.tokens import create_token
from issuer.campaigns.demo import campaign_requests, catalog_data, load_catalog_data
from issuer.config import Settings
from issuer.credentials.issuance import issue_credentials
from issuer.credentials.search import (
    CredentialFilter,
    SortOrder,
    TallyBy,
    page_query,
    search_credentials,
    tally,
)
from issuer.keys.keystore import create_signing_key
from issuer.services import Services
from issuer.store import migration
from issuer.store.audit import Actor
from issuer.store.engine import create_db_engine, create_session_factory, session_scope
from issuer.store.identity import store_base_url
from issuer.store.models import PrincipalRecord
from issuer.vocabulary import CredentialState

TESSERA = str(Path(sys.executable).parent / "tessera")
PASSPHRASE = "bench-passphrase-0123456789"
DEMO = 1391


def _database_url(server: str, name: str, driver: str = "") -> str:
    url = make_url(server).set(database=name)
    if driver:
        url = url.set(drivername=f"postgresql+{driver}")
    return url.render_as_string(hide_password=False)


def _plain(url: str) -> str:
    """``url`` for psycopg itself (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _create_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')


def _drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _prepare(url: str, keys: Path, base_url: str) -> tuple[Settings, str]:
    """Migrate, store the identity, load the demo catalog, make a key, issue the demo
    campaign (1,391 credentials) the ordinary way; returns the settings and an admin token."""
    engine = create_db_engine(url)
    migration.upgrade(engine)
    with session_scope(create_session_factory(engine)) as session:
        store_base_url(session, base_url, now=dt.datetime.now(dt.UTC))
    engine.dispose()
    settings = Settings(
        database_url=url, keys_dir=keys, key_passphrase=PASSPHRASE, base_url=base_url
    )
    services = Services.from_settings(settings)
    with session_scope(services.sessions) as session:
        load_catalog_data(session, catalog_data())
        create_signing_key(session, keys, PASSPHRASE.encode(), "ES256", now=services.clock())
    with session_scope(services.sessions) as session:
        issue_credentials(
            session,
            campaign_requests(catalog_data()),
            issuer=services.issuer(session),
            actor=Actor("bench"),
            now=services.clock(),
            exactly_once=True,
        )
        now = services.clock()
        owner = PrincipalRecord(
            name="bench admin", kind="service", role="admin", units=[], created_at=now
        )
        session.add(owner)
        session.flush()
        _record, token = create_token(
            session, principal=owner, name="bench", role="admin", units=[], now=now
        )
    services.engine.dispose()
    return settings, token


def _serve(settings: Settings, port: int, work: Path) -> subprocess.Popen[bytes]:
    work.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(
        TESSERA_DATABASE_URL=settings.database_url,
        TESSERA_KEYS_DIR=str(settings.keys_dir),
        TESSERA_KEY_PASSPHRASE=PASSPHRASE,
        TESSERA_BASE_URL=str(settings.base_url),
        TESSERA_RATE_LIMIT="off",
        TESSERA_VERIFY_MEMO_SIZE="0",
        PROMETHEUS_MULTIPROC_DIR=str(work / "metrics"),
    )
    (work / "metrics").mkdir(exist_ok=True)
    server = subprocess.Popen(
        [TESSERA, "serve", "--port", str(port), "--workers", "1"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    sys.exit("server did not start")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _queries(url: str, rng: random.Random, tries: int) -> dict[str, list[dict[str, str]]]:
    """``tries`` query strings per kind of search, drawn from the register's own rows."""
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT c.number, c.holder_name, h.employee_number "
            "FROM credentials c TABLESAMPLE SYSTEM (1) "
            "JOIN holders h ON h.id = c.holder_id LIMIT %s",
            (tries * 3,),
        ).fetchall()
        if len(rows) < tries:
            rows = db.execute(
                "SELECT c.number, c.holder_name, h.employee_number FROM credentials c "
                "JOIN holders h ON h.id = c.holder_id ORDER BY random() LIMIT %s",
                (tries,),
            ).fetchall()
        units = [r[0] for r in db.execute("SELECT code FROM units")]
    picked = [rows[rng.randrange(len(rows))] for _ in range(tries)]
    states = [CredentialState.REVOKED.value, CredentialState.SUSPENDED.value, "active"]
    return {
        "certificate number": [{"number": r[0]} for r in picked],
        "full name": [{"holder_name": r[1]} for r in picked],
        "part of a name": [{"holder_name": r[1][:2]} for r in picked],
        "employee number": [{"employee_number": r[2]} for r in picked],
        "unit": [{"unit": rng.choice(units)} for _ in range(tries)],
        "state": [{"state": states[i % len(states)]} for i in range(tries)],
        "unit and state": [
            {"unit": rng.choice(units), "state": states[i % len(states)]} for i in range(tries)
        ],
        "everything, newest first": [{} for _ in range(tries)],
        "everything, by name": [{"sort": "holder_name"} for _ in range(tries)],
    }


def _search_latencies(
    base: str, token: str, queries: dict[str, list[dict[str, str]]]
) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for params in next(iter(queries.values()))[:5]:  # warm the connection and the pool
            client.get("/api/v1/credentials", params=params)
        for kind, all_params in queries.items():
            times: list[float] = []
            found: list[int] = []
            for params in all_params:
                start = time.perf_counter()
                response = client.get("/api/v1/credentials", params=params)
                times.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    sys.exit(f"{kind}: {response.status_code} {response.text[:200]}")
                found.append(int(response.json()["total"]))
            results[kind] = {
                "p50": statistics.median(times),
                "p95": _quantile(times, 0.95),
                "median found": statistics.median(found),
            }
        # The second page of a unit's list, through its cursor: as fast as the first.
        cursor_times: list[float] = []
        for params in queries["unit"]:
            first = client.get("/api/v1/credentials", params=params).json()
            if first["next_cursor"] is None:
                continue
            start = time.perf_counter()
            client.get(
                "/api/v1/credentials", params={**params, "cursor": first["next_cursor"]}
            ).raise_for_status()
            cursor_times.append((time.perf_counter() - start) * 1000)
        if cursor_times:
            results["unit, next page by cursor"] = {
                "p50": statistics.median(cursor_times),
                "p95": _quantile(cursor_times, 0.95),
                "median found": 0.0,
            }
    return results


def _criteria(params: dict[str, str]) -> tuple[CredentialFilter, SortOrder]:
    criteria = CredentialFilter(
        number=params.get("number"),
        holder_name=params.get("holder_name"),
        employee_number=params.get("employee_number"),
        units=(params["unit"],) if "unit" in params else (),
        state=CredentialState(params["state"]) if "state" in params else None,
    )
    return criteria, SortOrder(params.get("sort", SortOrder.NEWEST.value))


def _dashboard_latencies(settings: Settings, tries: int) -> dict[str, float]:
    """p50 and p95 of the dashboard's counts (``tally`` by unit, then by level, as
    issuer/web/console/dashboard.py asks them), in this process."""
    services = Services.from_settings(settings)
    times: list[float] = []
    try:
        for _ in range(tries):
            with services.read_sessions() as session:
                start = time.perf_counter()
                for by in (TallyBy.UNIT, TallyBy.LEVEL):
                    tally(session, CredentialFilter(), scope=None, by=by)
                times.append((time.perf_counter() - start) * 1000)
    finally:
        services.engine.dispose()
    return {"p50": statistics.median(times), "p95": _quantile(times, 0.95)}


def _service_latencies(
    settings: Settings, queries: dict[str, list[dict[str, str]]]
) -> dict[str, float]:
    """p95 of ``search_credentials`` itself (page and count, in this process): the
    database's share of each kind of search, without HTTP, JSON and the token check."""
    services = Services.from_settings(settings)
    results: dict[str, float] = {}
    try:
        for kind, all_params in queries.items():
            times: list[float] = []
            for params in all_params:
                criteria, order = _criteria(params)
                with services.read_sessions() as session:
                    start = time.perf_counter()
                    search_credentials(session, criteria, scope=None, order=order, limit=50)
                    times.append((time.perf_counter() - start) * 1000)
            results[kind] = _quantile(times, 0.95)
    finally:
        services.engine.dispose()
    return results


def _explain(settings: Settings, queries: dict[str, list[dict[str, str]]]) -> None:
    """EXPLAIN ANALYZE of the page query of one search of each kind, as the service builds it."""
    services = Services.from_settings(settings)
    try:
        for kind, all_params in queries.items():
            params = all_params[0]
            criteria, order = _criteria(params)
            with services.read_sessions() as session:
                query = page_query(session, criteria, scope=None, order=order).limit(51)
                connection = session.connection()
                compiled = query.compile(
                    dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
                )
                plan = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, TIMING OFF) " + str(compiled), compiled.params
                ).all()
            print(f"\n  plan, {kind}: {params}")
            for (line,) in plan:
                if "Scan" in line or "Execution Time" in line:
                    print(f"    {line.strip()}")
        # The dashboard's counts (``tally`` by unit): a sum over the register's counts.
        with services.read_sessions() as session:
            plan = (
                session.connection()
                .exec_driver_sql(
                    "EXPLAIN (ANALYZE, TIMING OFF) SELECT units.code, register_counts.state, "
                    "sum(register_counts.n) FROM register_counts "
                    "JOIN units ON units.id = register_counts.unit_id "
                    "GROUP BY units.code, register_counts.state"
                )
                .all()
            )
        print("\n  plan, the dashboard's counts by unit and state:")
        for (line,) in plan:
            if "Scan" in line or "Execution Time" in line:
                print(f"    {line.strip()}")
    finally:
        services.engine.dispose()


def _alternate(
    bases: dict[str, str], script: Path, duration: int, rounds: int
) -> dict[str, list[dict[str, float]]]:
    """wrk on each server in turn, ``rounds`` times, the order swapped every round: on a
    shared machine, load that comes and goes falls on both sides alike."""
    results: dict[str, list[dict[str, float]]] = {name: [] for name in bases}
    for base in bases.values():  # warm-up: keys, lists, connections
        run_wrk(f"{base}/api/v1/verify", duration=2, connections=8, script=script)
    names = list(bases)
    for turn in range(rounds):
        for name in names if turn % 2 == 0 else names[::-1]:
            result = run_wrk(
                f"{bases[name]}/api/v1/verify", duration=duration, connections=8, script=script
            )
            if result["non_2xx"] or result["socket_errors"]:
                sys.exit(f"verification answered errors: {result}")
            results[name].append(result)
    return results


Searched = tuple[dict[str, list[dict[str, str]]], dict[str, dict[str, float]]]


def _searches(
    settings: Settings, base: str, token: str, rng: random.Random, tries: int
) -> Searched:
    """The queries drawn from the register and their HTTP latencies on the server at
    ``base`` (stop it before ``_report_searches`` times the service alone)."""
    queries = _queries(_plain(settings.database_url), rng, tries)
    return queries, _search_latencies(base, token, queries)


def _report_searches(settings: Settings, searched: Searched, args: argparse.Namespace) -> None:
    queries, latencies = searched
    in_process = _service_latencies(settings, queries)
    dashboard = _dashboard_latencies(settings, args.tries)
    with psycopg.connect(_plain(settings.database_url)) as db:
        row = db.execute("SELECT count(*) FROM credentials").fetchone()
    print(
        f"reads: search at {row[0] if row else 0:,} credentials ({args.tries} requests each; "
        "HTTP, and the service alone in-process):"
    )
    for kind, figures in latencies.items():
        service = in_process.get(kind)
        print(
            f"  {kind:28} p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms"
            + (f"  service p95 {service:6.1f} ms" if service is not None else "")
            + f"  (median total {figures['median found']:,.0f})"
        )
    print(
        f"  {'dashboard counts (in-process)':28} p50 {dashboard['p50']:6.1f} ms  "
        f"p95 {dashboard['p95']:6.1f} ms  (by unit and by level)"
    )
    if args.explain:
        _explain(settings, queries)


def _admin_token(url: str) -> str:
    """A new admin token in the database at ``url`` (for the search alone)."""
    engine = create_db_engine(url)
    try:
        with session_scope(create_session_factory(engine)) as session:
            now = dt.datetime.now(dt.UTC)
            owner = PrincipalRecord(
                name="bench admin", kind="service", role="admin", units=[], created_at=now
            )
            session.add(owner)
            session.flush()
            _record, token = create_token(
                session, principal=owner, name="bench", role="admin", units=[], now=now
            )
    finally:
        engine.dispose()
    return token


def searches_alone(url: str, keys: Path, args: argparse.Namespace) -> None:
    """The search part of ``reads`` on a database already seeded (its signing key's
    files in ``keys``): the server, the HTTP latencies, the service, the dashboard."""
    settings = Settings(
        database_url=_database_url(url, make_url(url).database or "", "psycopg"),
        keys_dir=keys,
        key_passphrase=PASSPHRASE,
        base_url="http://127.0.0.1",
    )
    with psycopg.connect(url) as db:
        stored = db.execute("SELECT base_url FROM issuer_identity").fetchone()
    if stored:
        settings = settings.model_copy(update={"base_url": stored[0]})
    token = _admin_token(settings.database_url)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="tessera-scale-") as tmp:
        server = _serve(settings, port, Path(tmp) / "large")
        try:
            searched = _searches(
                settings, f"http://127.0.0.1:{port}", token, random.Random(7), args.tries
            )
        finally:
            _stop(server)
    _report_searches(settings, searched, args)


def main() -> None:
    parser = argparse.ArgumentParser(description="the register's search on a seeded database")
    parser.add_argument("url", help="postgresql://... of a seeded Tessera database")
    parser.add_argument("keys", type=Path, help="the keys directory of its signing key")
    parser.add_argument("--tries", type=int, default=100, help="searches per kind")
    parser.add_argument("--explain", action="store_true", help="print query plans")
    args = parser.parse_args()
    searches_alone(args.url, args.keys, args)


def reads(server: str, args: argparse.Namespace) -> None:
    """Verification at 1,391 and ``args.large`` credentials (two databases, two servers,
    measured in alternation), search p95 by kind of query at the large size."""
    small_name, large_name = f"{args.reads_prefix}_small", args.reads_prefix
    _create_database(server, small_name)
    rng = random.Random(7)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="tessera-scale-") as tmp:
            work = Path(tmp)
            ports = {"small": _free_port(), "large": _free_port()}
            base_url = f"http://127.0.0.1:{ports['small']}"  # the identity both sign under
            small, token = _prepare(
                _database_url(server, small_name, "psycopg"), work / "keys", base_url
            )
            with psycopg.connect(_database_url(server, small_name), autocommit=True) as db:
                tokens = [r[0] for r in db.execute("SELECT jws FROM credentials")]
                db.execute("VACUUM ANALYZE")  # both sizes with fresh statistics
            # The large database starts as a copy of the small one: the same key, the same
            # 1,391 credentials (the ones verified), then the generated rows.
            with psycopg.connect(server, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{large_name}"')
                db.execute(f'CREATE DATABASE "{large_name}" TEMPLATE "{small_name}"')
            plain = _database_url(server, large_name)
            large = small.model_copy(
                update={"database_url": _database_url(server, large_name, "psycopg")}
            )
            timings = seed(plain, args.large - len(tokens), seed_value=1, campaign=2000)
            with psycopg.connect(plain, autocommit=True) as db:
                for table in ("credentials", "holders", "status_allocations"):
                    db.execute(f"VACUUM ANALYZE {table}")
                total = db.execute("SELECT count(*) FROM credentials").fetchone()
                size = db.execute(
                    "SELECT pg_size_pretty(pg_database_size(%s))", (large_name,)
                ).fetchone()
            print(
                f"reads: generated {args.large - len(tokens):,} credentials in "
                f"{timings['total']:.0f} s; {total[0] if total else 0:,} in all, "
                f"database {size[0] if size else '?'}",
                flush=True,
            )
            (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
            script = work / "verify.lua"
            script.write_text(_LUA % (work / "tokens.txt"))
            servers.append(_serve(small, ports["small"], work / "small"))
            servers.append(_serve(large, ports["large"], work / "large"))
            bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            rates = _alternate(bases, script, args.duration, args.rounds)
            for process in servers[:1]:
                _stop(process)
            searched = _searches(large, bases["large"], token, rng, args.tries)
            _stop(servers[1])
            servers.clear()
            small_rps = statistics.median(r["rps"] for r in rates["small"])
            large_rps = statistics.median(r["rps"] for r in rates["large"])
            rounds = ", ".join(
                f"{a['rps']:.0f}/{b['rps']:.0f}"
                for a, b in zip(rates["small"], rates["large"], strict=True)
            )
            print(
                f"reads: verification (req/s, memo off, 1 worker, {args.rounds} alternating "
                f"rounds of {args.duration} s, small/large: {rounds})"
            )
            print(f"reads: verification at {len(tokens):,} credentials: {small_rps:.0f} req/s")
            print(f"reads: verification at {args.large:,} credentials: {large_rps:.0f} req/s")
            print(f"reads: verification ratio large/small: {large_rps / small_rps:.2f}")
            _report_searches(large, searched, args)
    finally:
        for process in servers:
            _stop(process)
        if not args.keep:
            _drop_database(server, large_name)
            _drop_database(server, small_name)


if __name__ == "__main__":
    main()
