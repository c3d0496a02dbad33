"""Real ``tessera serve`` processes for the replica, fault, shutdown and log tests.

Each server is its own process on a loopback port, configured only through ``TESSERA_*``
variables as an operator would; its stdout and stderr go to a file the test can read.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi.testclient import TestClient

from issuer.access.tokens import create_token
from issuer.app import create_app
from issuer.campaigns.demo import catalog_data, load_catalog_data
from issuer.config import Settings
from issuer.keys.keystore import create_signing_key
from issuer.services import Services
from issuer.store import migration
from issuer.store.engine import session_scope
from issuer.store.identity import change_base_url, store_base_url
from tests.helpers import BASE_URL, PASSPHRASE, new_principal

TESSERA = str(Path(sys.executable).parent / "tessera")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(database_url: str, work: Path, **extra: str) -> dict[str, str]:
    """The environment of a server (or CLI run) on ``database_url`` with keys in ``work``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TESSERA_", "PROMETHEUS_"))}
    env.update(
        TESSERA_DATABASE_URL=database_url,
        TESSERA_KEYS_DIR=str(work / "keys"),
        TESSERA_KEY_PASSPHRASE=PASSPHRASE,
        TESSERA_BASE_URL=BASE_URL,
        TESSERA_RATE_LIMIT="off",
        TESSERA_ADMIN_TOKEN_FILE=str(work / "admin-token"),
        TESSERA_BUNDLE_DIR=str(work / "bundles"),
    )
    env.update(extra)
    return env


def prepare_database(database_url: str, work: Path) -> str:
    """Migrate, store the issuer's identity (``BASE_URL``), create a signing key in
    ``work/keys``, load the catalog; an admin token."""
    settings = Settings(
        database_url=database_url,
        keys_dir=work / "keys",
        key_passphrase=PASSPHRASE,
        base_url=BASE_URL,
    )
    services = Services.from_settings(settings, require_schema=False)
    migration.upgrade(services.engine)
    with session_scope(services.sessions) as session:
        store_base_url(session, BASE_URL, now=services.clock())
        create_signing_key(
            session, settings.keys_dir, PASSPHRASE.encode(), "ES256", now=services.clock()
        )
        load_catalog_data(session, catalog_data())
        owner = new_principal(session, services.clock())
        _record, token = create_token(
            session, principal=owner, name="ops test", role="admin", units=[], now=services.clock()
        )
    services.engine.dispose()
    return token


@dataclass
class Server:
    """One running ``tessera serve``."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(env: dict[str, str], work: Path, *, workers: int = 1, name: str = "a") -> Server:
    port = free_port()
    log = work / f"server-{name}.log"
    if workers > 1:  # the workers' metrics files, inside the test's directory
        metrics = work / f"metrics-{name}"
        metrics.mkdir()
        env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [TESSERA, "serve", "--port", str(port), "--workers", str(workers)],
            cwd=work,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {server.output()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise AssertionError(f"server did not start: {server.output()[-2000:]}")


def stop_server(server: Server, *, timeout: float = 30) -> bool:
    """SIGTERM, then wait (kill if it does not stop); True if it shut down cleanly.

    uvicorn finishes in-flight requests, runs the shutdown, then re-raises the signal, so a
    clean stop exits with status 0 or -SIGTERM and logs "Finished server process".
    """
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    try:
        status = server.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
        raise AssertionError("server did not stop after SIGTERM") from None
    return status in (0, -signal.SIGTERM) and "Finished server process" in server.output()


@contextlib.contextmanager
def serving(app: Any, *, port: int | None = None, **config: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a thread on a loopback port (``port``, else a free one)
    for as long as the block runs: its base URL. ``config`` goes to ``uvicorn.Config``."""
    port = port if port is not None else free_port()
    options: dict[str, Any] = {"log_level": "error", **config}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def in_process_server(settings: Settings) -> Iterator[tuple[str, TestClient]]:
    """The app in this process on a loopback port (uvicorn on a thread), its base URL being
    that address: (base URL, a test client of the same app). The stored identity becomes
    that address meanwhile, as ``tessera identity set-base-url`` would make it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    live_settings = settings.model_copy(update={"base_url": base})
    identity = Services.from_settings(settings, require_identity=False)
    with session_scope(identity.sessions) as session:
        old = change_base_url(session, base, now=identity.clock())
    live_services = Services.from_settings(live_settings)
    app = create_app(live_settings, services=live_services)
    try:
        with serving(app, port=port), TestClient(app) as client:
            yield base, client
    finally:
        live_services.engine.dispose()
        with session_scope(identity.sessions) as session:
            change_base_url(session, old, now=identity.clock())
        identity.engine.dispose()


def verify_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``tessera verify`` with ``args``, without the caller's ``TESSERA_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    return subprocess.run(
        [TESSERA, "verify", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**env, "TESSERA_KEY_PASSPHRASE": PASSPHRASE},
        timeout=60,
        check=False,
    )


def start_worker(
    database_url: str, work: Path, name: str, *options: str, **extra: str
) -> subprocess.Popen[bytes]:
    """``tessera worker *options`` on ``database_url``, its output in ``work/worker-NAME.log``
    (``extra``: more environment, as for ``server_env``)."""
    log = (work / f"worker-{name}.log").open("wb")
    with log:
        return subprocess.Popen(
            [TESSERA, "worker", *options],
            cwd=work,
            env=server_env(database_url, work, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a worker finishes its job), then SIGKILL if it takes more than 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
