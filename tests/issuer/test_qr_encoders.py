"""The two QR encoders (decision 0016): zxing-cpp's writer and the pure-Python ``qrcode``.

For real credentials' packed verify URLs both must draw the version ``version_for`` computes,
at error correction M, and decode to the exact text. The version is read from the symbol's
side, the level from its format information (both copies, BCH-checked), and the text with
two independent readers: zxing-cpp's reader and zbar (``zbarimg``, Debian's zbar-tools).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from issuer.app import create_app
from issuer.config import Settings, load_settings
from issuer.credentials import qr
from issuer.credentials.qr import (
    QUIET_ZONE,
    credential_qr_version,
    current_encoder,
    qr_matrix,
    render_qr_png,
    render_qr_svg,
    use_encoder,
)
from issuer.errors import ConfigurationError
from issuer.services import Services
from tests.helpers import BASE_URL, PASSPHRASE
from tests.issuer.helpers import issue_body, load_catalog, svg_to_image
from tests.verifier.kit import IssuerKit, new_ed25519
from verifier.qr_packing import packed_verify_url

QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
ENCODERS = ("zxing", "qrcode")
_FORMAT_MASK = 0x5412
_ECC_OF_BITS = {0b00: "M", 0b01: "L", 0b10: "H", 0b11: "Q"}


@pytest.fixture(autouse=True)
def _own_encoder_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a process that chose nothing; the choice is undone afterwards."""
    monkeypatch.setattr(qr, "_encoder", None)


def _es256(base: str) -> tuple[str, str]:
    kit = IssuerKit(base=base)
    return base, kit.token()


def _eddsa_digits_in_prefix(base: str) -> tuple[str, str]:
    kit = IssuerKit(base=base, key=new_ed25519())
    return base, kit.token()


def _long_holder(base: str) -> tuple[str, str]:
    kit = IssuerKit(base=base)
    payload = kit.credential()
    identifiers = payload["credentialSubject"]["identifier"]
    identifiers[0]["identityHash"] = "欧阳" + "".join(chr(0x4E00 + 37 * i) for i in range(30))
    identifiers[1]["identityHash"] = "EMP-2026-Q4-" + "7" * 20
    return base, kit.token(payload)


def _generic_header(base: str) -> tuple[str, str]:
    kit = IssuerKit(base=base)
    return base, kit.token(typ=None, cty="vc")  # packing form 3: any other header


def _small(base: str) -> tuple[str, str]:
    kit = IssuerKit(base=base)
    return base, kit.token({"iss": base, "jti": "urn:uuid:0"})  # below version 10


def _oversized(base: str) -> tuple[str, str]:
    kit = IssuerKit(base=base)
    payload = kit.credential()
    payload["credentialSubject"]["achievement"]["description"] = "".join(
        chr(0x4E00 + (i * 7919) % 20000) for i in range(240)
    )  # past version 26: refused at issuance, yet both encoders must still agree
    return base, kit.token(payload)


CREDENTIALS: dict[str, Callable[[], tuple[str, str]]] = {
    "small": lambda: _small("https://issuer.test"),
    "oversized": lambda: _oversized("https://certs.example.org"),
    "es256": lambda: _es256("https://certs.example.org"),
    "eddsa, digits in the prefix": lambda: _eddsa_digits_in_prefix("http://127.0.0.1:8000"),
    "long holder, path in the base": lambda: _long_holder("https://skills.example.com/tessera"),
    "generic header": lambda: _generic_header("https://issuer.test"),
}


