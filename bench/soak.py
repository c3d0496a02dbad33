"""Soak run: wrk on loopback, 64 connections, minutes of mixed traffic; errors, p99, memory.

Run: .venv/bin/python bench/soak.py [--minutes 3] [--connections 64] [--workers 2]
     [--max-growth-mib 64]

Starts ``tessera serve --workers N`` over a fresh SQLite database with the demo campaign
(``tessera init``), warms it up for 15 s, records the resident memory (RSS) of every server
process (the supervisor and each worker), then drives a mix for ``--minutes`` (bounded to
1..30): per 10 requests, 5 ``POST /api/v1/verify`` of the campaign's credentials in turn,
2 ``GET /.well-known/jwks.json``, 2 ``GET /status/1`` and 1 ``GET /achievements/...``.
Fails (exit 1) on any non-2xx answer or socket error, or when a process grew by more than
``--max-growth-mib`` (default 64 MiB) between the start and the end of the run.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify import demo_tokens, run_wrk, start_demo_server

_LUA = """
local tokens = {}
for line in io.lines("%s") do tokens[#tokens + 1] = line end
local i, n = 0, 0
local fixed = {"/.well-known/jwks.json", "/status/1", "/.well-known/jwks.json", "/status/1",
               "%s"}
request = function()
  n = n %% 10 + 1
  if n <= 5 then
    i = i %% #tokens + 1
    return wrk.format("POST", "/api/v1/verify", {["Content-Type"] = "application/vc+jwt"},
                      tokens[i])
  end
  return wrk.format("GET", fixed[n - 5])
end
"""


def server_processes(pid: int) -> list[int]:
    """The server's process and its workers (children)."""
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    return [pid, *(int(child) for child in children)]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _role(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "exited"
    return "resource tracker" if b"resource_tracker" in command else "worker"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-growth-mib", type=float, default=64.0)
    args = parser.parse_args()
    seconds = int(min(max(args.minutes, 1.0), 30.0) * 60)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base, server = start_demo_server(work, args.workers)
        try:
            tokens = demo_tokens(work)
            with sqlite3.connect(work / "var/tessera.db") as db:
                code = db.execute("SELECT code FROM occupations LIMIT 1").fetchone()[0]
            achievement = f"/achievements/{code}-junior"
            assert httpx.get(base + achievement).status_code == 200, achievement
            (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
            script = work / "soak.lua"
            script.write_text(_LUA % (work / "tokens.txt", achievement))
            run_wrk(base, duration=15, connections=args.connections, script=script)  # warm-up
            pids = server_processes(server.pid)
            roles = {pid: "supervisor" if pid == server.pid else _role(pid) for pid in pids}
            before = {pid: rss_mib(pid) for pid in pids}
            result = run_wrk(base, duration=seconds, connections=args.connections, script=script)
            after = {pid: rss_mib(pid) for pid in pids}
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(
        f"soak: tessera serve --workers {args.workers}; wrk -t2 -c{args.connections} "
        f"-d{seconds}s on loopback; mix 50% verify, 20% JWKS, 20% status list, 10% achievement"
    )
    print(
        f"requests/s {result['rps']:.0f}   p50 {result['p50']:.2f} ms   "
        f"p99 {result['p99']:.2f} ms   non-2xx {result['non_2xx']:.0f}   "
        f"socket errors {'yes' if result['socket_errors'] else 'none'}"
    )
    grown = False
    for pid in pids:
        growth = after[pid] - before[pid]
        rss = f"RSS {before[pid]:.1f} MiB -> {after[pid]:.1f} MiB ({growth:+.1f})"
        print(f"pid {pid} ({roles[pid]}): {rss}")
        grown = grown or growth > args.max_growth_mib
    if result["non_2xx"] or result["socket_errors"] or grown:
        sys.exit(f"soak failed (errors, or growth over {args.max_growth_mib:.0f} MiB)")
    print(f"ok: zero errors, every process within +{args.max_growth_mib:.0f} MiB")


if __name__ == "__main__":
    main()
