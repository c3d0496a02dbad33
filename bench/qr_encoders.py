"""Benchmark: the two QR encoders of ``issuer.credentials.qr`` on one credential (decision 0016).

Run: .venv/bin/python bench/qr_encoders.py [--base-url https://certs.example.org]

Issues the demo campaign (as bench/qr.py does), takes the credential of median packed length,
and times the symbol alone (``qr_matrix``) and the PNG (``render_qr_png``) with zxing-cpp's
writer and with the pure-Python ``qrcode`` package, in the same run (timeit, best of 7
rounds). Both must draw the same version.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import timeit
from pathlib import Path

from qr import issue_campaign  # bench/qr.py: the same campaign

from issuer.credentials.qr import (
    credential_qr_version,
    qr_matrix,
    qr_text,
    qr_version,
    render_qr_png,
    use_encoder,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="https://certs.example.org")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tokens = issue_campaign(Path(tmp), args.base_url)
    token = sorted(tokens, key=lambda t: len(qr_text(args.base_url, t)))[len(tokens) // 2]
    text = qr_text(args.base_url, token)
    version = credential_qr_version(args.base_url, token)
    print(f"one credential          {len(text)} chars, version {version} (ECC M)")
    best: dict[tuple[str, str], float] = {}
    for name in ("zxing", "qrcode"):
        use_encoder(name)
        assert qr_version(text) == version, f"{name} draws another version"
        for what, action in (("symbol", qr_matrix), ("PNG", render_qr_png)):
            rounds = timeit.repeat(functools.partial(action, text), number=5, repeat=7)
            best[name, what] = min(rounds) / 5
    for what in ("symbol", "PNG"):
        fast, slow = best["zxing", what], best["qrcode", what]
        print(
            f"  {what:<6}  zxing {fast * 1e3:6.2f} ms   qrcode {slow * 1e3:6.2f} ms   "
            f"ratio {slow / fast:4.1f}x"
        )


if __name__ == "__main__":
    main()
