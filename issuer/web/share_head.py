"""The share page's ``<head>``: what a chat app shows when the link is pasted into it.

Holders in China share through WeChat, which has no web share API for other sites: a link
reaches WeChat by being copied into a chat or scanned from a QR code, and the chat shows a
card drawn from the page. WeChat's own browser reads the schema.org ``itemprop`` tags
(``name``, ``description``, ``image``) and else the first large image on the page; other
apps (LinkedIn, Slack, Telegram, iMessage, X) read OpenGraph (``og:*``) and ``twitter:*``.
So the page carries all three, with the same words: the occupation and level as the title,
the issuer, certificate number and the verify page's verdict as the description, and the
wallet card's front as the picture, served by this server (``/s/{token}/preview.png``).
Search engines are told not to index (``robots: noindex``, beside the ``X-Robots-Tag``
header): a share link is for the people it is handed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from issuer.documents.share_preview import PREVIEW_SIZE
from verifier.i18n import Lang, html_lang


@dataclass(frozen=True)
class Preview:
    """What a link preview shows; ``image_url`` is absolute, or None when none is offered."""

    title: str
    description: str
    page_url: str
    site_name: str
    image_url: str | None
    image_alt: str


def _meta(attribute: str, name: str, content: str) -> str:
    return f'<meta {attribute}="{escape(name)}" content="{escape(content)}">'


def preview_tags(preview: Preview, lang: Lang) -> str:
    """``description``, OpenGraph, Twitter card and schema.org tags for ``preview``."""
    tags = [
        _meta("name", "description", preview.description),
        _meta("property", "og:type", "website"),
        _meta("property", "og:site_name", preview.site_name),
        _meta("property", "og:title", preview.title),
        _meta("property", "og:description", preview.description),
        _meta("property", "og:url", preview.page_url),
        _meta("property", "og:locale", "en_US" if lang is Lang.EN else "zh_CN"),
        _meta("itemprop", "name", preview.title),
        _meta("itemprop", "description", preview.description),
        _meta("name", "twitter:title", preview.title),
        _meta("name", "twitter:description", preview.description),
    ]
    if preview.image_url is None:
        tags.append(_meta("name", "twitter:card", "summary"))
    else:
        width, height = PREVIEW_SIZE
        tags += [
            _meta("property", "og:image", preview.image_url),
            _meta("property", "og:image:type", "image/png"),
            _meta("property", "og:image:width", str(width)),
            _meta("property", "og:image:height", str(height)),
            _meta("property", "og:image:alt", preview.image_alt),
            _meta("itemprop", "image", preview.image_url),
            _meta("name", "twitter:card", "summary_large_image"),
            _meta("name", "twitter:image", preview.image_url),
        ]
    return "".join(tags)


def head_html(title: str, lang: Lang, preview: Preview | None = None) -> str:
    """The document up to ``<body>``: charset, viewport, no referrer, no indexing, the
    stylesheet and the copy-link script (both this server's files), and the preview tags."""
    itemscope = ' itemscope itemtype="https://schema.org/WebPage"' if preview else ""
    return (
        f'<!doctype html><html lang="{html_lang(lang)}"{itemscope}><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title>"
        f"{preview_tags(preview, lang) if preview else ''}"
        '<link rel="stylesheet" href="/s/share.css"><script src="/s/share.js" defer></script>'
        "</head>"
    )
