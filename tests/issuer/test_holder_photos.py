"""Holders' photos (decision 0052): sealed at rest, printed on the registrar's certificate only,
never in the credential, the badges, the share page or the audit log; bad pictures refused
without touching what is stored."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from issuer.campaigns.bundle import request_bundle
from issuer.campaigns.bundle_chunks import build_bundle
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.config import Settings
from issuer.credentials.holder_photo import PHOTO_PURPOSE, PHOTO_SIZE
from issuer.errors import ConfigurationError
from issuer.keys.sealed import unseal_bytes
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, HolderPhoto
from tests.helpers import PASSPHRASE, make_token
from tests.issuer.campaign_files import campaign, request_row, write_csv
from tests.issuer.helpers import issue_body, load_catalog, run_cli
from tests.issuer.pdf_files import image_count

PHOTO_URL = "/api/v1/holders/E-0001/photo"


def _jpeg(size: tuple[int, int] = (1200, 1600), *, exif: bool = False, fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", size, (120, 160, 200))
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "SecretCam"  # Make
        tags[0x0112] = 6  # Orientation: rotate 90 degrees to show upright
        image.save(out, format=fmt, exif=tags)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def _issue(client: TestClient, services: Services, headers: dict[str, str]) -> dict[str, Any]:
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=headers)
    assert issued.status_code == 201, issued.text
    body: dict[str, Any] = issued.json()
    return body


def _stored(services: Services) -> list[bytes]:
    with services.sessions() as session:
        return [row.sealed_jpeg for row in session.scalars(select(HolderPhoto))]


def test_a_photo_is_sealed_printed_and_never_shared(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    issued = _issue(client, services, admin_headers)
    certificate = f"/api/v1/credentials/{issued['id']}/certificate.pdf"
    without = client.get(certificate, headers=admin_headers).content
    assert client.put(PHOTO_URL, content=_jpeg(exif=True), headers=admin_headers).status_code == 204
    [sealed] = _stored(services)
    assert not sealed.startswith(b"\xff\xd8")  # not a JPEG at rest
    assert b"SecretCam" not in sealed
    with services.sessions() as session:
        holder_id = session.scalars(select(HolderPhoto.holder_id)).one()
    jpeg = unseal_bytes(PASSPHRASE.encode(), PHOTO_PURPOSE, sealed, bound_to=f"holder:{holder_id}")
    with pytest.raises(ConfigurationError, match="does not open"):
        unseal_bytes(PASSPHRASE.encode(), PHOTO_PURPOSE, sealed, bound_to="holder:another")
    with Image.open(io.BytesIO(jpeg)) as photo:
        assert photo.format == "JPEG"
        assert photo.width <= PHOTO_SIZE[0]
        assert photo.height <= PHOTO_SIZE[1]
        assert photo.width > photo.height  # turned by its EXIF orientation, then EXIF dropped
        assert not photo.getexif()
    assert b"SecretCam" not in jpeg
    printed = client.get(certificate, headers=admin_headers).content
    assert image_count(printed) == image_count(without) + 1
    assert jpeg in printed  # the sealed JPEG, unsealed, is what the certificate carries
    console_free = client.get(f"/api/v1/credentials/{issued['id']}", headers=admin_headers)
    link = client.post(f"/api/v1/credentials/{issued['id']}/share-links", headers=admin_headers)
    share = urlsplit(link.json()["url"]).path
    shared = {
        "credential": console_free.content,
        "badge.png": client.get(
            f"/api/v1/credentials/{issued['id']}/badge.png", headers=admin_headers
        ).content,
        "badge.svg": client.get(
            f"/api/v1/credentials/{issued['id']}/badge.svg", headers=admin_headers
        ).content,
        "share page": client.get(share).content,
        "share certificate": client.get(f"{share}/certificate.pdf").content,
        "share card": client.get(f"{share}/card.pdf").content,
        "verify page": client.get(f"/v/{issued['id']}").content,
    }
    head = jpeg[:64]
    for name, body in shared.items():
        assert head not in body, name
        assert base64.b64encode(head)[:40] not in body, name
    assert image_count(shared["share certificate"]) == image_count(without)
    assert (
        client.get(f"/api/v1/credentials/{issued['id']}", headers=admin_headers).json()[
            "credential"
        ]
        == issued["credential"]
    )


def test_setting_and_deleting_are_audited_without_the_picture(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    _issue(client, services, admin_headers)
    assert client.put(PHOTO_URL, content=_jpeg(), headers=admin_headers).status_code == 204
    assert client.put(PHOTO_URL, content=_jpeg(fmt="PNG"), headers=admin_headers).status_code == 204
    assert client.delete(PHOTO_URL, headers=admin_headers).status_code == 204
    assert client.delete(PHOTO_URL, headers=admin_headers).status_code == 404
    assert _stored(services) == []
    with services.sessions() as session:
        events = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("holder.%")).order_by(AuditEvent.id)
            )
        )
    assert [e.action for e in events] == [
        "holder.photo_set",
        "holder.photo_set",
        "holder.photo_delete",
    ]
    assert [e.details.get("replaced") for e in events[:2]] == [False, True]
    for event in events:
        stamped = {"actor_kind", "principal_id", "token_id"}  # who acted (Actor.stamped)
        assert set(event.details) - stamped <= {"width", "height", "replaced"}


def test_registrars_set_photos_of_their_units_holders_only(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    _issue(client, services, admin_headers)  # in unit U01
    own = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U01'])}"}
    other = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U02'])}"}
    auditor = {"Authorization": f"Bearer {make_token(services, 'auditor')}"}
    assert client.put(PHOTO_URL, content=_jpeg(), headers=other).status_code == 403
    assert client.put(PHOTO_URL, content=_jpeg(), headers=auditor).status_code == 403
    assert client.put(PHOTO_URL, content=_jpeg(), headers={}).status_code == 401
    assert _stored(services) == []
    assert client.put(PHOTO_URL, content=_jpeg(), headers=own).status_code == 204
    assert client.delete(PHOTO_URL, headers=other).status_code == 403
    unknown = client.put("/api/v1/holders/NOPE/photo", content=_jpeg(), headers=admin_headers)
    assert unknown.status_code == 404
    assert client.delete(PHOTO_URL, headers=own).status_code == 204


def _big_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, format="PNG")  # 48 million pixels, a few KiB
    return out.getvalue()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not an image at all", id="text"),
        pytest.param(b"%PDF-1.7\n" + b"0" * 100, id="pdf"),
        pytest.param(_jpeg(fmt="GIF"), id="gif"),
        pytest.param(_jpeg()[:200], id="truncated"),
        pytest.param(b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024 + 10), id="too-many-bytes"),
        pytest.param(_big_png(), id="too-many-pixels"),
        pytest.param(b"", id="empty"),
    ],
)
def test_bad_photos_are_refused_and_the_stored_one_stays(
    client: TestClient, services: Services, admin_headers: dict[str, str], body: bytes
) -> None:
    _issue(client, services, admin_headers)
    assert client.put(PHOTO_URL, content=_jpeg(), headers=admin_headers).status_code == 204
    before = _stored(services)
    answer = client.put(PHOTO_URL, content=body, headers=admin_headers)
    assert answer.status_code in (413, 422), answer.text
    if answer.status_code == 422:
        assert answer.json()["code"] == "invalid_image"
    assert _stored(services) == before


def test_import_takes_photos_from_a_folder_or_a_zip(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    first = campaign()[0]
    results = write_csv(tmp_path / "c.csv", [request_row(first)])
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / f"{first.employee_number}.JPG").write_bytes(_jpeg())
    (folder / "E-0404.jpg").write_bytes(_jpeg())
    (folder / f"{first.employee_number}.png").write_bytes(b"nope")  # read after the .JPG
    (folder / "notes.txt").write_text("ignored")
    status, output = run_cli(settings, "import", str(results), "--photos", str(folder))
    assert status == 0, output
    assert "1 issued" in output
    assert "photos: 1 stored, 2 refused" in output, output
    assert "E-0404.jpg: no holder has the employee number E-0404" in output
    assert f"{first.employee_number}.png: the photo is not a readable PNG or JPEG" in output
    assert len(_stored(services)) == 1
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"scans/{first.employee_number}.jpeg", _jpeg(size=(300, 400)))
    before = _stored(services)
    status, output = run_cli(settings, "import", str(results), "--photos", str(archive))
    assert "photos: 1 stored, 0 refused" in output, output
    assert _stored(services) != before
    status, output = run_cli(settings, "import", str(results), "--photos", str(results))
    assert status == 1
    assert "not a readable ZIP file" in output


def test_the_bundle_prints_the_photos_it_has(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    load_catalog(services)
    rows = campaign()[:2]
    path = write_csv(tmp_path / "c.csv", [request_row(r) for r in rows])
    request = ImportRequest(path=path, filename="c.csv", dry_run=False, actor=Actor("test"))
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=100, now=services.clock())
    run_import(services, job.id, request)
    photo = f"/api/v1/holders/{rows[0].employee_number}/photo"
    assert client.put(photo, content=_jpeg(), headers=admin_headers).status_code == 204
    with session_scope(services.sessions) as session:
        request_bundle(session, job.id)
    build_bundle(services, job.id, actor=Actor("test"), workers=1)
    bundle = client.get(f"/api/v1/imports/{job.id}/bundle.zip", headers=admin_headers)
    archive = zipfile.ZipFile(io.BytesIO(bundle.content))
    images = {
        name.rsplit("-", 1)[-1]: image_count(archive.read(name))
        for name in archive.namelist()
        if name.endswith(".pdf")
    }
    first, second = (f"{r.employee_number}.pdf" for r in rows)  # these numbers hold no '-'
    assert images[first] == images[second] + 1
