"""Backup, wipe, restore (``tessera backup``/``restore``): every verdict is as before."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.store.engine import create_db_engine
from tests.helpers import BASE_URL, PASSPHRASE, fresh_database_url
from tests.issuer.helpers import issue_body
from tests.servers import TESSERA, prepare_database, server_env


@contextlib.contextmanager
def _client(url: str, work: Path) -> Iterator[TestClient]:
    """The app on ``url`` with the keys under ``work``; the engine is disposed afterwards."""
    settings = Settings(
        database_url=url,
        keys_dir=work / "keys",
        key_passphrase=PASSPHRASE,
        base_url=BASE_URL,
        rate_limit="off",
    )
    services = Services.from_settings(settings)
    try:
        with TestClient(create_app(settings, services=services)) as client:
            yield client
    finally:
        services.engine.dispose()


def _verdicts(url: str, work: Path, tokens: list[str]) -> dict[str, str]:
    with _client(url, work) as client:
        return {
            token: client.post("/api/v1/verify", json={"credential": token}).json()["status"]
            for token in tokens
        }


def _issue_and_change(url: str, work: Path, admin: str) -> list[str]:
    auth = {"Authorization": f"Bearer {admin}"}
    tokens = []
    with _client(url, work) as client:
        for n in range(6):
            body = issue_body(holder={"name": f"Backup {n}", "employee_number": f"B-{n}"})
            issued = client.post("/api/v1/credentials", json=body, headers=auth).json()
            tokens.append(issued["credential"])
            action = {0: "revoke", 1: "revoke", 2: "suspend"}.get(n)
            if action:
                changed = client.post(
                    f"/api/v1/credentials/{issued['id']}/{action}",
                    json={"reason": "exam_misconduct"},
                    headers=auth,
                )
                assert changed.status_code == 200
    return tokens


def _cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TESSERA, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _wipe(url: str, work: Path) -> None:
    shutil.rmtree(work / "keys")
    engine = create_db_engine(url)
    if engine.url.get_backend_name() == "sqlite":
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{engine.url.database}{suffix}").unlink(missing_ok=True)
        return
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_backup_wipe_restore_keeps_every_verdict(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if kind == "postgresql":
        request.getfixturevalue("postgres_server")
    for url in fresh_database_url(kind, tmp_path):
        admin = prepare_database(url, tmp_path)
        tokens = _issue_and_change(url, tmp_path, admin)
        before = _verdicts(url, tmp_path, tokens)
        assert sorted(before.values()) == ["revoked", "revoked", "suspended", *["valid"] * 3]
        env = server_env(url, tmp_path)
        archive = tmp_path / "backup.tar"
        made = _cli(env, tmp_path, "backup", str(archive))
        assert made.returncode == 0, made.stderr
        with tarfile.open(archive) as tar:
            names = tar.getnames()
        assert "database" in names
        assert any(n.startswith("keys/") for n in names)
        assert all(PASSPHRASE.encode() not in tar_bytes for tar_bytes in [archive.read_bytes()])

        _wipe(url, tmp_path)
        restored = _cli(env, tmp_path, "restore", str(archive))
        assert restored.returncode == 0, restored.stderr
        assert _verdicts(url, tmp_path, tokens) == before

        again = _cli(env, tmp_path, "restore", str(archive))
        assert again.returncode == 1
        assert len(again.stderr.strip().splitlines()) == 1
        assert "--force" in again.stderr
        forced = _cli(env, tmp_path, "restore", "--force", str(archive))
        assert forced.returncode == 0, forced.stderr
        assert _verdicts(url, tmp_path, tokens) == before
