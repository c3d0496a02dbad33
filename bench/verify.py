"""Benchmark: ``POST /api/v1/verify`` throughput against ``/healthz`` on the same server.

Run: .venv/bin/python bench/verify.py [--duration 15] [--rounds 3] [--connections 32]
[--workers 2]

Starts ``tessera serve --workers N`` on a loopback port over a fresh SQLite database with
the demo campaign, then drives it with wrk from a second process: ``/healthz`` (the
baseline: the same server, no work), then ``/api/v1/verify`` posting the campaign's 1,391
credentials in turn, for ``--rounds`` rounds, alternating. The server remembers credentials
it has verified (``TESSERA_VERIFY_MEMO_SIZE``), so after the first pass every request is a
repeat; the server is then restarted with the memo off and measured again, so every request
runs every check ("first sight"). Also measures raw ES256 signature verification
(``cryptography``) of the same tokens, the floor of any verifier. Reports requests/s, p50
and p99 of the median round, and each round's ratios with their median.

Besides requests per second it reports the server's CPU time per request (all its
processes, read from ``/proc`` before and after each wrk run): on a machine shared with
other work the wall-clock rates of two runs a few seconds apart can differ by 2x, while CPU
time per request moves less. Alternating rounds put such a change on both sides of a
ratio, and the median drops a round it spoiled. ``--workers 1 --duration 5`` is a short
run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from verifier.encoding import b64url_decode
from verifier.jwk import public_key_from_jwk

TESSERA = str(Path(sys.executable).parent / "tessera")

_LUA = """
local tokens = {}
for line in io.lines("%s") do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i %% #tokens + 1
  return wrk.format("POST", "/api/v1/verify", {["Content-Type"] = "application/vc+jwt"},
                    tokens[i])
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_demo_server(
    work: Path, workers: int, *, port: int | None = None, **settings: str
) -> tuple[str, subprocess.Popen[bytes]]:
    """``tessera init`` then ``tessera serve --workers N`` in ``work`` (SQLite, demo campaign,
    rate limit off, no other TESSERA_ settings inherited but ``settings``: name without the
    prefix, e.g. ``VERIFY_MEMO_SIZE="0"``); returns once /healthz answers."""
    port = port or _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(TESSERA_BASE_URL=base, TESSERA_RATE_LIMIT="off")
    env.update({f"TESSERA_{name}": value for name, value in settings.items()})
    (work / "metrics").mkdir(exist_ok=True)  # the workers' metrics files go with the directory
    env["PROMETHEUS_MULTIPROC_DIR"] = str(work / "metrics")
    subprocess.run([TESSERA, "init"], cwd=work, env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [TESSERA, "serve", "--port", str(port), "--workers", str(workers)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return base, server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.terminate()
            sys.exit("server did not start")
        time.sleep(0.2)


def demo_tokens(work: Path) -> list[str]:
    with sqlite3.connect(work / "var/tessera.db") as db:
        return [row[0] for row in db.execute("SELECT jws FROM credentials")]


def _found(match: re.Match[str] | None, text: str) -> re.Match[str]:
    if match is None:
        raise ValueError(f"unexpected wrk output: {text!r}")
    return match


def _unit(value: str) -> float:
    """wrk latency text (e.g. 1.23ms, 850.00us, 1.2s) in milliseconds."""
    number, unit = _found(re.fullmatch(r"([\d.]+)(us|ms|s)", value), value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` and every process under it (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = int(fields[11]) + int(fields[12])  # utime, stime
    tree, todo = set(), [pid]
    while todo:
        current = todo.pop()
        tree.add(current)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return sum(times.get(p, 0) for p in tree) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    url: str, *, duration: int, connections: int, script: Path | None, server_pid: int = 0
) -> dict[str, float]:
    """One wrk run; with ``server_pid``, also the server's CPU time per request (``cpu_us``)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    cpu_before = _cpu_seconds(server_pid) if server_pid else 0.0
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu = _cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    requests = float(_found(re.search(r"(\d+) requests in", out), out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(_found(re.search(r"Requests/sec:\s+([\d.]+)", out), out).group(1)),
        "p50": _unit(_found(re.search(r"\s50%\s+(\S+)", out), out).group(1)),
        "p99": _unit(_found(re.search(r"\s99%\s+(\S+)", out), out).group(1)),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": 1.0 if socket_errors else 0.0,
        "cpu_us": cpu / requests * 1e6 if requests else 0.0,
    }


def raw_verify_rate(tokens: list[str], jwks: dict[str, list[dict[str, str]]]) -> float:
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for jwk in jwks["keys"]:
        key = public_key_from_jwk(jwk)
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise TypeError(f"expected an ES256 key, got {jwk.get('kty')} {jwk['kid']}")
        keys[jwk["kid"]] = key
    prepared = []
    for token in tokens:
        header_b64, payload_b64, signature_b64 = token.split(".")
        kid = json.loads(b64url_decode(header_b64))["kid"]
        raw = b64url_decode(signature_b64)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        prepared.append((keys[kid], der, f"{header_b64}.{payload_b64}".encode()))
    algorithm = ec.ECDSA(hashes.SHA256())
    start = time.perf_counter()
    for key, der, message in prepared:
        key.verify(der, message, algorithm)
    return len(prepared) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian package 'wrk')")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base, server = start_demo_server(work, args.workers)
        port = int(base.rsplit(":", 1)[1])  # the same base URL, so the credentials stay trusted
        try:
            tokens = demo_tokens(work)
            (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
            script = work / "verify.lua"
            script.write_text(_LUA % (work / "tokens.txt"))
            check = httpx.post(
                f"{base}/api/v1/verify",
                content=tokens[0],
                headers={"Content-Type": "application/vc+jwt"},
            ).json()
            assert check["status"] == "valid", check
            jwks = httpx.get(f"{base}/.well-known/jwks.json").json()
            results = measure(base, script, args, server.pid)
        finally:
            stop(server)
        base, server = start_demo_server(work, args.workers, port=port, VERIFY_MEMO_SIZE="0")
        try:
            first_sight = measure(base, script, args, server.pid)
        finally:
            stop(server)
    raw = raw_verify_rate(tokens, jwks)
    print(
        f"server: tessera serve --workers {args.workers}; wrk -t2 -c{args.connections} "
        f"-d{args.duration}s on loopback; {len(tokens)} distinct demo credentials"
    )
    passes = (("memo on (repeats):", results), ("memo off (first sight):", first_sight))
    for label, measured in passes:
        print(f"{label}  median round of {len(measured.rounds)}")
        health, verify = measured.median_round()
        for name, r in (("/healthz", health), ("/api/v1/verify", verify)):
            print(
                f"{name:16} {r['rps']:9.0f} req/s   p50 {r['p50']:7.2f} ms"
                f"   p99 {r['p99']:7.2f} ms   non-2xx {r['non_2xx']:.0f}"
                f"   server CPU {r['cpu_us']:6.0f} us/req"
            )
    for figure, name in (("rps", "verify/healthz"), ("cpu_us", "CPU ratio")):
        for label, measured, note in (
            ("repeats, memo on", results, " (target >= 0.50)"),
            ("first sight, memo off", first_sight, ""),
        ):
            ratios = measured.ratios(figure)
            rounds = " ".join(f"{r:.2f}" for r in ratios)
            print(f"{name:16} {median(ratios):9.2f}   {label}{note}; rounds {rounds}")
    print(f"raw ES256 verify {raw:9.0f} /s on one core (the floor: one signature per credential)")


def measure(base: str, script: Path, args: argparse.Namespace, server_pid: int) -> Measured:
    """Warm-up, then ``args.rounds`` rounds of /healthz and /api/v1/verify, each for
    ``args.duration`` seconds: alternating, so a change in what else the machine runs falls
    on both sides of a round's ratio."""
    common: dict[str, int] = {"connections": args.connections, "server_pid": server_pid}
    run_wrk(f"{base}/healthz", duration=3, script=None, **common)
    run_wrk(f"{base}/api/v1/verify", duration=3, script=script, **common)
    rounds = []
    for _ in range(args.rounds):
        health = run_wrk(f"{base}/healthz", duration=args.duration, script=None, **common)
        verify = run_wrk(f"{base}/api/v1/verify", duration=args.duration, script=script, **common)
        rounds.append((health, verify))
    return Measured(rounds)


@dataclass
class Measured:
    """Rounds of (healthz, verify) wrk results, and their median figures."""

    rounds: list[tuple[dict[str, float], dict[str, float]]]

    def ratios(self, figure: str) -> list[float]:
        """verify/healthz of each round: ``rps``, or ``cpu_us`` (healthz/verify)."""
        if figure == "rps":
            return [v["rps"] / h["rps"] for h, v in self.rounds]
        return [h["cpu_us"] / v["cpu_us"] for h, v in self.rounds]

    def median_round(self) -> tuple[dict[str, float], dict[str, float]]:
        """The round whose CPU ratio is the median."""
        ordered = sorted(self.rounds, key=lambda r: r[0]["cpu_us"] / r[1]["cpu_us"])
        return ordered[len(ordered) // 2]


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


if __name__ == "__main__":
    main()
