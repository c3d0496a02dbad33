"""Exports at size: the register's CSV streamed in a request against the same file written
by an export job on a ``tessera worker`` (docs/decisions/0065-exports-as-jobs.md).

Run: .venv/bin/python bench/export.py postgresql://postgres@127.0.0.1:5432/postgres 200000

Creates the database ``exports_bench`` (dropped at the end), issues the demo campaign the
ordinary way and generates the rest with ``COPY`` (bench/seed_credentials.py); then, on one
``tessera serve`` process: ``GET /api/v1/credentials.csv`` (time to the first and the last
byte, the request open all along), ``POST /api/v1/exports`` (time to its 202), one worker
writing the file (time to ``ready``, rows a second), the download, and whether the two files
are the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from scale_reads import (
    PASSPHRASE,
    TESSERA,
    _create_database,
    _database_url,
    _drop_database,
    _prepare,
    _serve,
    _stop,
)
from seed_credentials import seed
from verify import _free_port

NAME = "exports_bench"


def _worker(settings_url: str, keys: Path, base_url: str, work: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(
        TESSERA_DATABASE_URL=settings_url,
        TESSERA_KEYS_DIR=str(keys),
        TESSERA_KEY_PASSPHRASE=PASSPHRASE,
        TESSERA_BASE_URL=base_url,
    )
    return subprocess.Popen(
        [TESSERA, "worker"], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server", help="postgresql://... of a server (any database on it)")
    parser.add_argument("count", type=int, nargs="?", default=200_000, help="credentials")
    args = parser.parse_args()
    _create_database(args.server, NAME)
    try:
        with tempfile.TemporaryDirectory(prefix="tessera-export-") as tmp:
            work = Path(tmp)
            port = _free_port()
            base_url = f"http://127.0.0.1:{port}"
            url = _database_url(args.server, NAME, "psycopg")
            settings, token = _prepare(url, work / "keys", base_url)
            plain = _database_url(args.server, NAME)
            with psycopg.connect(plain, autocommit=True) as db:
                have = db.execute("SELECT count(*) FROM credentials").fetchone()
            seed(plain, args.count - (have[0] if have else 0), seed_value=1, campaign=2000)
            with psycopg.connect(plain, autocommit=True) as db:
                db.execute("VACUUM ANALYZE")
            # The server and the worker share one directory, so one var/exports.
            shared = work / "serve"
            server = _serve(settings, port, shared)
            headers = {"Authorization": f"Bearer {token}"}
            try:
                with httpx.Client(base_url=base_url, headers=headers, timeout=3600) as client:
                    streamed = hashlib.sha256()
                    start = time.perf_counter()
                    first = None
                    with client.stream("GET", "/api/v1/credentials.csv") as answer:
                        for part in answer.iter_bytes():
                            first = first or time.perf_counter() - start
                            streamed.update(part)
                    stream_seconds = time.perf_counter() - start
                    start = time.perf_counter()
                    asked = client.post("/api/v1/exports")
                    post_ms = (time.perf_counter() - start) * 1000
                    export_id = asked.json()["id"]
                    worker = _worker(url, work / "keys", base_url, shared)
                    try:
                        start = time.perf_counter()
                        while (read := client.get(f"/api/v1/exports/{export_id}").json())[
                            "state"
                        ] != "ready":
                            assert read["state"] in ("queued", "running"), read
                            time.sleep(0.1)
                        job_seconds = time.perf_counter() - start
                    finally:
                        worker.terminate()
                        worker.wait(timeout=60)
                    written = hashlib.sha256(client.get(read["download_url"]).content)
            finally:
                _stop(server)
        rows = read["rows"]
        print(f"register: {rows:,} credentials")
        print(
            f"streamed GET /api/v1/credentials.csv: first byte {first or 0:.3f} s, last "
            f"{stream_seconds:.1f} s ({rows / stream_seconds:,.0f} rows/s, the request open)"
        )
        print(
            f"POST /api/v1/exports: 202 in {post_ms:.0f} ms; one worker wrote it in "
            f"{job_seconds:.1f} s ({rows / job_seconds:,.0f} rows/s, queue pick-up included)"
        )
        same = streamed.hexdigest() == written.hexdigest()
        print(f"same bytes: {same}")
    finally:
        _drop_database(args.server, NAME)


if __name__ == "__main__":
    main()
