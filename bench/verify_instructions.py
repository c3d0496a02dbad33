"""First sight counted in instructions: the same figure on a busy machine as on an idle one.

Run: .venv/bin/python bench/verify_instructions.py [--requests 200] [--credentials 200]

Wall-clock and even CPU-time ratios move with whatever else the machine runs (decision
0063). This starts ``tessera serve --workers 1`` (SQLite, the demo campaign, memo off) under
valgrind's callgrind with instrumentation off, warms it up, then counts the instructions
the server executes for ``--requests`` requests to ``/healthz`` and then to
``POST /api/v1/verify`` (``--credentials`` distinct demo credentials in turn), sent one
after the other on one keep-alive connection. uvicorn, the middleware, the app and the
checks are all counted; the client runs outside valgrind. It reports instructions per
request, their ratio, and the share of the ECDSA check (OpenSSL's ``ECDSA_verify``).

Instructions are not time: OpenSSL's hand-written ECDSA runs more instructions per cycle
than the Python interpreter, so this ratio runs a little below the CPU-time ratio of
``bench/verify.py`` (0.348 against 0.36 on the code before decision 0063's second round).
Use it to compare two versions of the code on any machine; ``bench/verify.py`` on an idle
machine for the figure itself. Needs valgrind (Debian package ``valgrind``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from verify import TESSERA, _free_port, demo_tokens


def _instructions(dump: Path) -> int:
    match = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(errors="replace"), re.M)
    if match is None:
        raise ValueError(f"no totals in {dump}")
    return int(match.group(1))


def _ecdsa(dump: Path) -> int:
    """Inclusive instructions of OpenSSL's ECDSA_verify in one dump."""
    listing = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in listing.splitlines():
        if line.rstrip().endswith("]") and ":ECDSA_verify " in line:
            return int(line.split()[0].replace(",", ""))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--credentials", type=int, default=200)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian package 'valgrind')")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
        env.update(TESSERA_BASE_URL=base, TESSERA_RATE_LIMIT="off", TESSERA_VERIFY_MEMO_SIZE="0")
        (work / "metrics").mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(work / "metrics")
        subprocess.run([TESSERA, "init"], cwd=work, env=env, check=True, capture_output=True)
        tokens = demo_tokens(work)[: args.credentials]
        server = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={work}/callgrind.out",
                TESSERA,
                "serve",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            counts = _count(server.pid, base, tokens, args.requests, work)
        finally:
            server.terminate()
            server.wait(120)
    health, verify, ecdsa = counts
    print(f"server: tessera serve --workers 1 under callgrind; {args.requests} requests each")
    print(f"/healthz          {health / 1000:8.0f} k instructions a request")
    print(f"/api/v1/verify    {verify / 1000:8.0f} k instructions a request (memo off)")
    print(f"  of which ECDSA  {ecdsa / 1000:8.0f} k")
    print(f"ratio             {health / verify:8.3f}   healthz / first-sight verify")
    ceiling = health / (health + ecdsa)
    print(f"ceiling           {ceiling:8.3f}   if all but the signature cost nothing")


def _count(pid: int, base: str, tokens: list[str], requests: int, work: Path) -> tuple[int, ...]:
    def control(*options: str) -> None:
        subprocess.run(["callgrind_control", *options, str(pid)], capture_output=True, check=True)

    client = httpx.Client(timeout=300)
    deadline = time.monotonic() + 900
    while True:
        try:
            if client.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            sys.exit("server did not start")
        time.sleep(1)
    headers = {"Content-Type": "application/vc+jwt"}
    for i in range(len(tokens) + 100):  # warm-up: every certificate number known
        client.post(f"{base}/api/v1/verify", content=tokens[i % len(tokens)], headers=headers)
        client.get(f"{base}/healthz")
    control("--zero")
    control("--instr=on")
    for _ in range(requests):
        client.get(f"{base}/healthz")
    control("--dump=healthz")
    control("--zero")
    for i in range(requests):
        answer = client.post(
            f"{base}/api/v1/verify", content=tokens[i % len(tokens)], headers=headers
        )
        if answer.json().get("status") != "valid":
            sys.exit(f"unexpected answer: {answer.text[:200]}")
    control("--dump=verify")
    control("--instr=off")
    dumps = {}
    for dump in work.glob("callgrind.out*"):
        trigger = re.search(
            r"^desc: Trigger: .*?(healthz|verify)", dump.read_text(errors="replace"), re.M
        )
        if trigger:
            dumps[trigger.group(1)] = dump
    return (
        _instructions(dumps["healthz"]) // requests,
        _instructions(dumps["verify"]) // requests,
        _ecdsa(dumps["verify"]) // requests,
    )


if __name__ == "__main__":
    main()
