"""Bulk re-issue after a key compromise, chunk by chunk, on PostgreSQL (decision 0066).

    python bench/reissue.py postgresql://postgres@127.0.0.1:5432/postgres [--credentials N]
        [--chunk 200]

A scratch database (``reissue_bench_*``, dropped afterwards) gets N credentials signed by
one key (the demo campaign repeated with new employee numbers), the key is marked
compromised, and the re-issue is planned and run here, one chunk after another, as a
worker runs them. Prints the plan's time, each chunk's time (the longest is the longest
any other writer waits for the register's write lock), the whole run, and credentials a
second. Before decision 0066 the whole run was one transaction: the write lock was held
for all of it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from issuer.campaigns.demo import campaign_requests, catalog_data, load_catalog_data
from issuer.config import Settings
from issuer.credentials.issuance import issue_credentials
from issuer.credentials.reissue_runs import plan_reissue
from issuer.keys.keystore import active_key, compromise_key, create_signing_key
from issuer.services import Services
from issuer.store import migration
from issuer.store.audit import Actor
from issuer.store.engine import create_db_engine, create_session_factory, session_scope
from issuer.store.identity import store_base_url
from issuer.tasks.reissue import run_reissue_chunk

BASE_URL = "https://certs.example.org"
PASSPHRASE = "bench passphrase"  # a scratch key, deleted with the run
ACTOR = Actor("bench")


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    name = f"reissue_bench_{uuid.uuid4().hex[:12]}"
    admin = make_url(server_url).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def prepare(database_url: str, work: Path, credentials: int, chunk: int) -> Services:
    settings = Settings(
        database_url=database_url,
        keys_dir=work / "keys",
        key_passphrase=PASSPHRASE,
        base_url=BASE_URL,
        task_runner="in_process",
        reissue_chunk_size=chunk,
        rate_limit="off",
    )
    engine = create_db_engine(database_url)
    migration.upgrade(engine)
    with session_scope(create_session_factory(engine)) as session:
        store_base_url(session, BASE_URL, now=dt.datetime.now(dt.UTC))
    engine.dispose()
    services = Services.from_settings(settings)
    with session_scope(services.sessions) as session:
        load_catalog_data(session, catalog_data())
        create_signing_key(
            session, settings.keys_dir, PASSPHRASE.encode(), "ES256", now=services.clock()
        )
    demo = campaign_requests(catalog_data())
    requests = [
        dataclasses.replace(
            demo[n % len(demo)],
            employee_number=f"{demo[n % len(demo)].employee_number}-{n // len(demo)}",
        )
        for n in range(credentials)
    ]
    for start in range(0, credentials, 1000):
        with session_scope(services.sessions) as session:
            issue_credentials(
                session,
                requests[start : start + 1000],
                issuer=services.issuer(session),
                actor=ACTOR,
                now=services.clock(),
            )
    return services


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url")
    parser.add_argument("--credentials", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work, scratch_database(args.postgres_url) as url:
        started = time.perf_counter()
        services = prepare(url, Path(work), args.credentials, args.chunk)
        print(f"issued {args.credentials} in {time.perf_counter() - started:.1f} s")
        try:
            now = services.clock()
            with session_scope(services.sessions) as session:
                key = active_key(session)
                assert key is not None
                kid = key.kid
                compromise_key(
                    session,
                    kid,
                    compromised_at=now,
                    keys_dir=services.settings.keys_dir,
                    passphrase=PASSPHRASE.encode(),
                    algorithm="ES256",
                    now=now,
                )
            began = time.perf_counter()
            with session_scope(services.sessions) as session:
                plan = plan_reissue(
                    session,
                    kid,
                    active_kid=services.issuer(session).signer.kid,
                    actor=ACTOR,
                    requested_by=None,
                    approval_id=None,
                    chunk_size=args.chunk,
                    now=services.clock(),
                )
            planned = time.perf_counter() - began
            times = []
            for chunk in range(plan.chunks):
                tick = time.perf_counter()
                run_reissue_chunk(services, plan.run_id, chunk)
                times.append(time.perf_counter() - tick)
            total = time.perf_counter() - began
        finally:
            services.engine.dispose()
    print(f"plan: {plan.credentials} credentials in {plan.chunks} chunks, {planned:.2f} s")
    print(
        f"chunk of {args.chunk}: mean {statistics.mean(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms (the longest wait for the write lock)"
    )
    print(
        f"run: {total:.1f} s, {plan.credentials / total:.0f} credentials/s "
        f"(one transaction before: the write lock held about {total:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
