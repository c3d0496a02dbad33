"""Every registrar endpoint (read from /openapi.json) × every kind of bad caller: 401 or 403,
and the database unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from issuer.access.tokens import create_token, revoke_token
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Base, Credential, StatusAllocation
from tests.helpers import make_token, new_principal
from tests.issuer.campaign_files import csv_bytes
from tests.issuer.helpers import PUBLIC_API_PATHS, issue_body, load_catalog
from tests.issuer.lifecycle_helpers import bearer, issue, post

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
SESSION = "2026-Q4-D3-R05"
# Endpoints no registrar may use (GET included): admin only, or admin and auditor.
NOT_FOR_REGISTRARS = (
    "/api/v1/tokens",
    "/api/v1/principals",
    "/api/v1/keys",
    "/api/v1/audit",
    "/api/v1/approvals",
)
# POST /api/v1/tokens is open to every principal for its own tokens, within its rights: the
# body asks for an admin token, which a registrar may not have (403 rights_exceeded).
ADMIN_ONLY = ("/api/v1/tokens", "/api/v1/principals", "/api/v1/keys", "/api/v1/approvals")
# Reads that an auditor may ask for by POST: an export job of what it may read, and stopping
# its own (decision 0065); they store only the export's record and its audit event.
AUDITOR_POSTS = {("post", "/api/v1/exports"), ("post", "/api/v1/exports/{export_id}/cancel")}
MY_ENDPOINTS = {
    ("post", "/api/v1/credentials/{credential_id}/suspend"),
    ("post", "/api/v1/credentials/{credential_id}/reinstate"),
    ("post", "/api/v1/credentials/{credential_id}/reissue"),
    ("post", "/api/v1/credentials/batch-revoke"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("post", "/api/v1/tokens/{token_id}/revoke"),
    ("get", "/api/v1/principals"),
    ("post", "/api/v1/principals"),
    ("post", "/api/v1/principals/{principal_id}/disable"),
    ("post", "/api/v1/keys/{kid}/compromise"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/audit/export"),
    ("post", "/api/v1/approvals/{approval_id}/approve"),
    ("post", "/api/v1/approvals/{approval_id}/reject"),
}


def _body(method: str, path: str) -> dict[str, Any]:
    if method == "post" and path == "/api/v1/credentials":
        return issue_body()
    if path.endswith(("/revoke", "/suspend")) and "{credential_id}" in path:
        return {"reason": "exam_misconduct"}
    if path.endswith("/reissue") and "{credential_id}" in path:
        return {"reason": "data_correction", "level": "intermediate"}
    if path.endswith("/batch-revoke"):
        return {"exam_session": SESSION, "reason": "exam_misconduct"}
    if path == "/api/v1/tokens":
        return {"name": "intruder", "role": "admin"}
    if path == "/api/v1/principals":
        return {"name": "intruder", "kind": "person", "role": "admin"}
    if path.endswith("/compromise"):
        return {"compromised_at": "2026-01-01T00:00:00Z"}
    return {}


def _snapshot(services: Services) -> tuple[dict[str, int], str]:
    """Row counts of every table and a digest of what lifecycle actions change."""
    with services.sessions() as session:
        counts = {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }
        rows = session.execute(
            select(
                Credential.id,
                Credential.state,
                Credential.state_reason,
                Credential.replaced_by_id,
                Credential.jws,
                StatusAllocation.set_at,
                StatusAllocation.suspended_at,
            )
            .join(StatusAllocation, StatusAllocation.credential_id == Credential.id)
            .order_by(Credential.id)
        ).all()
        head = session.scalar(text("SELECT hash FROM audit_head"))
    digest = hashlib.sha256(repr((rows, head)).encode()).hexdigest()
    return counts, digest


def _callers(services: Services) -> dict[str, dict[str, str]]:
    past = services.clock() - dt.timedelta(hours=2)
    with session_scope(services.sessions) as session:
        _expired, expired = create_token(
            session,
            principal=new_principal(session, past),
            name="old",
            role="admin",
            units=[],
            now=past,
            expires_at=past + dt.timedelta(hours=1),
        )
        record, revoked = create_token(
            session,
            principal=new_principal(session, past),
            name="gone",
            role="admin",
            units=[],
            now=services.clock(),
        )
        revoke_token(session, record.id, now=services.clock())
        disabled = new_principal(session, past)
        _token, of_disabled = create_token(
            session, principal=disabled, name="left", role="admin", units=[], now=past
        )
        disabled.disabled_at = services.clock()
    return {
        "no token": {},
        "malformed": {"Authorization": "Bearer not-a-token"},
        "not bearer": {"Authorization": f"Basic {make_token(services)}"},
        "expired": bearer(expired),
        "revoked": bearer(revoked),
        "principal disabled": bearer(of_disabled),
    }


def test_every_registrar_endpoint_refuses_every_bad_caller(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    credential = issue(client, admin_headers)
    approval = post(client, "/api/v1/keys/rotate", admin_headers).json()
    token_id = client.get("/api/v1/tokens", headers=admin_headers).json()[0]["id"]
    principal_id = client.get("/api/v1/principals", headers=admin_headers).json()[0]["id"]
    values: dict[str, str] = {
        "credential_id": credential["id"],
        "kid": credential["kid"],
        "token_id": str(token_id),
        "principal_id": str(principal_id),
        "approval_id": approval["id"],
    }
    unauthenticated = _callers(services)
    auditor = bearer(make_token(services, "auditor"))
    registrar_u01 = bearer(make_token(services, "registrar", ["U01"]))
    registrar_u02 = bearer(make_token(services, "registrar", ["U02"]))
    before = _snapshot(services)

    spec = client.get("/openapi.json").json()
    endpoints = [
        (method, path)
        for path, operations in spec["paths"].items()
        if path.startswith("/api/v1/") and path not in PUBLIC_API_PATHS
        for method in operations
    ]
    assert set(endpoints) >= MY_ENDPOINTS
    tried = 0
    for method, path in endpoints:
        integer_params = {
            p["name"]
            for p in spec["paths"][path][method].get("parameters", [])
            if p.get("schema", {}).get("type") == "integer"
        }

        def fill(match: re.Match[str], ints: set[str] = integer_params) -> str:
            name = match.group(1)
            return values.get(name, "1" if name in ints else UNKNOWN_ID)

        url = re.sub(r"\{(\w+)\}", fill, path)
        body = _body(method, path)
        cases: list[tuple[str, dict[str, str], int]] = [
            (name, headers, 401) for name, headers in unauthenticated.items()
        ]
        if method != "get" and (method, path) not in AUDITOR_POSTS:
            cases.append(("auditor writes", auditor, 403))
        if path.startswith(NOT_FOR_REGISTRARS if method == "get" else ADMIN_ONLY):
            cases.append(("registrar", registrar_u01, 403))
        scoped = "{credential_id}" in path or path in (
            "/api/v1/credentials",
            "/api/v1/credentials/batch-revoke",
        )
        if scoped and not (method == "get" and path == "/api/v1/credentials"):
            cases.append(("other unit", registrar_u02, 403))
        for case, headers, expected in cases:
            kwargs: dict[str, Any] = {"headers": headers}
            if method != "get":
                kwargs["json"] = body
            response = client.request(method.upper(), url, **kwargs)
            assert response.status_code == expected, (case, method, path, response.text)
            tried += 1
    assert tried >= len(endpoints) * 5
    assert _snapshot(services) == before


def _import_file(*rows: tuple[str, str, str]) -> dict[str, Any]:
    """Rows (name, unit, exam session) for employee number E-0001."""
    cells = [
        [name, "E-0001", "6-17-05-01", "高级", unit, "2026-10-14", session, "91", "合格"]
        for name, unit, session in rows
    ]
    return {"file": ("c.csv", csv_bytes(cells).encode(), "text/csv")}


def test_a_registrar_never_gets_another_units_id_file_link_or_rename(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    """Imports (dry run and real) with rows of another unit, bundles, share links and holder
    corrections: a registrar of U01 never sees U02's id, file or link, nor renames its holder."""
    load_catalog(services)
    other = issue(client, admin_headers, unit="U02")
    mine = issue(client, admin_headers, exam={"date": "2026-10-14", "session": "2026-Q4-U01"})
    registrar = bearer(make_token(services, "registrar", ["U01"]))
    before = client.get(f"/api/v1/credentials/{other['id']}", headers=admin_headers).json()
    answers: list[bytes] = []
    probes = {
        # another unit's exam, then a row of another unit
        "exam": _import_file(("王小明", "U01", SESSION), ("王小明", "U02", "2026-Q4-NEW")),
        # another unit's holder under another name
        "name": _import_file(("someone else", "U01", "2026-Q4-NEW")),
    }
    expected = {
        "exam": ["conflicts_with_other_unit", "unit_not_allowed"],
        "name": ["conflicts_with_other_unit"],
    }
    for probe, files in probes.items():
        for url in ("/api/v1/imports?dry_run=true", "/api/v1/imports"):
            response = client.post(url, files=files, headers=registrar)
            assert response.status_code in (200, 202), response.text
            job_id = response.json()["id"]
            report = client.get(f"/api/v1/imports/{job_id}", headers=registrar)
            assert [row["reason"] for row in report.json()["rows"]] == expected[probe]
            csv_report = client.get(f"/api/v1/imports/{job_id}/report.csv", headers=registrar)
            answers.extend([response.content, report.content, csv_report.content])
    assert client.post(f"/api/v1/imports/{job_id}/bundle", headers=registrar).status_code == 202
    bundle = client.get(f"/api/v1/imports/{job_id}/bundle.zip", headers=registrar)
    assert bundle.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(bundle.content))
    answers.extend(
        [*(archive.read(n) for n in archive.namelist()), "".join(archive.namelist()).encode()]
    )
    link = client.post(f"/api/v1/credentials/{other['id']}/share-links", headers=registrar)
    rename = client.post(
        f"/api/v1/credentials/{mine['id']}/reissue",
        json={"reason": "data_correction", "holder_name": "Planted"},
        headers=registrar,
    )
    assert (link.status_code, rename.status_code) == (403, 403)
    answers.extend([link.content, rename.content])
    for answer in answers:
        assert other["id"].encode() not in answer
        assert other["number"].encode() not in answer
    after = client.get(f"/api/v1/credentials/{other['id']}", headers=admin_headers).json()
    assert after == before
    assert (
        client.get(f"/api/v1/credentials/{other['id']}/share-links", headers=admin_headers).json()
        == []
    )
