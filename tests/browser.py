"""Debian's chromium for the browser tests, driven by Playwright."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} (Debian package 'chromium') is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {message}")
    pytest.skip(f"browser test skipped: {message}")


BOTH_LANGUAGES = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
"""A reader of both Chinese and English: the public pages show both together (decision 0047);
Chromium alone asks for ``en-US`` only, which chooses English."""


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in a screenshot, read by zxing-cpp (a decoder we did not
    write). zxing-cpp may report one code twice (found at two scales); two texts fail."""
    import zxingcpp

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    texts = {str(code.text) for code in found}
    assert len(texts) == 1, [code.text for code in found]
    return texts.pop()
