"""Settings are validated at start-up, each problem reported in one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from issuer.config import load_settings
from issuer.errors import ConfigurationError

TESSERA = str(Path(sys.executable).parent / "tessera")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"database_url": "nosuchdb://x"}, "database_url"),
        ({"database_url": "mysql://u@h/db"}, "sqlite or postgresql"),
        ({"base_url": "ftp://x"}, "TESSERA_BASE_URL"),
        ({"rate_limit": "lots"}, "TESSERA_RATE_LIMIT"),
        ({"environment": "production"}, "must be set in production"),
        ({"environment": "production", "key_passphrase": "changeme"}, "placeholder"),
        (
            {"environment": "production", "key_passphrase_file": "var/dev-passphrase"},
            "development passphrase",
        ),
    ],
)
def test_bad_settings_are_refused(overrides: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment) as caught:
        load_settings(**overrides)
    assert "\n" not in str(caught.value)


def test_good_production_settings_are_accepted() -> None:
    settings = load_settings(
        environment="production",
        key_passphrase="a-real-long-secret-value",
        base_url="https://certs.example.org/",
    )
    assert settings.base_url == "https://certs.example.org"
    assert settings.read_passphrase() == b"a-real-long-secret-value"
    assert "a-real-long-secret-value" not in repr(settings)


def test_passphrase_file_must_be_private(tmp_path: Path) -> None:
    path = tmp_path / "pass"
    path.write_text("secret-value")
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="0600"):
        load_settings(key_passphrase_file=str(path)).read_passphrase()
    path.chmod(0o600)
    assert load_settings(key_passphrase_file=str(path)).read_passphrase() == b"secret-value"


def _tessera(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    return subprocess.run(
        [TESSERA, *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"TESSERA_DATABASE_URL": "sqlite:////proc/no/x.db"}, "cannot be created"),
        ({}, "not migrated"),
        ({"TESSERA_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "unusable"),
        (
            {"TESSERA_ENVIRONMENT": "production", "TESSERA_KEY_PASSPHRASE": "changeme"},
            "placeholder",
        ),
        ({"TESSERA_KEY_PASSPHRASE_FILE": "/nonexistent/pass", "MIGRATE": "1"}, "cannot be read"),
    ],
)
def test_cli_reports_startup_problems_in_one_line(
    tmp_path: Path, env: dict[str, str], fragment: str
) -> None:
    if env.pop("MIGRATE", None):
        assert _tessera(["db", "upgrade"], tmp_path, **env).returncode == 0
    result = _tessera(["keys", "generate"], tmp_path, **env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]


def test_init_then_serve_checks_and_a_cli_token_works(tmp_path: Path) -> None:
    init = _tessera(["init"], tmp_path)
    assert init.returncode == 0, init.stderr
    assert "var/dev-passphrase" in init.stdout
    assert "1391" in init.stdout
    passphrase = tmp_path / "var/dev-passphrase"
    assert (passphrase.stat().st_mode & 0o777) == 0o600
    assert ((tmp_path / "var/admin-token").stat().st_mode & 0o777) == 0o600
    console_password = tmp_path / "var/console-admin-password"
    assert (console_password.stat().st_mode & 0o777) == 0o600
    assert "admin@example.com" in init.stdout
    assert console_password.read_text().strip() not in init.stdout
    assert len(list((tmp_path / "keys").glob("*.pem"))) == 1
    again = _tessera(["init"], tmp_path)
    assert again.returncode == 0
    assert "already holds 1391" in again.stdout
    created = _tessera(["tokens", "create", "--role", "registrar", "--unit", "U01"], tmp_path)
    assert created.returncode == 0
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("tsr_")
    listed = _tessera(["tokens", "list"], tmp_path)
    assert token not in listed.stdout
    assert "registrar" in listed.stdout

    from fastapi.testclient import TestClient

    from issuer.app import create_app

    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'var/tessera.db'}",
        keys_dir=str(tmp_path / "keys"),
        key_passphrase_file=str(passphrase),
    )
    with TestClient(create_app(settings)) as client:
        page = client.get(
            "/api/v1/credentials?limit=1", headers={"Authorization": f"Bearer {token}"}
        )
        assert page.status_code == 200
        admin = (tmp_path / "var/admin-token").read_text().strip()
        total = client.get(
            "/api/v1/credentials?limit=1", headers={"Authorization": f"Bearer {admin}"}
        ).json()["total"]
        assert total == 1391
        form = client.get("/console/login")
        csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed_in = client.post(
            "/console/login",
            data={
                "csrf_token": csrf,
                "email": "admin@example.com",
                "password": console_password.read_text().strip(),
            },
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        assert "1391" in client.get("/console/").text.replace(",", "")


def test_keys_rotate_and_list(tmp_path: Path) -> None:
    env = {"TESSERA_KEY_PASSPHRASE": "a-test-passphrase-value"}
    assert _tessera(["db", "upgrade"], tmp_path, **env).returncode == 0
    assert _tessera(["keys", "generate"], tmp_path, **env).returncode == 0
    second = _tessera(["keys", "generate"], tmp_path, **env)
    assert second.returncode == 1
    assert "rotate" in second.stderr
    assert _tessera(["keys", "rotate"], tmp_path, **env).returncode == 0
    listed = _tessera(["keys", "list"], tmp_path, **env).stdout.splitlines()
    assert [line.split()[2] for line in listed] == ["retired", "active"]
    for path in (tmp_path / "keys").glob("*.pem"):
        assert (path.stat().st_mode & 0o777) == 0o600
