"""One issuer identity, end to end, as a user with two shells would meet it.

``tessera init`` with ``HOST``/``PORT`` on a non-default port and no ``TESSERA_BASE_URL``, then
``tessera serve`` on that port; from another shell (no ``TESSERA_BASE_URL``, no ``HOST`` or
``PORT``) ``tessera issue`` and ``tessera reissue``. The running server must call what the CLI
signed genuine: the issuer id is the server's address, stored at ``init``.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import PASSPHRASE
from tests.servers import TESSERA, Server, free_port, stop_server


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


def _env(work: Path, **extra: str) -> dict[str, str]:
    """A shell in ``work``: no TESSERA_BASE_URL, HOST or PORT unless given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TESSERA_", "PROMETHEUS_")) and k not in {"HOST", "PORT"}
    }
    env.update(
        TESSERA_DATABASE_URL=f"sqlite:///{work / 'var/tessera.db'}",
        TESSERA_KEYS_DIR=str(work / "keys"),
        TESSERA_KEY_PASSPHRASE=PASSPHRASE,
        TESSERA_ADMIN_TOKEN_FILE=str(work / "var/admin-token"),
        TESSERA_BUNDLE_DIR=str(work / "var/bundles"),
        TESSERA_RATE_LIMIT="off",
    )
    env.update(extra)
    return env


def _tessera(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [TESSERA, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``make run`` by hand on a free port: init, then serve; (base URL, work directory)."""
    port = free_port()
    assert port != 8000
    base = f"http://127.0.0.1:{port}"
    first_shell = _env(tmp_path, HOST="127.0.0.1", PORT=str(port))
    init = _tessera(["init"], first_shell, tmp_path)
    assert f"issuer identity (public base URL): {base}, stored now" in init.stdout
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [TESSERA, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=first_shell,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, base, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, server.output()[-2000:]
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, server.output()[-2000:]
            time.sleep(0.2)
        assert f"(public base URL {base})" in server.output()
        yield base, tmp_path
    finally:
        stop_server(server)


def _verify(http: httpx.Client, token: str) -> dict[str, Any]:
    response = http.post("/api/v1/verify", json={"credential": token})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_cli_issuance_beside_a_server_on_another_port_is_genuine_there(
    served: tuple[str, Path],
) -> None:
    base, work = served
    second_shell = _env(work)  # no TESSERA_BASE_URL, no HOST, no PORT
    issued = json.loads(
        _tessera(
            ["issue", "--name", "张伟", "--employee-number", "E-7001", "--occupation",
             "6-17-05-01", "--level", "intermediate", "--unit", "U01", "--exam-date",
             "2026-10-14", "--exam-session", "2026-Q4-D3-R05", "--json"],
            second_shell,
            work,
        ).stdout
    )  # fmt: skip
    payload = _payload(issued["credential"])
    assert payload["iss"] == payload["issuer"]["id"] == base
    assert payload["credentialStatus"]["statusListCredential"].startswith(f"{base}/status/")
    assert issued["qr_text"].startswith(f"{base}/c#")

    with httpx.Client(base_url=base, timeout=30) as http:
        result = _verify(http, issued["credential"])
        assert (result["verified"], result["status"]) == (True, "valid"), result
        page = http.get(f"/v/{issued['id']}")
        assert page.status_code == 200
        assert "Genuine and valid" in page.text
        assert "Not genuine" not in page.text

        reissued = _tessera(
            ["reissue", issued["id"], "--reason", "data_correction", "--level", "senior"],
            second_shell,
            work,
        ).stdout.splitlines()
        assert reissued[0].startswith(f"superseded {issued['id']}")
        new_id = reissued[1].split()[1]
        assert reissued[2] == f"verify: {base}/v/{new_id}"

        admin = (work / "var/admin-token").read_text().strip()
        new = http.get(
            f"/api/v1/credentials/{new_id}", headers={"Authorization": f"Bearer {admin}"}
        ).json()
        new_payload = _payload(new["credential"])
        assert new_payload["iss"] == new_payload["issuer"]["id"] == base
        fresh = _verify(http, new["credential"])
        assert (fresh["verified"], fresh["status"]) == (True, "valid"), fresh
        assert "Genuine and valid" in http.get(f"/v/{new_id}").text

        old = _verify(http, issued["credential"])
        assert (old["verified"], old["status"]) == (False, "superseded")
        assert old["status_detail"]["superseded_by"] == f"{base}/v/{new_id}"
        assert old["status_detail"]["reason"] == "data_correction"
        assert f'href="{base}/v/{new_id}"' in http.get(f"/v/{issued['id']}").text