@pytest.fixture(scope="module", params=sorted(CREDENTIALS))
def credential(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(base URL, compact JWS) of one credential."""
    return CREDENTIALS[request.param]()


def _format_bits(side: int, pixels: bytes) -> tuple[int, int]:
    """Both copies of the 15 format bits (bit 0 first), from the symbol without quiet zone."""
    n = side - 2 * QUIET_ZONE

    def dark(row: int, col: int) -> int:
        return int(pixels[(row + QUIET_ZONE) * side + col + QUIET_ZONE] == 0)

    # ISO/IEC 18004 §7.9.1, Figure 25: around the top-left finder, and split between the
    # other two finders.
    first = [(r, 8) for r in (0, 1, 2, 3, 4, 5, 7, 8)] + [(8, c) for c in (7, 5, 4, 3, 2, 1, 0)]
    second = [(8, n - 1 - i) for i in range(8)] + [(n - 7 + i, 8) for i in range(7)]
    copies = [sum(dark(*at) << i for i, at in enumerate(places)) for places in (first, second)]
    return copies[0], copies[1]


def _format_word(ecc_bits: int, mask: int) -> int:
    """The masked BCH(15,5) format word of a level and a mask pattern."""
    data = (ecc_bits << 3 | mask) << 10
    remainder = data
    for shift in range(14, 9, -1):
        if remainder >> shift & 1:
            remainder ^= 0x537 << (shift - 10)
    return (data | remainder) ^ _FORMAT_MASK


def _symbol(text: str) -> tuple[int, str]:
    """(version, error-correction level) of the symbol the process's encoder draws."""
    side, pixels = qr_matrix(text)
    assert len(pixels) == side * side
    assert set(pixels) <= {0, 255}
    first, second = _format_bits(side, pixels)
    assert first == second, "the two copies of the format information differ"
    ecc_bits = (first ^ _FORMAT_MASK) >> 13
    assert first == _format_word(ecc_bits, (first ^ _FORMAT_MASK) >> 10 & 7), "BCH check"
    version, rest = divmod(side - 2 * QUIET_ZONE - 17, 4)
    assert rest == 0
    return version, _ECC_OF_BITS[ecc_bits]


def _zbar(png: bytes, workdir: Path) -> list[str]:
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        message = "zbarimg (Debian package 'zbar-tools') is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"CI must decode with a second reader: {message}")
        pytest.skip(message)
    path = workdir / "qr.png"
    path.write_bytes(png)
    result = subprocess.run(
        [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stdout.splitlines()


def _read(png: bytes) -> list[zxingcpp.Barcode]:
    return list(zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=QR))


@pytest.mark.parametrize("encoder", ENCODERS)
def test_each_encoder_draws_the_computed_version_at_ecc_m_and_the_exact_text(
    credential: tuple[str, str], encoder: str, tmp_path: Path
) -> None:
    base, token = credential
    text = packed_verify_url(base, token)
    assert use_encoder(encoder).name == encoder
    assert current_encoder().name == encoder  # selected explicitly, even with zxing-cpp here
    version, ecc = _symbol(text)
    assert (version, ecc) == (credential_qr_version(base, token), "M")
    png = render_qr_png(text, module_pixels=4)
    [read] = _read(png)
    extra: dict[str, str] = read.extra  # type: ignore[assignment]  # the stub says object
    assert (read.text, read.ec_level, extra["Version"]) == (text, "M", str(version))
    assert _zbar(png, tmp_path) == [text]
    svg = render_qr_svg(text)
    assert [r.text for r in zxingcpp.read_barcodes(svg_to_image(svg), formats=QR)] == [text]


def test_both_encoders_agree_on_every_credential() -> None:
    for make in CREDENTIALS.values():
        base, token = make()
        text = packed_verify_url(base, token)
        symbols = {name: _symbol_with(name, text) for name in ENCODERS}
        assert symbols["zxing"] == symbols["qrcode"], (base, symbols)


def _symbol_with(name: str, text: str) -> tuple[int, str, str]:
    use_encoder(name)
    version, ecc = _symbol(text)
    [read] = _read(render_qr_png(text, module_pixels=4))
    return version, ecc, read.text


def test_a_process_that_chooses_nothing_gets_auto() -> None:
    assert current_encoder().name == "zxing"  # zxing-cpp is installed here


def test_auto_falls_back_to_qrcode_when_zxing_cpp_cannot_be_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, token = CREDENTIALS["es256"]()
    text = packed_verify_url(base, token)
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "zxingcpp", None)  # `import zxingcpp` raises ImportError
        assert use_encoder("auto").name == "qrcode"
        png = render_qr_png(text)
        version, ecc = _symbol(text)
    assert (version, ecc) == (credential_qr_version(base, token), "M")
    assert [r.text for r in _read(png)] == [text]


def test_asking_for_zxing_without_it_is_a_one_line_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    with pytest.raises(ConfigurationError, match="TESSERA_QR_ENCODER=zxing") as caught:
        use_encoder("zxing")
    assert "\n" not in str(caught.value)
    assert qr._encoder is None  # nothing was chosen


def test_the_setting_accepts_the_three_choices_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TESSERA_QR_ENCODER", raising=False)
    assert load_settings().qr_encoder == "auto"
    for name in ("auto", "zxing", "qrcode"):
        assert load_settings(qr_encoder=name).qr_encoder == name
    with pytest.raises(ConfigurationError, match="qr_encoder"):
        load_settings(qr_encoder="pure-python")


@pytest.mark.usefixtures("services")  # a migrated database with a key
def test_the_cli_chooses_at_start_up_and_fails_in_one_line(
    settings: Settings, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(
        TESSERA_DATABASE_URL=settings.database_url,
        TESSERA_KEYS_DIR=str(settings.keys_dir),
        TESSERA_KEY_PASSPHRASE=PASSPHRASE,
        TESSERA_BASE_URL=BASE_URL,
    )
    # The tessera command, on a platform where zxing-cpp cannot be imported.
    without_zxing = (
        "import sys; sys.modules['zxingcpp'] = None; sys.argv[0] = 'tessera'; "
        "from issuer.cli.main import main; main()"
    )

    def tessera(encoder: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", without_zxing, "keys", "list"],
            capture_output=True, text=True, env={**env, "TESSERA_QR_ENCODER": encoder},
            cwd=tmp_path, timeout=60, check=False,
        )  # fmt: skip

    refused = tessera("zxing")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.startswith("error: TESSERA_QR_ENCODER=zxing but zxing-cpp cannot")
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    started = tessera("auto")
    assert started.returncode == 0, started.stderr
    assert "ES256" in started.stdout


@pytest.fixture
def qrcode_client(settings: Settings, services: Services) -> Iterator[TestClient]:
    chosen = settings.model_copy(update={"qr_encoder": "qrcode"})
    with TestClient(create_app(chosen, services=services)) as test_client:
        yield test_client


def test_the_app_draws_png_and_certificate_with_the_encoder_it_was_configured_with(
    qrcode_client: TestClient,
    services: Services,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    assert current_encoder().name == "qrcode"
    load_catalog(services)
    response = qrcode_client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    api = f"/api/v1/credentials/{body['id']}"
    png = qrcode_client.get(f"{api}/qr.png", headers=admin_headers).content
    assert [r.text for r in _read(png)] == [body["qr_text"]]
    assert _zbar(png, tmp_path) == [body["qr_text"]]
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        message = "pdftoppm (Debian package 'poppler-utils') is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"CI must check the certificate: {message}")
        pytest.skip(message)
    pdf = qrcode_client.get(f"{api}/certificate.pdf", headers=admin_headers)
    assert pdf.status_code == 200
    (tmp_path / "certificate.pdf").write_bytes(pdf.content)
    subprocess.run(
        [pdftoppm, "-r", "200", "-gray", "-png", "-singlefile", "certificate.pdf", "page"],
        cwd=tmp_path, check=True, timeout=60,
    )  # fmt: skip
    page = Image.open(tmp_path / "page.png")
    assert [r.text for r in zxingcpp.read_barcodes(page, formats=QR)] == [body["qr_text"]]
