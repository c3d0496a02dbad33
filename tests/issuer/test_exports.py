"""Exports as jobs in-process (SQLite's path, and PostgreSQL with TESSERA_TASK_RUNNER=
in_process): the file is the streaming endpoint's bytes, only its asker (or an admin) sees
it, bad requests store nothing, and files expire. Real workers: test_export_workers.py."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, ExportJob
from issuer.tasks.exports import purge_exports
from tests.helpers import make_token
from tests.issuer.helpers import import_campaign, invoke_cli

HOLDERS = 40  # U05: 7, U01: 2, ... (tests/issuer/campaign_files.py)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _exports(services: Services) -> int:
    with services.read_sessions() as session:
        return session.scalar(select(func.count()).select_from(ExportJob)) or 0


def _actions(services: Services, target: str) -> list[str]:
    with services.read_sessions() as session:
        query = select(AuditEvent.action).where(AuditEvent.target == target)
        return list(session.scalars(query.order_by(AuditEvent.id)))


def test_a_register_export_is_the_streamed_csv_byte_for_byte(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    import_campaign(services, tmp_path, HOLDERS)
    query = "state=active&sort=number&unit=U05&unit=U02"
    started = client.post(f"/api/v1/exports?{query}", headers=admin_headers)
    assert started.status_code == 202, started.text
    export_id = started.json()["id"]
    assert started.json()["kind"] == "register"
    read = client.get(f"/api/v1/exports/{export_id}", headers=admin_headers).json()
    assert read["state"] == "ready"
    assert read["rows"] == 11
    assert read["download_url"] == f"/api/v1/exports/{export_id}/file"
    streamed = client.get(f"/api/v1/credentials.csv?{query}", headers=admin_headers)
    file = client.get(read["download_url"], headers=admin_headers)
    assert file.status_code == 200
    assert file.headers["content-type"].startswith("text/csv")
    assert file.content == streamed.content
    assert file.content.count(b"\r\n") == 12  # the header and 11 credentials
    # Private from the first byte, like bundles.
    folder = services.settings.export_dir
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()] == [0o600]
    assert _actions(services, f"export:{export_id}") == ["export.request", "export.download"]


def test_an_audit_export_is_the_streamed_log_and_for_overseers_only(
    client: TestClient, services: Services, tmp_path: Path
) -> None:
    import_campaign(services, tmp_path, HOLDERS)
    auditor = _bearer(make_token(services, "auditor"))
    registrar = _bearer(make_token(services, "registrar", ["U01"]))
    refused = client.post("/api/v1/exports?kind=audit", headers=registrar)
    assert refused.status_code == 403
    filtered = client.post("/api/v1/exports?kind=audit&state=active", headers=auditor)
    assert filtered.status_code == 422
    assert _exports(services) == 0
    started = client.post("/api/v1/exports?kind=audit", headers=auditor)
    assert started.status_code == 202
    export_id = started.json()["id"]
    streamed = client.get("/api/v1/audit/export", headers=auditor).content
    read = client.get(f"/api/v1/exports/{export_id}", headers=auditor).json()
    assert read["state"] == "ready"
    file = client.get(read["download_url"], headers=auditor)
    assert file.headers["content-type"].startswith("application/x-ndjson")
    # The log as it stood when written: the request is in it, the download after it is not.
    assert file.content == streamed
    assert read["rows"] == streamed.count(b"\n")
    # tessera audit export prints the same lines (the download since then aside)
    printed = invoke_cli(services.settings, "audit", "export")
    assert printed.exit_code == 0, printed.output
    assert printed.stdout_bytes.startswith(file.content)
    assert printed.stdout_bytes.count(b"\n") == read["rows"] + 1
    assert b'"action":"export.request"' in file.content.splitlines()[-1]


def test_only_the_asker_or_an_admin_sees_an_export_and_a_registrar_gets_its_units(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    import_campaign(services, tmp_path, HOLDERS)
    u05 = _bearer(make_token(services, "registrar", ["U05"]))
    other_u05 = _bearer(make_token(services, "registrar", ["U05"]))
    u01 = _bearer(make_token(services, "registrar", ["U01"]))
    export_id = client.post("/api/v1/exports", headers=u05).json()["id"]
    read = client.get(f"/api/v1/exports/{export_id}", headers=u05).json()
    assert read["state"] == "ready"
    assert read["rows"] == 7  # the register has 40; U05 holds 7 of them
    lines = client.get(read["download_url"], headers=u05).content.decode("utf-8-sig")
    assert {line.split(",")[5] for line in lines.splitlines()[1:]} == {"U05"}
    for stranger in (u01, other_u05):
        for path in ("", "/file"):
            answer = client.get(f"/api/v1/exports/{export_id}{path}", headers=stranger)
            assert answer.status_code == 404, path
            assert answer.json()["code"] == "not_found"
        cancel = client.post(f"/api/v1/exports/{export_id}/cancel", headers=stranger)
        assert cancel.status_code == 404
    assert client.get(f"/api/v1/exports/{export_id}/file", headers=admin_headers).status_code == 200
    # A unit outside the registrar's scope, a filter that cannot match, an unknown parameter:
    # refused before anything is stored.
    assert client.post("/api/v1/exports?unit=U01", headers=u05).status_code == 403
    assert client.post("/api/v1/exports?stat=revoked", headers=u05).status_code == 422
    assert client.post("/api/v1/exports?kind=pdf", headers=u05).status_code == 422
    assert (
        client.post(
            "/api/v1/exports?issued_from=2027-01-01&issued_to=2026-01-01", headers=u05
        ).status_code
        == 422
    )
    assert _exports(services) == 1
    assert client.get("/api/v1/exports/not-an-export", headers=u05).status_code == 404
    assert client.get(f"/api/v1/exports/{'x' * 300}", headers=u05).status_code == 404


def test_a_finished_export_cannot_be_cancelled_and_its_file_expires(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    import_campaign(services, tmp_path, HOLDERS)
    export_id = client.post("/api/v1/exports", headers=admin_headers).json()["id"]
    cancel = client.post(f"/api/v1/exports/{export_id}/cancel", headers=admin_headers)
    assert cancel.status_code == 409
    assert cancel.json()["code"] == "export_not_running"
    assert purge_exports(services) == 0  # not yet due
    folder = services.settings.export_dir
    assert len(list(folder.iterdir())) == 1
    stray = folder / f".export-{'0' * 8}-0000-0000-0000-{'0' * 12}.dead.partial"
    stray.write_bytes(b"a killed run's")
    old = services.clock() - services.settings.export_ttl - dt.timedelta(minutes=1)
    with session_scope(services.sessions) as session:
        session.execute(update(ExportJob).values(finished_at=old))
    (folder / "notes.txt").write_bytes(b"not an export's")
    assert purge_exports(services) == 1
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    read = client.get(f"/api/v1/exports/{export_id}", headers=admin_headers).json()
    assert read["state"] == "expired"
    assert read["download_url"] is None
    gone = client.get(f"/api/v1/exports/{export_id}/file", headers=admin_headers)
    assert gone.status_code == 409
    assert gone.json()["code"] == "export_expired"
