"""The verify page before anything is verified: who issues, what to do, and five ways to do it.

A person lands here from the service's address or after a failed attempt. The page names the
issuer (the issuer's app passes its names and logo as an ``IssuerCard``; the standalone
verifier checks several issuers' credentials and names none), says in one line what to do
(scan the certificate's QR code with the phone's camera) and offers, in this order: this
device's camera, a file (a photo or screenshot of the QR code, the PDF certificate, a baked
badge, a ``.jwt`` file), a pasted link or credential, and the certificate number with the
holder's name (when the server can look numbers up).

Everything but the camera works without JavaScript: the camera section is ``hidden`` until
``landing.mjs`` finds ``navigator.mediaDevices`` and shows it. Its words travel in ``data-``
attributes, rendered here from the catalogues, so the script holds no text. Like
``verifier.web.page``: no template engine, no inline script or style, every value escaped.
Decision 0048.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Final

from verifier.holder_files import MAX_FILE_BYTES, HolderFileCode
from verifier.i18n import Lang, html_lang, language_links_html, say, say_html

LANDING_STYLESHEET: Final = "/verify/landing.css"
LANDING_SCRIPT: Final = "/verify/landing.mjs"
QR_DECODER: Final = "/verify/vendor/jsqr/jsQR.js"
ACCEPTED_FILES: Final = "image/*,application/pdf,.pdf,.png,.jpg,.jpeg,.svg,.jwt"
"""What the file chooser offers (``accept``): a phone offers its camera roll and files."""
CAMERA_POLICY: Final = "camera=(self), microphone=(), geolocation=()"
"""``Permissions-Policy`` of the page: the camera for this origin's own script, nothing else."""
FILE_MEGABYTES: Final = MAX_FILE_BYTES // (1024 * 1024)

# The words the camera script shows, by the data attribute that carries them.
SCAN_WORDS: Final = {
    "looking": "verify.landing.scan.looking",
    "not-yet": "verify.landing.scan.not_yet",
    "found": "verify.landing.scan.found",
    "no-camera": "verify.landing.scan.no_camera",
    "refused": "verify.landing.scan.refused",
    "failed": "verify.landing.scan.failed",
    "stopped": "verify.landing.scan.stopped",
}


@dataclass(frozen=True)
class IssuerCard:
    """The issuer a page names at its top: its names and, if it has one, its logo's URL."""

    name_zh: str
    name_en: str
    logo_url: str | None = None


@dataclass(frozen=True)
class LandingError:
    """Why the page is shown again: a catalogue key and its fields, said in the page's
    language."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


def file_error(code: HolderFileCode) -> LandingError:
    """The page's words for a file that held nothing to verify."""
    return LandingError(f"verify.landing.file.{code.value}", {"megabytes": FILE_MEGABYTES})


def _issuer_html(card: IssuerCard | None, lang: Lang) -> str:
    if card is None:
        return ""
    logo = f'<img class="logo" src="{escape(card.logo_url)}" alt="">' if card.logo_url else ""
    zh, en = escape(card.name_zh), escape(card.name_en)
    if lang is Lang.ZH or zh == en:
        names = zh
    elif lang is Lang.EN:
        names = en
    else:
        names = f'{zh} <span class="en" lang="en">{en}</span>'
    return f'<div class="issuer">{logo}<p class="names">{names}</p></div>'


def _scan_html(lang: Lang) -> str:
    words = " ".join(f'data-{name}="{escape(say(key, lang))}"' for name, key in SCAN_WORDS.items())
    return (
        f'<section id="scan" class="way" hidden aria-labelledby="scan-title" {words}>'
        f'<h2 id="scan-title">{say_html("verify.landing.scan.title", lang)}</h2>'
        f'<p class="hint">{say_html("verify.landing.scan.privacy", lang)}</p>'
        f'<button id="scan-start" type="button">{say_html("verify.landing.scan.start", lang)}'
        "</button>"
        f'<button id="scan-stop" type="button" class="secondary" hidden>'
        f"{say_html('verify.landing.scan.stop', lang)}</button>"
        '<p id="scan-status" role="status" aria-live="polite"></p>'
        '<video id="scan-video" muted playsinline hidden></video></section>'
    )


