"""Benchmark: look-ups by certificate number tell nothing by their timing (decision 0027).

Run: .venv/bin/python bench/lookup.py [--tries 200] [--rounds 3]

Starts ``tessera serve`` (one worker) on a loopback port over a fresh SQLite database with
the demo campaign and the look-up rate limit off, then sends, interleaved in a shuffled
order, ``--tries`` look-ups of each kind, one at a time over one keep-alive connection:

- ``unknown number``: a well-formed number that no credential has, with a real name;
- ``wrong name``: a real certificate's number with another holder's name;
- ``match``: a real certificate's number with its holder's name (another answer, shown for
  scale).

Each kind uses a different certificate per try. The baseline is the first kind; the report
gives the median, p10 and p90 of each kind's latency and the ratio of medians to it, per
round, and checks that the two not-found kinds answered the same status and the same body
(but for ``checked_at``). A ratio within the rounds' spread of 1.00 means no signal.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from verify import start_demo_server, stop

KINDS = ("unknown number", "wrong name", "match")


def _register(work: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(work / "var/tessera.db") as db:
        return [
            (str(n), str(h)) for n, h in db.execute("SELECT number, holder_name FROM credentials")
        ]


def _bodies(
    register: list[tuple[str, str]], tries: int, rng: random.Random
) -> list[tuple[str, dict[str, str]]]:
    numbers = {number for number, _ in register}
    picked = rng.sample(register, 2 * tries)
    requests: list[tuple[str, dict[str, str]]] = []
    for i in range(tries):
        number, name = picked[i]
        other_name = next(h for _, h in rng.sample(register, 8) if h != name)
        unknown = number
        while unknown in numbers:
            unknown = f"{number[:-6]}{rng.randrange(1_000_000):06d}"
        requests.append(("unknown number", {"certificate_number": unknown, "holder_name": name}))
        requests.append(("wrong name", {"certificate_number": number, "holder_name": other_name}))
        match_number, match_name = picked[tries + i]
        requests.append(("match", {"certificate_number": match_number, "holder_name": match_name}))
    rng.shuffle(requests)
    return requests


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_round(
    client: httpx.Client, register: list[tuple[str, str]], tries: int, rng: random.Random
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    answers: dict[str, set[tuple[int, str]]] = {kind: set() for kind in KINDS}
    for kind, body in _bodies(register, tries, rng):
        start = time.perf_counter()
        response = client.post("/api/v1/verify", json=body)
        times[kind].append((time.perf_counter() - start) * 1000)
        document: dict[str, Any] = response.json()
        document.pop("checked_at", None)
        shape = str(document) if kind != "match" else str(document.get("status"))
        answers[kind].add((response.status_code, shape))
    not_found = answers["unknown number"] | answers["wrong name"]
    if len(not_found) != 1:
        sys.exit(f"the two not-found kinds answered differently: {not_found}")
    if answers["match"] != {(200, "valid")}:
        sys.exit(f"a match did not answer valid: {answers['match']}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base, server = start_demo_server(work, 1, LOOKUP_RATE_LIMIT="off")
        try:
            register = _register(work)
            with httpx.Client(base_url=base, timeout=30) as client:
                run_round(client, register, 20, rng)  # warm-up: caches, the stand-in, the JIT
                rounds = [run_round(client, register, args.tries, rng) for _ in range(args.rounds)]
        finally:
            stop(server)
    print(
        f"server: tessera serve --workers 1, SQLite, {len(register)} demo credentials; "
        f"{args.tries} tries of each kind per round, interleaved, one connection"
    )
    ratios: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for number, times in enumerate(rounds, 1):
        baseline = statistics.median(times[KINDS[0]])
        for kind in KINDS:
            median = statistics.median(times[kind])
            ratios[kind].append(median / baseline)
            print(
                f"round {number}  {kind:15} median {median:6.2f} ms   "
                f"p10 {_quantile(times[kind], 0.1):6.2f}   p90 {_quantile(times[kind], 0.9):6.2f}"
                f"   ratio {median / baseline:5.3f}"
            )
    for kind in KINDS[1:]:
        low, high = min(ratios[kind]), max(ratios[kind])
        print(f"{kind} / unknown number: {low:.3f}-{high:.3f} over {args.rounds} rounds")
    print("not-found answers: the same status and body for both kinds (checked)")


if __name__ == "__main__":
    main()
