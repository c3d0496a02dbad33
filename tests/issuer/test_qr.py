"""QR codes that carry the whole credential (issue 7): the demo campaign, limits, privacy."""

from __future__ import annotations

import io
import logging
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from issuer.campaigns.demo import load_demo
from issuer.config import Settings
from issuer.credentials.qr import (
    TARGET_QR_VERSION,
    credential_qr_version,
    qr_text,
    qr_version,
    render_qr_png,
    render_qr_svg,
)
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Credential
from tests.helpers import BASE_URL, PASSPHRASE
from tests.issuer.helpers import issue_body, load_catalog, svg_to_image, verify_with_jwcrypto
from verifier.qr_packing import pack_credential, packed_credential_in, unpack_credential

TESSERA = str(Path(sys.executable).parent / "tessera")
QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def test_every_demo_credential_packs_losslessly_verifies_and_fits_version_20(
    client: TestClient, services: Services
) -> None:
    with session_scope(services.sessions) as session:
        load_demo(session, issuer=services.issuer(session), now=services.clock())
    with services.sessions() as session:
        tokens = list(session.scalars(select(Credential.jws)))
    assert len(tokens) == 1391
    jwks = client.get("/.well-known/jwks.json").json()
    versions = []
    for token in tokens:
        text = qr_text(BASE_URL, token)
        unpacked = unpack_credential(packed_credential_in(text) or "")
        assert unpacked == token  # byte-identical
        verify_with_jwcrypto(unpacked, jwks)  # an independent JOSE library
        versions.append(credential_qr_version(BASE_URL, token))
    assert max(versions) <= TARGET_QR_VERSION, statistics.quantiles(versions, n=4)
    # The computed version is the one the writer really draws (checked on the extremes).
    for token in (tokens[versions.index(min(versions))], tokens[versions.index(max(versions))]):
        assert qr_version(qr_text(BASE_URL, token)) == credential_qr_version(BASE_URL, token)


def _huge_holder() -> dict[str, str]:
    rng = random.Random(7)
    return {
        "name": "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(200)),
        "employee_number": "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(64)
        ),
    }


def test_issuance_refuses_a_credential_too_large_for_a_scannable_qr(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    response = client.post(
        "/api/v1/credentials", json=issue_body(holder=_huge_holder()), headers=admin_headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "credential_too_large_for_qr"
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 0


def test_cli_issue_of_a_too_large_credential_fails_in_one_line(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    holder = _huge_holder()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(
        TESSERA_DATABASE_URL=settings.database_url,
        TESSERA_KEYS_DIR=str(settings.keys_dir),
        TESSERA_KEY_PASSPHRASE=PASSPHRASE,
        TESSERA_BASE_URL=BASE_URL,
    )
    result = subprocess.run(
        [TESSERA, "issue", "--name", holder["name"], "--employee-number",
         holder["employee_number"], "--occupation", "6-17-05-01", "--level", "senior",
         "--unit", "U01", "--exam-date", "2026-10-14", "--exam-session", "2026-Q4-D3-R05"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "QR" in lines[0], result.stderr


def test_qr_png_and_svg_decode_to_the_reported_packed_text(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    body = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    assert body["qr_text"] == f"{BASE_URL}/c#{pack_credential(body['credential'])}"
    api = f"/api/v1/credentials/{body['id']}"
    png = client.get(f"{api}/qr.png", headers=admin_headers)
    image = Image.open(io.BytesIO(png.content))
    assert image.mode == "1"  # crisp: black and white only
    side = image.size[0]
    version = qr_version(body["qr_text"])
    assert side == (17 + 4 * version + 8) * 8  # quiet zone 4 modules, 8 pixels a module
    assert [r.text for r in zxingcpp.read_barcodes(image, formats=QR)] == [body["qr_text"]]
    svg = client.get(f"{api}/qr.svg", headers=admin_headers)
    assert svg.headers["content-type"] == "image/svg+xml"
    decoded = zxingcpp.read_barcodes(svg_to_image(svg.content), formats=QR)
    assert [r.text for r in decoded] == [body["qr_text"]]
    assert render_qr_svg(body["qr_text"]) == svg.content
    assert render_qr_png(body["qr_text"]) == png.content


def test_verifying_a_packed_credential_logs_neither_the_token_nor_the_holder(
    client: TestClient,
    services: Services,
    admin_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    load_catalog(services)
    body = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    packed = packed_credential_in(body["qr_text"]) or ""
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    api = client.post("/api/v1/verify", json={"credential": body["qr_text"]})
    page = client.post("/verify", data={"credential": body["qr_text"]})
    shell = client.get("/c")
    assert api.status_code == page.status_code == shell.status_code == 200
    assert api.json()["checks"][0] == {
        **api.json()["checks"][0],
        "code": "locate",
        "passed": True,
    }
    assert body["holder"]["name"] in page.text  # the result was shown...
    logged = "\n".join(
        f"{record.getMessage()} {record.__dict__!r} {record.exc_text or ''}"
        for record in caplog.records
    )
    for secret in (body["credential"], packed[:60], packed[-60:], body["holder"]["name"]):
        assert secret not in logged  # ...but never logged
    assert "王小明".encode("unicode_escape").decode() not in logged
