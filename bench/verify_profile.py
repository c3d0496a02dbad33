"""Where a first-sight verification's time goes: the app called in-process, no HTTP.

Run: .venv/bin/python bench/verify_profile.py [--credentials 200] [--requests 3000] [--profile]

``tessera init`` in a temporary directory (SQLite, the demo campaign), then the app built
as ``tessera serve`` builds it, with the verification memo off (``TESSERA_VERIFY_MEMO_SIZE=0``).
Each request is sent straight to the ASGI app (``GET /healthz``, then ``POST /api/v1/verify``
with ``--credentials`` distinct demo credentials in turn), so the figures are the app's own
CPU time per request (``time.process_time``): no client, no socket, no HTTP parser. Then the
steps of one verification are timed on their own. ``--profile`` adds cProfile's 40 most
expensive functions (own time) over the verify requests.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

TESSERA = str(Path(sys.executable).parent / "tessera")
BASE = "http://127.0.0.1:8999"


def _per_call(function: Callable[[int], object], count: int) -> float:
    """CPU µs per call of ``function(i)`` for i in range(count), after a short warm-up."""
    for i in range(min(count, 200)):
        function(i)
    start = time.process_time()
    for i in range(count):
        function(i)
    return (time.process_time() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--credentials", type=int, default=200)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
        env.update(TESSERA_BASE_URL=BASE, TESSERA_RATE_LIMIT="off", TESSERA_VERIFY_MEMO_SIZE="0")
        subprocess.run([TESSERA, "init"], cwd=work, env=env, check=True, capture_output=True)
        for name in [n for n in os.environ if n.startswith("TESSERA_")]:
            del os.environ[name]
        os.environ.update({k: v for k, v in env.items() if k.startswith("TESSERA_")})
        os.chdir(work)
        with sqlite3.connect(work / "var/tessera.db") as db:
            tokens = [row[0] for row in db.execute("SELECT jws FROM credentials")]
        tokens = tokens[: args.credentials]
        asyncio.run(_measure(tokens, args))
        os.chdir("/")


async def _measure(tokens: list[str], args: argparse.Namespace) -> None:
    from issuer.app import app_from_environment

    app = app_from_environment()
    bodies = [token.encode() for token in tokens]

    async def call(method: str, path: str, body: bytes) -> list[MutableMapping[str, Any]]:
        sent: list[MutableMapping[str, Any]] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError  # pragma: no cover

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        headers = [(b"host", b"127.0.0.1:8999")]
        if body:
            headers += [
                (b"content-type", b"application/vc+jwt"),
                (b"content-length", str(len(body)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8999),
        }
        await app(scope, receive, send)
        return sent

    async def requests(method: str, path: str, count: int) -> float:
        start = time.process_time()
        for i in range(count):
            await call(method, path, bodies[i % len(bodies)] if method == "POST" else b"")
        return (time.process_time() - start) / count * 1e6

    async with app.router.lifespan_context(app):
        answer = await call("POST", "/api/v1/verify", bodies[0])
        assert answer[0]["status"] == 200, answer
        assert b'"status":"valid"' in answer[1]["body"], answer
        await requests("POST", "/api/v1/verify", len(bodies))  # warm-up: every number known
        await requests("GET", "/healthz", 500)
        health = await requests("GET", "/healthz", args.requests)
        verify = await requests("POST", "/api/v1/verify", args.requests)
        print(f"in-process, memo off, {len(bodies)} distinct demo credentials, CPU per request")
        print(f"GET /healthz          {health:8.1f} us")
        print(f"POST /api/v1/verify   {verify:8.1f} us   (healthz/verify {health / verify:.2f})")
        _steps(app, tokens, args.requests)
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for i in range(args.requests):
                await call("POST", "/api/v1/verify", bodies[i % len(bodies)])
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(40)


def _steps(app: Any, tokens: list[str], count: int) -> None:
    from issuer.web.local_verifier import stays_in_process
    from verifier.credential import check_credential
    from verifier.display import extract_display
    from verifier.header import check_header
    from verifier.jws import decode_unverified_jws, verify_jws_signature
    from verifier.urls import published_key_id

    verifier = app.state.verifier
    parsed = [decode_unverified_jws(token) for token in tokens]
    header = check_header(parsed[0].header, parsed[0].payload)
    kid = published_key_id(BASE, header.kid)
    key = verifier.key_resolver.resolve_key(BASE, kid)
    facts = check_credential(parsed[0].payload)
    result = verifier.verify(tokens[0])
    n = len(tokens)
    steps: list[tuple[str, Callable[[int], object]]] = [
        ("verify_submission (all checks)", lambda i: verifier.verify_submission(tokens[i % n])),
        ("  routing: stays_in_process", lambda i: stays_in_process(BASE, tokens[i % n])),
        ("  parse: decode_unverified_jws", lambda i: decode_unverified_jws(tokens[i % n])),
        ("  header", lambda i: check_header(parsed[i % n].header, parsed[i % n].payload)),
        ("  key: resolve_key", lambda _i: verifier.key_resolver.resolve_key(BASE, kid)),
        ("  signature", lambda i: verify_jws_signature(parsed[i % n], key.public_key, "ES256")),
        ("  credential: shape checks", lambda i: check_credential(parsed[i % n].payload)),
        ("  display fields", lambda i: extract_display(parsed[i % n].payload, key_id=kid)),
        (
            "  status: two list reads",
            lambda _i: verifier._status.check(  # the step alone
                facts.status_entries, issuer_id=BASE, now=verifier.clock(), skew=verifier.clock_skew
            ),
        ),
        ("certificate number (known)", lambda _i: app.state.certificate_numbers(result)),
        ("result as JSON", lambda _i: result.model_dump_json()),
    ]
    for name, step in steps:
        print(f"{name:34} {_per_call(step, count):8.1f} us")


if __name__ == "__main__":
    main()
