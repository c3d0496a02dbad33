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

Reports the wall time of each, items/s, and each batch's speed as a ratio to the singles.
Issue 15's target: the 1,391 demo credentials in one batch in under 10 s on this machine.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
from verify import start_demo_server, stop


def _timed(action: object) -> tuple[float, httpx.Response]:
    assert callable(action)
    start = time.perf_counter()
    response = action()
    elapsed = time.perf_counter() - start
    assert isinstance(response, httpx.Response)
    assert response.status_code == 200, response.text[:300]
    return elapsed, response


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
                start = time.perf_counter()
                for token in tokens:
                    single = client.post(
                        "/api/v1/verify",
                        content=token,
                        headers={"Content-Type": "application/vc+jwt"},
                    )
                    assert single.json()["status"] == "valid"
                singles = time.perf_counter() - start
                csv_body = "\n".join(f"{row[2]},{row[3]}" for row in rows).encode()
                timings = {
                    "batch JSON": _timed(lambda: client.post("/api/v1/verify/batch", json=tokens)),
                    "batch CSV": _timed(
                        lambda: client.post(
                            "/api/v1/verify/batch",
                            content=csv_body,
                            headers={"Content-Type": "text/csv"},
                        )
                    ),
                    "batch PDF": _timed(
                        lambda: client.post(
                            "/api/v1/verify/batch",
                            files=[
                                ("files", (f"{i}.pdf", p.content, "application/pdf"))
                                for i, p in enumerate(pdfs)
                            ],
                        )
                    ),
                    "batch CSV answer": _timed(
                        lambda: client.post("/api/v1/verify/batch?format=csv", json=tokens)
                    ),
                    "batch PDF answer": _timed(
                        lambda: client.post("/api/v1/verify/batch?format=pdf", json=tokens)
                    ),
                }
        finally:
            stop(server)
    for name in ("batch JSON", "batch CSV", "batch PDF"):
        report = timings[name][1].json()
        expected = len(pdfs) if name == "batch PDF" else len(tokens)
        assert report["summary"]["valid"] == expected, (name, report["summary"])
    print(
        f"server: tessera serve --workers 1, memo off; one client on loopback; "
        f"{len(tokens)} demo credentials"
    )
    print(f"{'single x' + str(len(tokens)):18} {singles:7.2f} s   {len(tokens) / singles:7.0f} /s")
    for name, (seconds, _response) in timings.items():
        count = len(pdfs) if name == "batch PDF" else len(tokens)
        ratio = (singles / len(tokens)) / (seconds / count)
        print(
            f"{name:18} {seconds:7.2f} s   {count / seconds:7.0f} /s   "
            f"{ratio:5.2f}x the singles' rate ({count} items)"
        )


if __name__ == "__main__":
    main()
