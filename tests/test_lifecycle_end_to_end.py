"""The registrar lifecycle as an employer sees it: verify API, verify page and the
`tessera verify` command (a separate process, over HTTP and offline) against a live server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from issuer.web import local_verifier
from tests.helpers import make_token
from tests.issuer.helpers import issue_body, load_catalog
from tests.issuer.lifecycle_helpers import bearer, post, verify_api
from tests.servers import verify_cli


def _issue(client: TestClient, headers: dict[str, str], number: str) -> dict[str, Any]:
    body = issue_body(holder={"name": f"持证人{number}", "employee_number": number})
    response = client.post("/api/v1/credentials", json=body, headers=headers)
    assert response.status_code == 201
    issued: dict[str, Any] = response.json()
    return issued


def test_employer_sees_every_lifecycle_state_on_api_page_and_cli(
    live_server: tuple[str, TestClient],
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server re-reads its own keys at most every 5 s (documented); not in this test.
    monkeypatch.setattr(local_verifier, "_JWKS_CACHE_SECONDS", 0.0)
    base, client = live_server
    load_catalog(services)
    maker, checker = bearer(make_token(services)), bearer(make_token(services))
    a, b, c = (_issue(client, maker, n) for n in ("L-1", "L-2", "L-3"))
    cache = str(tmp_path / "cache")
    files = {}
    for name, issued in (("a", a), ("b", b), ("c", c)):
        files[name] = tmp_path / f"{name}.jwt"
        files[name].write_text(issued["credential"])

    def cli(name: str, *extra: str) -> tuple[int, str]:
        args = [str(files[name]), "--cache-dir", cache, *extra]
        if "--offline" not in extra:
            args += ["--trusted-issuer", base]
        done = verify_cli(*args, cwd=tmp_path)
        return done.returncode, done.stdout + done.stderr

    assert cli("a")[0] == 0

    # Suspended, then reinstated.
    api = f"/api/v1/credentials/{a['id']}"
    assert post(client, f"{api}/suspend", maker, {"reason": "holder_request"}).is_success
    code, out = cli("a")
    assert code == 1, out
    assert "SUSPENDED" in out, out
    assert "reason: holder_request" in out, out
    code, out = cli("a", "--offline")
    assert code == 1, out
    assert "SUSPENDED" in out, out
    assert verify_api(client, a["credential"])["status"] == "suspended"
    assert "已暂停" in client.get(f"/v/{a['id']}").text
    assert post(client, f"{api}/reinstate", maker).is_success
    code, out = cli("a")
    assert code == 0, out
    assert "VALID" in out, out
    assert verify_api(client, a["credential"])["status"] == "valid"
    assert "真实有效" in client.get(f"/v/{a['id']}").text

    # Revoked, with the category and never the note.
    body = {"reason": "exam_misconduct", "note": "seat 14 phone"}
    assert post(client, f"/api/v1/credentials/{b['id']}/revoke", maker, body).is_success
    code, out = cli("b")
    assert code == 1, out
    assert "REVOKED" in out, out
    assert "reason: exam_misconduct" in out, out
    assert "seat 14" not in out
    result = verify_api(client, b["credential"])
    detail = result["status_detail"]
    assert (detail["reason"], detail["superseded_by"]) == ("exam_misconduct", None)
    assert detail["changed_at"] is not None
    assert "revoked on: " in out, out
    page = client.get(f"/v/{b['id']}").text
    assert "考试违纪" in page
    assert "seat 14" not in page

    # Superseded, pointing at the replacement's verify page.
    fix = {"reason": "data_correction", "holder_name": "持证人L-3更正"}
    new = post(client, f"/api/v1/credentials/{c['id']}/reissue", maker, fix).json()["credential"]
    successor = f"{base}/v/{new['id']}"
    code, out = cli("c")
    assert code == 1, out
    assert "SUPERSEDED" in out, out
    assert f"superseded by: {successor}" in out, out
    assert verify_api(client, c["credential"])["status_detail"]["superseded_by"] == successor
    assert f'href="{successor}"' in client.get(f"/v/{c['id']}").text

    # The signing key compromised: every credential it signed fails, with a clear code.
    at = (services.clock() - dt.timedelta(hours=1)).isoformat()
    filed = post(client, f"/api/v1/keys/{a['kid']}/compromise", maker, {"compromised_at": at})
    assert post(client, f"/api/v1/approvals/{filed.json()['id']}/approve", checker).is_success
    code, out = cli("a")
    assert code == 1, out
    assert "key_compromised" in out, out
    assert "key_compromised" in cli("a", "--offline")[1]
    failed = [c for c in verify_api(client, a["credential"])["checks"] if not c["passed"]]
    assert failed[0]["error"] == "key_compromised"
    assert "签名密钥已泄露" in client.get(f"/v/{a['id']}").text
