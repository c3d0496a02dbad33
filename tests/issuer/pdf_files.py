"""Reading the PDFs Tessera prints with software it did not write: poppler, zbar and PDFium."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest

from verifier.holder_files import PDFIUM_LOCK

PACKAGES = {"pdftotext": "poppler-utils", "pdftoppm": "poppler-utils", "pdfinfo": "poppler-utils"}
PACKAGES |= {"pdffonts": "poppler-utils", "pdfimages": "poppler-utils", "zbarimg": "zbar-tools"}


def debian_tool(name: str) -> str:
    """The path of a command from a Debian package: fails in CI, skips elsewhere, if absent."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} (Debian package '{PACKAGES[name]}') is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PDF tests: {message}")
        pytest.skip(message)
    return path


def run(*command: str, cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


@dataclass(frozen=True)
class Word:
    """A word ``pdftotext -bbox`` found, in points from the page's top-left corner."""

    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
_PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.DOTALL)


def pages_of_words(pdf: Path) -> list[list[Word]]:
    """Every word of every page of ``pdf`` with its bounding box (poppler's ``pdftotext``)."""
    out = run(debian_tool("pdftotext"), "-bbox", "-enc", "UTF-8", pdf.name, "-", cwd=pdf.parent)
    return [
        [
            Word(html.unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3]))
            for m in _WORD.findall(page)
        ]
        for page in _PAGE.findall(out)
    ]


def image_count(pdf: bytes) -> int:
    """Image objects on the first page, counted by PDFium (an alpha mask is not one)."""
    with PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(pdf)
        try:
            page = document[0]
            count = len(list(page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE])))
            page.close()
        finally:
            document.close()
    return count
