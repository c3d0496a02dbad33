"""One issuer identity: the public base URL is stored once and every signing process uses it.

A differing ``TESSERA_BASE_URL`` makes a process refuse to sign (one line, exit 1); unset, the
stored identity is used; ``tessera identity set-base-url`` is the deliberate way to change it;
``tessera init`` and ``tessera db upgrade`` store it once and never overwrite it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from issuer.app import create_app
from issuer.cli.main import app as tessera
from issuer.config import Settings
from issuer.errors import ConfigurationError, InvalidInputError
from issuer.services import Services
from issuer.store.audit import verify_chain
from issuer.store.engine import session_scope
from issuer.store.identity import stored_base_url
from issuer.store.models import AuditEvent, Credential, StoredIdentity
from tests.helpers import BASE_URL, PASSPHRASE
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import issue
from tests.servers import TESSERA, free_port

OTHER = "https://other.example"
REFUSAL = (
    f"error: TESSERA_BASE_URL ({OTHER}) differs from this issuer's identity ({BASE_URL}); "
    f"to change the identity deliberately run: tessera identity set-base-url {OTHER}"
)


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(
        TESSERA_DATABASE_URL=settings.database_url,
        TESSERA_KEYS_DIR=str(settings.keys_dir),
        TESSERA_KEY_PASSPHRASE=PASSPHRASE,
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TESSERA, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False
    )


def _count(services: Services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(Credential)) or 0


ISSUE = ["issue", "--name", "张伟", "--employee-number", "E-9", "--occupation", "6-17-05-01",
         "--level", "senior", "--unit", "U01", "--exam-date", "2026-10-14",
         "--exam-session", "2026-Q4-D3-R05"]  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        ISSUE,
        ["revoke", "{id}", "--reason", "exam_misconduct"],
        ["keys", "rotate"],
        ["demo", "load"],
    ],
    ids=["issue", "revoke", "keys-rotate", "demo-load"],
)
def test_a_signing_command_refuses_a_differing_base_url_in_one_line(
    command: list[str],
    settings: Settings,
    services: Services,
    client: TestClient,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    load_catalog(services)
    issued = issue(client, admin_headers)
    args = [arg.replace("{id}", issued["id"]) for arg in command]
    result = _run(args, _env(settings, TESSERA_BASE_URL=OTHER), tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [REFUSAL]
    assert _count(services) == 1
    with services.sessions() as session:
        assert session.get(Credential, issued["id"]).state == "active"  # type: ignore[union-attr]
        assert stored_base_url(session) == BASE_URL


@pytest.mark.usefixtures("services")
def test_a_read_only_command_runs_with_a_differing_base_url(
    settings: Settings, tmp_path: Path
) -> None:
    result = _run(["keys", "list"], _env(settings, TESSERA_BASE_URL=OTHER), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "active" in result.stdout


@pytest.mark.usefixtures("services")
def test_the_app_refuses_to_start_with_a_differing_base_url(settings: Settings) -> None:
    other = settings.model_copy(update={"base_url": OTHER})
    with pytest.raises(ConfigurationError) as refused:
        create_app(other)
    assert f"error: {refused.value}" == REFUSAL
    with pytest.raises(ConfigurationError, match="differs from this issuer's identity"):
        Services.from_settings(other)


def test_the_app_and_the_cli_refuse_a_database_without_an_identity(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    with session_scope(services.sessions) as session:
        session.execute(delete(StoredIdentity))
    unset = settings.model_copy(update={"base_url": None})
    with pytest.raises(ConfigurationError, match="run `tessera init`"):
        create_app(unset)
    result = _run(ISSUE, _env(settings), tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert "run `tessera init`" in line


def test_unset_base_url_signs_with_the_stored_identity(
    settings: Settings, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    load_catalog(services)
    unset = settings.model_copy(update={"base_url": None})
    app_services = Services.from_settings(unset)
    try:
        assert app_services.base_url == BASE_URL
        assert app_services.urls.verify_page("x") == f"{BASE_URL}/v/x"
        with TestClient(create_app(unset, services=app_services)) as client:
            issued = issue(client, admin_headers)
    finally:
        app_services.engine.dispose()
    payload = _payload(issued["credential"])
    assert payload["iss"] == payload["issuer"]["id"] == BASE_URL
    assert issued["qr_text"].startswith(f"{BASE_URL}/c#")
    # The CLI, with no TESSERA_BASE_URL, signs as the same issuer.
    result = _run([*ISSUE[:4], "E-10", *ISSUE[5:], "--json"], _env(settings), tmp_path)
    assert result.returncode == 0, result.stderr
    payload = _payload(json.loads(result.stdout)["credential"])
    assert payload["iss"] == payload["issuer"]["id"] == BASE_URL
    # A trailing slash is not a different identity.
    slash = Services.from_settings(settings.model_copy(update={"base_url": f"{BASE_URL}/"}))
    slash.engine.dispose()


def test_set_base_url_changes_the_identity_and_records_an_audit_event(
    settings: Settings, services: Services
) -> None:
    load_catalog(services)
    env: dict[str, str | None] = {
        "TESSERA_DATABASE_URL": settings.database_url,
        "TESSERA_KEYS_DIR": str(settings.keys_dir),
        "TESSERA_KEY_PASSPHRASE": PASSPHRASE,
        "TESSERA_BASE_URL": None,
    }
    runner = CliRunner()
    result = runner.invoke(tessera, ["identity", "set-base-url", f"{OTHER}/"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{BASE_URL} -> {OTHER}" in result.output
    assert "TESSERA_TRUSTED_ISSUERS" in result.output
    with services.sessions() as session:
        assert stored_base_url(session) == OTHER
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.action == "issuer.base_url_change"
        assert event.details == {"old": BASE_URL, "new": OTHER}
        assert verify_chain(session).ok
    shown = runner.invoke(tessera, ["identity", "show"], env=env)
    assert shown.exit_code == 0
    assert shown.output.strip() == OTHER
    # The new identity signs; a process started under the old one refuses until restarted.
    changed = Services.from_settings(settings.model_copy(update={"base_url": None}))
    try:
        with session_scope(changed.sessions) as session:
            assert changed.issuer(session).base_url == OTHER
    finally:
        changed.engine.dispose()
    with session_scope(services.sessions) as session, pytest.raises(ConfigurationError):
        services.issuer(session)
    # The old TESSERA_BASE_URL is now the one that differs.
    with pytest.raises(ConfigurationError, match=f"set-base-url {BASE_URL}"):
        Services.from_settings(settings)


@pytest.mark.parametrize("url", ["ftp://x.example", "https://x.example/?a=1", "certs.example"])
def test_set_base_url_refuses_what_is_not_a_base_url(
    url: str, settings: Settings, services: Services
) -> None:
    env = {"TESSERA_DATABASE_URL": settings.database_url, "TESSERA_BASE_URL": None}
    result = CliRunner().invoke(tessera, ["identity", "set-base-url", url], env=env)
    assert isinstance(result.exception, InvalidInputError)
    with services.sessions() as session:
        assert stored_base_url(session) == BASE_URL


def test_db_upgrade_and_init_store_the_identity_once_and_never_overwrite_it(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        TESSERA_KEY_PASSPHRASE=PASSPHRASE,
        TESSERA_RATE_LIMIT="off",
    )
    base = f"http://127.0.0.1:{port}"
    first = _run(["db", "upgrade"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == (
        f"issuer identity (public base URL): {base}, stored now from the serving address "
        "(HOST, PORT)"
    )
    moved = {**env, "PORT": str(port + 1)}
    again = _run(["db", "upgrade"], moved, tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == f"issuer identity (public base URL): {base}"
    refused = _run(["db", "upgrade"], {**env, "TESSERA_BASE_URL": OTHER}, tmp_path)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        f"error: TESSERA_BASE_URL ({OTHER}) differs from this issuer's identity ({base}); "
        f"to change the identity deliberately run: tessera identity set-base-url {OTHER}"
    ]
    init = _run(["init"], moved, tmp_path)
    assert init.returncode == 0, init.stderr
    assert f"issuer identity (public base URL): {base}\n" in init.stdout
    shown = _run(["identity", "show"], moved, tmp_path)
    assert shown.stdout.strip() == base
    events = _run(["audit", "export"], env, tmp_path).stdout.splitlines()
    stored = [json.loads(line) for line in events if "issuer.base_url_set" in line]
    assert [e["details"] for e in stored] == [
        {"base_url": base, "source": "the serving address (HOST, PORT)"}
    ]


def test_db_upgrade_stores_tessera_base_url_when_it_is_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(TESSERA_KEY_PASSPHRASE=PASSPHRASE, TESSERA_BASE_URL=f"{OTHER}/")
    result = _run(["db", "upgrade"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"issuer identity (public base URL): {OTHER}, stored now from TESSERA_BASE_URL"
    )
    unset = {k: v for k, v in env.items() if k != "TESSERA_BASE_URL"}
    assert _run(["identity", "show"], unset, tmp_path).stdout.strip() == OTHER