def _upload_html(action: str, lang: Lang) -> str:
    too_large = say("verify.landing.file.too_large", lang, megabytes=FILE_MEGABYTES)
    return (
        '<section id="upload" class="way" aria-labelledby="upload-title">'
        f'<h2 id="upload-title">{say_html("verify.landing.upload.title", lang)}</h2>'
        f'<form method="post" action="{escape(action)}" enctype="multipart/form-data">'
        f'<label for="file">{say_html("verify.landing.upload.label", lang)}</label>'
        f'<input id="file" name="file" type="file" required accept="{ACCEPTED_FILES}" '
        f'aria-describedby="file-hint" data-max-bytes="{MAX_FILE_BYTES}" '
        f'data-too-large="{escape(too_large)}">'
        f'<p id="file-hint" class="hint">'
        f"{say_html('verify.landing.upload.hint', lang, megabytes=FILE_MEGABYTES)}</p>"
        f'<button type="submit">{say_html("verify.landing.upload.submit", lang)}</button>'
        "</form></section>"
    )


def _paste_html(action: str, lang: Lang, submitted: str | None) -> str:
    return (
        '<section id="paste" class="way" aria-labelledby="paste-title">'
        f'<h2 id="paste-title">{say_html("verify.landing.paste.title", lang)}</h2>'
        f'<form method="post" action="{escape(action)}">'
        f'<label for="credential">{say_html("verify.landing.paste.label", lang)}</label>'
        '<textarea id="credential" name="credential" required spellcheck="false" '
        f'autocapitalize="off">{escape(submitted or "")}</textarea>'
        f'<button type="submit">{say_html("verify.landing.paste.submit", lang)}</button>'
        "</form></section>"
    )


def _lookup_html(action: str, lang: Lang, typed: tuple[str, str] | None) -> str:
    number, name = (escape(value) for value in (typed or ("", "")))
    return (
        '<section id="lookup" class="way" aria-labelledby="lookup-title">'
        f'<h2 id="lookup-title">{say_html("verify.landing.lookup.title", lang)}</h2>'
        f'<form method="post" action="{escape(action)}">'
        f'<label for="certificate_number">{say_html("verify.landing.lookup.number", lang)}'
        "</label>"
        '<input id="certificate_number" name="certificate_number" required maxlength="64" '
        'autocomplete="off" autocapitalize="characters" spellcheck="false" '
        f'value="{number}">'
        f'<label for="holder_name">{say_html("verify.landing.lookup.name", lang)}</label>'
        '<input id="holder_name" name="holder_name" required maxlength="200" '
        f'autocomplete="off" spellcheck="false" value="{name}">'
        f'<button type="submit">{say_html("verify.landing.lookup.submit", lang)}</button>'
        "</form></section>"
    )


def render_landing_page(
    lang: Lang,
    *,
    path: str = "/verify",
    issuer: IssuerCard | None = None,
    lookup: bool = False,
    error: LandingError | None = None,
    submitted: str | None = None,
    looked_up: tuple[str, str] | None = None,
    chosen: bool = False,
) -> str:
    """The landing page in ``lang``; ``error`` says why it is shown again, with what was
    ``submitted`` or ``looked_up`` refilled. ``chosen``: the language was asked for with
    ``?lang=``, so the forms keep asking for it."""
    action = f"{path}?lang={lang.value}" if chosen else path
    message = (
        f'<p class="error" role="alert">{say_html(error.key, lang, **error.values)}</p>'
        if error is not None
        else ""
    )
    ways = [
        _scan_html(lang),
        _upload_html(action, lang),
        _paste_html(action, lang, submitted),
    ]
    if lookup:
        ways.append(_lookup_html(action, lang, looked_up))
    batch = (
        f'<p><a href="{escape(path)}/batch">{say_html("verify.landing.batch", lang)}</a></p>'
        f'<p><a href="/ask?lang={lang.value}">{say_html("ask.from_verify", lang)}</a></p>'
        if lookup  # the Tessera app, which also verifies many at once and asks wallets
        else ""
    )
    title = escape(say("verify.landing.title", lang, sep=" "))
    return (
        f'<!DOCTYPE html><html lang="{html_lang(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{title}</title>"
        '<link rel="stylesheet" href="/verify/verify.css">'
        f'<link rel="stylesheet" href="{LANDING_STYLESHEET}">'
        f'<script type="module" src="{LANDING_SCRIPT}"></script></head>'
        f'<body><main class="landing">{language_links_html(path, lang)}'
        f"{_issuer_html(issuer, lang)}"
        f"<h1>{say_html('verify.landing.title', lang)}</h1>"
        f'<p class="lead">{say_html("verify.landing.lead", lang)}</p>{message}'
        f'<p class="ways">{say_html("verify.landing.ways", lang)}</p>'
        f"{''.join(ways)}{batch}"
        "<footer><p>Tessera · W3C Verifiable Credentials 2.0 · Open Badges 3.0</p></footer>"
        "</main></body></html>"
    )
