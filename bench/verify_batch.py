"""Benchmark: one ``POST /api/v1/verify/batch`` of the demo's 1,391 credentials against 1,391
single ``POST /api/v1/verify`` calls on the same server, in the same run.

Run: .venv/bin/python bench/verify_batch.py [--pdfs 100]

Starts ``tessera serve --workers 1`` over a fresh SQLite database with the demo campaign, the
verification memo off (``TESSERA_VERIFY_MEMO_SIZE=0``: every verification runs every check),
then, from one client with a kept-alive connection:

- ``single``: the 1,391 compact JWS posted one at a time to ``/api/v1/verify`` (the baseline);
- ``batch JSON``: the same 1,391 tokens as one JSON list;
- ``batch CSV``: the 1,391 (certificate number, holder name) rows, looked up and verified;
- ``batch PDF``: ``--pdfs`` certificate PDFs uploaded as files (QR rendered and decoded);
- ``batch CSV answer`` and ``batch PDF answer``: the JSON batch again, answered as CSV and PDF.

Each batch runs three times (the median is kept). Reports wall time, the server's CPU time
(from /proc, so other load on the machine does not count) and items/s, and each batch's speed
per item as a ratio to the singles' (wall and CPU).
Issue 15's target: the 1,391 demo credentials in one batch in under 10 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from verify import start_demo_server, stop

API = "/api/v1/verify/batch"


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and its children, from /proc: what the
    server spent, whatever else the machine is doing."""
    pids, total = {pid}, 0.0
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            stats[int(entry.name)] = text.rsplit(")", 1)[1].split()
    grew = True
    while grew:  # descendants: a process whose parent is one of ours
        found = {p for p, fields in stats.items() if int(fields[1]) in pids} - pids
        pids |= found
        grew = bool(found)
    for p in pids:
        fields = stats.get(p)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def _timed(action: Callable[[], httpx.Response], pid: int) -> tuple[float, float, httpx.Response]:
    """The median of three runs: (wall seconds, server CPU seconds, the last response)."""
    runs = []
    for _ in range(3):
        cpu, start = _cpu_seconds(pid), time.perf_counter()
        response = action()
        runs.append((time.perf_counter() - start, _cpu_seconds(pid) - cpu))
        assert response.status_code == 200, response.text[:300]
    walls, cpus = sorted(r[0] for r in runs), sorted(r[1] for r in runs)
    return walls[1], cpus[1], response


def _rows(work: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(work / "var/tessera.db") as db:
        return [
            (row[0], row[1], row[2], row[3])
            for row in db.execute("SELECT id, jws, number, holder_name FROM credentials")
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pdfs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base, server = start_demo_server(
            work, 1, VERIFY_MEMO_SIZE="0", VERIFY_BATCH_RATE_LIMIT="off"
        )
        try:
            rows = _rows(work)
            tokens = [row[1] for row in rows]
            admin = {"Authorization": f"Bearer {(work / 'var/admin-token').read_text().strip()}"}
            with httpx.Client(base_url=base, timeout=600) as client:
                pdfs = [
                    client.get(f"/api/v1/credentials/{row[0]}/certificate.pdf", headers=admin)
                    for row in rows[: args.pdfs]
                ]
                cpu, start = _cpu_seconds(server.pid), time.perf_counter()
                for token in tokens:
                    single = client.post(
                        "/api/v1/verify",
                        content=token,
                        headers={"Content-Type": "application/vc+jwt"},
                    )
                    assert single.json()["status"] == "valid"
                singles = time.perf_counter() - start
                singles_cpu = _cpu_seconds(server.pid) - cpu
                csv_body = "\n".join(f"{row[2]},{row[3]}" for row in rows).encode()
                pdf_files = [
                    ("files", (f"{i}.pdf", p.content, "application/pdf"))
                    for i, p in enumerate(pdfs)
                ]
                batches: dict[str, Callable[[], httpx.Response]] = {
                    "batch JSON": lambda: client.post(API, json=tokens),
                    "batch CSV": lambda: client.post(
                        API, content=csv_body, headers={"Content-Type": "text/csv"}
                    ),
                    "batch PDF": lambda: client.post(API, files=pdf_files),
                    "batch CSV answer": lambda: client.post(API + "?format=csv", json=tokens),
                    "batch PDF answer": lambda: client.post(API + "?format=pdf", json=tokens),
                }
                timings = {name: _timed(action, server.pid) for name, action in batches.items()}
        finally:
            stop(server)
    for name in ("batch JSON", "batch CSV", "batch PDF"):
        report = timings[name][2].json()
        expected = len(pdfs) if name == "batch PDF" else len(tokens)
        assert report["summary"]["valid"] == expected, (name, report["summary"])
    load = os.getloadavg()[0]
    print(
        f"server: tessera serve --workers 1, memo off; one client on loopback; "
        f"{len(tokens)} demo credentials; load average {load:.1f}"
    )
    print(f"{'':18} {'wall':>8} {'server CPU':>11} {'items/s':>8}  per item vs the singles")
    print(
        f"{'single x' + str(len(tokens)):18} {singles:7.2f}s {singles_cpu:10.2f}s "
        f"{len(tokens) / singles:8.0f}"
    )
    for name, (seconds, cpu, _response) in timings.items():
        count = len(pdfs) if name == "batch PDF" else len(tokens)
        wall_ratio = (singles / len(tokens)) / (seconds / count)
        cpu_ratio = (singles_cpu / len(tokens)) / (cpu / count) if cpu else float("inf")
        print(
            f"{name:18} {seconds:7.2f}s {cpu:10.2f}s {count / seconds:8.0f}  "
            f"{wall_ratio:5.2f}x wall, {cpu_ratio:5.2f}x CPU ({count} items)"
        )


if __name__ == "__main__":
    main()
