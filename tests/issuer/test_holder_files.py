"""What holders hand over (``verifier.holder_files``), read by ``tessera verify``.

The files are the issuer's own renderers' output (certificate PDF, baked badges, QR PNG) for a
credential of the verifier test kit's issuer, so the command verifies them against the kit's
JWKS with no server and no database.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas
from typer.testing import CliRunner

from issuer.credentials.qr import render_qr_png
from issuer.documents.badge import render_badge_png, render_badge_svg
from issuer.documents.certificate import render_certificate_pdf
from issuer.documents.credential_document import CredentialDocument
from tests.verifier.kit import IssuerKit
from verifier import cli
from verifier.holder_files import (
    MAX_FILE_BYTES,
    PNG_SIGNATURE,
    HolderFileError,
    read_handed_over,
    read_text,
)
from verifier.urls import IssuerUrls

CREDENTIAL_ID = "0d2c4b5e-1111-4000-8000-000000000001"


@pytest.fixture(scope="module")
def kit() -> IssuerKit:
    return IssuerKit()


@pytest.fixture(scope="module")
def document(kit: IssuerKit) -> CredentialDocument:
    token = kit.token()
    urls = IssuerUrls(kit.base)
    return CredentialDocument(
        credential_id=CREDENTIAL_ID,
        number="TS2026001000042",
        issuer_zh="测试发证机构",
        issuer_en="Test Issuer",
        holder_name="张伟",
        employee_number="E-42",
        occupation_code="6-02-06-03",
        occupation_zh="稀土冶炼工",
        occupation_en="Rare earth smelter",
        level_code="senior",
        level_zh="高级工",
        level_en="Senior",
        unit_zh="一厂",
        unit_en="Plant 1",
        achievement_name="稀土冶炼工 高级工",
        exam_date=dt.date(2026, 10, 14),
        issued_at=dt.datetime(2026, 10, 20, tzinfo=dt.UTC),
        valid_until=None,
        state="active",
        verify_url=urls.verify_page(CREDENTIAL_ID),
        qr_text=urls.packed_link(token),
        jws=token,
    )


def _jpeg(png: bytes) -> bytes:
    buffer = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.convert("L").resize((image.width * 2, image.height * 2)).save(buffer, "JPEG")
    return buffer.getvalue()


def _text_only_pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Certificate, scanned without its QR code:")
    canvas.drawString(72, 700, text)
    canvas.save()
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def test_every_kind_of_file_gives_the_credential_or_its_link(
    document: CredentialDocument, kit: IssuerKit
) -> None:
    qr_png = render_qr_png(document.qr_text)
    found = {
        "pdf": read_handed_over(render_certificate_pdf(document)),
        "badge_png": read_handed_over(render_badge_png(document)),
        "badge_svg": read_handed_over(render_badge_svg(document)),
        "qr_image": read_handed_over(qr_png),
        "jpeg": read_handed_over(_jpeg(qr_png)),
        "jwt": read_handed_over(b"\xef\xbb\xbf" + document.jws.encode() + b"\r\n"),
    }
    assert found["pdf"].kind == "pdf"
    assert found["pdf"].text == document.qr_text  # the QR code, decoded from the rendered page
    assert found["badge_png"].text == document.jws
    assert found["badge_svg"].text == document.jws
    assert (found["qr_image"].kind, found["qr_image"].text) == ("qr_image", document.qr_text)
    assert found["jpeg"].text == document.qr_text
    assert (found["jwt"].kind, found["jwt"].text) == ("token", document.jws)
    share = read_text(f" {kit.base}/s/{'A' * 43} ")
    assert (share.kind, share.text) == ("share_link", f"{kit.base}/s/{'A' * 43}/credential.jwt")
    assert read_text(document.verify_url).kind == "verify_link"


def test_a_pdf_without_a_readable_qr_code_gives_the_printed_verify_link(
    document: CredentialDocument,
) -> None:
    found = read_handed_over(_text_only_pdf(document.verify_url))
    assert (found.kind, found.text) == ("pdf", document.verify_url)
    with pytest.raises(HolderFileError, match="no QR code or verify link"):
        read_handed_over(_text_only_pdf("nothing to see"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n1 0 obj garbage", "PDF cannot be opened"),
        (PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR", "truncated"),
        (b"\xff\xd8\xff\xe0 not a jpeg", "image cannot be read"),
        (b"\x00\x01\x02\x03\xfe\xff binary", "not a credential"),
        (b"", "empty"),
        (b"x" * (MAX_FILE_BYTES + 1), "larger than"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "no Open Badges credential"),
        (b"<svg><unclosed></svg>", "not well-formed"),
        # Entity expansion ("billion laughs") and an external entity (XXE): refused unread.
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><svg>&b;</svg>',
            "document type",
        ),
        (
            b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns:o="https://purl.imsglobal.org/ob/v3p0"><o:credential>&x;</o:credential>'
            b"</svg>",
            "document type",
        ),
    ],
)
def test_hostile_or_foreign_files_are_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(HolderFileError, match=message) as raised:
        read_handed_over(data)
    assert "\n" not in str(raised.value)


def test_a_huge_image_or_a_compressed_badge_bomb_is_refused_before_decoding() -> None:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    huge = PNG_SIGNATURE + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")
    with pytest.raises(HolderFileError, match=r"too large|larger than"):
        read_handed_over(huge)
    bomb = zlib.compress(b"e" * 50_000_000, 9)  # 50 MB of text in about 50 KB
    itxt = b"openbadgecredential\x00\x01\x00\x00\x00" + bomb
    baked = PNG_SIGNATURE + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"iTXt", itxt)
    with pytest.raises(HolderFileError, match="too large"):
        read_handed_over(baked)


runner = CliRunner()


@pytest.fixture(scope="module")
def jwks_file(kit: IssuerKit, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(kit.jwks))
    return path


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("certificate.pdf", render_certificate_pdf),
        ("badge.png", render_badge_png),
        ("badge.svg", render_badge_svg),
        ("qr.png", lambda d: render_qr_png(d.qr_text)),
        ("credential.jwt", lambda d: d.jws.encode()),
    ],
)
def test_tessera_verify_reads_what_the_holder_hands_over(
    document: CredentialDocument,
    jwks_file: Path,
    tmp_path: Path,
    name: str,
    render: Callable[[CredentialDocument], bytes],
) -> None:
    path = tmp_path / name
    path.write_bytes(render(document))
    result = runner.invoke(cli.app, [str(path), "--jwks", str(jwks_file), "--no-status"])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.stdout
    assert "张伟" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4\n%%EOF", "PDF cannot be opened"),
        (b"hello, this is a letter", "not a credential"),
        (b"\x89\x00\xff\xfe\x00 binary", "not a credential"),
    ],
)
def test_tessera_verify_says_in_one_line_what_it_cannot_read(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "handed-over.bin"
    path.write_bytes(content)
    result = runner.invoke(cli.app, [str(path), "--no-status"])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def _pdf_with_image_bomb(side: int) -> bytes:
    """A one-page PDF drawing a grey ``side`` x ``side`` image whose pixels compress to
    almost nothing: a decompression bomb for a renderer that decodes it."""
    packer = zlib.compressobj(9)
    row = b"\x00" * side
    stream = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (side, side, len(stream), stream),
        b"<< /Length 35 >>\nstream\nq 500 0 0 700 50 50 cm /Im1 Do Q\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_a_pdf_image_bomb_is_refused_before_rendering() -> None:
    with pytest.raises(HolderFileError, match="image larger than"):
        read_handed_over(_pdf_with_image_bomb(8000))  # 64 megapixels from about 60 KB
