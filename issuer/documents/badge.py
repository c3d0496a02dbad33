"""Baked Open Badges 3.0 images: the signed credential inside a PNG or an SVG (OB docformat).

- PNG: one uncompressed ``iTXt`` chunk, keyword ``openbadgecredential``, text the compact
  JWS, placed right after ``IHDR``; an existing one is replaced, so there is only ever one.
- SVG: ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the root and
  ``<openbadges:credential verify="<JWS>"/>`` as its first child.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from html import escape
from importlib import resources
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from issuer.documents.credential_document import CredentialDocument

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SIZE = 512
LEVEL_COLOURS = {"junior": "#1d5f8a", "intermediate": "#7a4b00", "senior": "#8f1117"}


class BadgeFormatError(ValueError):
    """The bytes are not a PNG this module can read or bake."""


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    if not png.startswith(PNG_SIGNATURE):
        raise BadgeFormatError("not a PNG")
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(png):
        if offset + 8 > len(png):
            raise BadgeFormatError("truncated PNG")
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        chunks.append((kind, png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def bake_png(png: bytes, jws: str) -> bytes:
    """``png`` with exactly one uncompressed ``openbadgecredential`` iTXt chunk holding ``jws``."""
    # iTXt: keyword, NUL, compression flag 0, method 0, empty language, NUL, empty
    # translated keyword, NUL, UTF-8 text (PNG 1.2 §11.3.4.5).
    itxt = KEYWORD + b"\x00\x00\x00" + b"\x00" + b"\x00" + jws.encode("utf-8")
    out = [PNG_SIGNATURE]
    for kind, data in _chunks(png):
        if kind == b"iTXt" and data.split(b"\x00", 1)[0] == KEYWORD:
            continue
        out.append(_chunk(kind, data))
        if kind == b"IHDR":
            out.append(_chunk(b"iTXt", itxt))
    return b"".join(out)


def read_baked_png(png: bytes) -> list[str]:
    """Every ``openbadgecredential`` text in ``png`` (a well-baked badge has exactly one)."""
    found = []
    for kind, data in _chunks(png):
        if kind != b"iTXt":
            continue
        keyword, _, rest = data.partition(b"\x00")
        if keyword != KEYWORD or rest[:1] != b"\x00":
            continue
        _language, _, rest = rest[2:].partition(b"\x00")
        _translated, _, text = rest.partition(b"\x00")
        found.append(text.decode("utf-8"))
    return found


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    path = Path(
        str(resources.files("issuer.documents").joinpath("fonts/DroidSansFallbackFull.ttf"))
    )
    return ImageFont.truetype(str(path), size)


def _latin(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def render_badge_png(document: CredentialDocument) -> bytes:
    """A 512 x 512 badge image in the level's colour, baked with the credential."""
    colour = LEVEL_COLOURS.get(document.level_code, "#333333")
    image = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, SIZE - 8, SIZE - 8), fill=colour)
    draw.ellipse((34, 34, SIZE - 34, SIZE - 34), outline="white", width=6)
    centre = SIZE // 2
    name_size = (
        58 if len(document.occupation_zh) <= 6 else max(30, 360 // len(document.occupation_zh))
    )
    draw.text(
        (centre, 190), document.occupation_zh, font=_font(name_size), fill="white", anchor="mm"
    )
    draw.text((centre, 275), document.level_zh, font=_font(64), fill="white", anchor="mm")
    draw.text((centre, 345), document.level_en.upper(), font=_latin(30), fill="white", anchor="mm")
    draw.text((centre, 395), document.occupation_code, font=_latin(26), fill="white", anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return bake_png(buffer.getvalue(), document.jws)


def render_badge_svg(document: CredentialDocument) -> bytes:
    """The same badge as SVG, with ``<openbadges:credential verify="...">`` (OB docformat)."""
    colour = LEVEL_COLOURS.get(document.level_code, "#333333")
    text = 'fill="#fff" text-anchor="middle" font-family="sans-serif"'
    svg = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB_NAMESPACE}" '
        f'width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" role="img" '
        f'aria-label="{escape(document.achievement_name)}">\n'
        f'<openbadges:credential verify="{escape(document.jws)}"></openbadges:credential>\n'
        f"<title>{escape(document.achievement_name)}</title>\n"
        f'<circle cx="256" cy="256" r="248" fill="{colour}"/>\n'
        f'<circle cx="256" cy="256" r="222" fill="none" stroke="#fff" stroke-width="6"/>\n'
        f'<text x="256" y="205" font-size="48" {text}>{escape(document.occupation_zh)}</text>\n'
        f'<text x="256" y="295" font-size="64" {text}>{escape(document.level_zh)}</text>\n'
        f'<text x="256" y="355" font-size="30" {text}>{escape(document.level_en.upper())}</text>\n'
        f'<text x="256" y="405" font-size="26" {text}>{escape(document.occupation_code)}</text>\n'
        "</svg>\n"
    )
    return svg.encode("utf-8")
