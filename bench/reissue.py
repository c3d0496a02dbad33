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
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scale_render import ready_services, scratch_database

from issuer.campaigns.demo import campaign_requests, catalog_data
from issuer.config import Settings
from issuer.credentials.issuance import issue_credentials
from issuer.credentials.reissue_runs import plan_reissue
from issuer.keys.keystore import active_key, compromise_key
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.tasks.reissue import run_reissue_chunk

BASE_URL = "https://certs.example.org"
PASSPHRASE = "bench passphrase"  # a scratch key, deleted with the run
ACTOR = Actor("bench")


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
    services = ready_services(settings)
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
