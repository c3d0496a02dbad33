"""Benchmark: QR codes that carry the credential (issue 7), over the whole demo campaign.

Run: .venv/bin/python bench/qr.py [--samples 200] [--base-url https://certs.example.org]

Issues the 1,391 demo credentials into a temporary SQLite database, then reports:
  versions   the QR version (ECC M) of every credential's packed verify URL: min, median,
             max and the histogram; beside it the version the bare compact JWS would need in
             byte mode, the naive alternative
  packing    pack and unpack per credential (median)
  rendering  PNG (8 px a module, 4-module quiet zone) and SVG of the same packed texts with
             the ``qrcode`` package (the baseline, as the QR module rendered before issue 7)
             and with ``issuer.credentials.qr`` (zxing-cpp's writer), interleaved in the same
             run; the speed-up is baseline median / new median. Both must give the same version and
             both PNGs must decode (zxing-cpp) to the text, or the run stops.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import qrcode
import qrcode.constants
import zxingcpp
from PIL import Image
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage

from issuer.campaigns.demo import load_demo
from issuer.credentials.issuance import IssuerIdentity
from issuer.credentials.qr import (
    credential_qr_version,
    qr_text,
    qr_version,
    render_qr_png,
    render_qr_svg,
)
from issuer.keys.keystore import generate_private_key
from issuer.keys.signer import Signer
from issuer.store import migration
from issuer.store.engine import create_db_engine, create_session_factory, session_scope
from issuer.store.models import Credential, SigningKey
from verifier.jwk import jwk_from_public_key
from verifier.qr_packing import pack_credential, unpack_credential

ISSUER_NAME = (  # the default TESSERA_ISSUER_NAME
    "朔方稀土集团职业技能等级认定中心 / "
    "Shuofang Rare Earth Group Vocational Skills Certification Centre"
)
# Byte-mode capacity at ECC M, versions 1..40 (ISO/IEC 18004 Table 7).
BYTE_CAPACITY_M = (
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624,
    666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809,
    1911, 1989, 2099, 2213, 2331,
)  # fmt: skip


def issue_campaign(workdir: Path, base_url: str) -> list[str]:
    engine = create_db_engine(f"sqlite:///{workdir / 'bench-qr.db'}")
    migration.upgrade(engine)
    sessions = create_session_factory(engine)
    key = generate_private_key("ES256")
    jwk = jwk_from_public_key(key.public_key())
    signer = Signer(kid=jwk["kid"], algorithm="ES256", private_key=key)
    now = dt.datetime.now(dt.UTC)
    with session_scope(sessions) as session:
        session.add(
            SigningKey(
                kid=signer.kid, algorithm="ES256", public_jwk=jwk, state="active", created_at=now
            )
        )
    issuer = IssuerIdentity(base_url=base_url, name=ISSUER_NAME, signer=signer)
    with session_scope(sessions) as session:
        load_demo(session, issuer=issuer, now=now)
    with sessions() as session:
        tokens = [row.jws for row in session.query(Credential)]
    engine.dispose()
    return tokens


def naive_version(text: str) -> int | str:
    size = len(text.encode())
    return next((v for v, cap in enumerate(BYTE_CAPACITY_M, 1) if size <= cap), "none (>40)")


def _baseline(text: str, factory: type) -> tuple[bytes, int]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=8)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    buffer = io.BytesIO()
    image = code.make_image(image_factory=factory)
    if factory is PilImage:
        image.save(buffer, format="PNG")
    else:
        image.save(buffer)
    return buffer.getvalue(), int(code.version)


P = ParamSpec("P")
R = TypeVar("R")


def _timed(action: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> tuple[float, R]:
    start = time.perf_counter()
    result = action(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--base-url", default="https://certs.example.org")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tokens = issue_campaign(Path(tmp), args.base_url)
    versions = [credential_qr_version(args.base_url, t) for t in tokens]
    longest = max(tokens, key=len)
    naive = naive_version(f"{args.base_url}/c#{longest}")
    histogram = collections.Counter(versions)
    print(f"credentials             {len(tokens)}  base URL {args.base_url}")
    print(
        f"QR version (ECC M)      min {min(versions)}  median {statistics.median(versions):g}  "
        f"max {max(versions)}  (target <= 20, refused above 22)"
    )
    print(
        "histogram               " + "  ".join(f"v{v}: {n}" for v, n in sorted(histogram.items()))
    )
    print(f"bare JWS in byte mode   {len(longest)} chars -> version {naive} (longest credential)")
    pack_times = []
    unpack_times = []
    for token in tokens:
        elapsed, packed = _timed(pack_credential, token)
        pack_times.append(elapsed)
        elapsed, unpacked = _timed(unpack_credential, packed)
        unpack_times.append(elapsed)
        assert unpacked == token
    print(
        f"pack / unpack           {statistics.median(pack_times) * 1e6:.0f} / "
        f"{statistics.median(unpack_times) * 1e6:.0f} µs median per credential"
    )
    step = max(1, len(tokens) // args.samples)
    texts = [qr_text(args.base_url, t) for t in tokens[::step][: args.samples]]
    times: dict[str, list[float]] = collections.defaultdict(list)
    for text in texts:
        elapsed, (png, version) = _timed(_baseline, text, PilImage)
        times["qrcode png"].append(elapsed)
        elapsed, new_png = _timed(render_qr_png, text)
        times["zxing png"].append(elapsed)
        times["qrcode svg"].append(_timed(_baseline, text, SvgPathImage)[0])
        times["zxing svg"].append(_timed(render_qr_svg, text)[0])
        assert version == qr_version(text), "baseline and new writer disagree on the version"
        for image in (png, new_png):
            decoded = zxingcpp.read_barcodes(
                Image.open(io.BytesIO(image)),
                formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
            )
            assert [r.text for r in decoded] == [text]
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    print(
        f"rendering ({len(texts)} texts of {len(texts[0])}-{max(map(len, texts))} chars, medians)"
    )
    for kind in ("png", "svg"):
        old, new = medians[f"qrcode {kind}"], medians[f"zxing {kind}"]
        print(
            f"  {kind.upper()}  qrcode {old:7.2f} ms   issuer.credentials.qr {new:6.2f} ms   "
            f"speed-up {old / new:5.1f}x  (target >= 3x)"
        )


if __name__ == "__main__":
    main()
