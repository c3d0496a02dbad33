"""The employer's pages: ask a holder's wallet for the certificate (``/ask``), and the result.

The form offers the claims of ``issuer.credentials.presentation_request.Claim`` (occupation
and level ticked); the result page shows the QR code and the wallet link while the request
waits, refreshing itself every few seconds (``<meta http-equiv="refresh">``: no script, so
the strict CSP holds), then the verdict in the verify page's words (``verifier.words``) and
only the asked-for claims that were disclosed, named with the certificate's field labels
(``verifier.labels``). Every word comes from the catalogues (keys ``ask.*``); every value
goes through ``html.escape``. Styles are the verify page's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Final

from issuer.credentials.presentation_request import Claim, RequestState
from issuer.web.share_page import pair_text
from verifier import labels
from verifier.i18n import Lang, html_lang, language_links_html, say, say_html
from verifier.result import CredentialStatus
from verifier.words import REASONS, VERDICTS

REFRESH_SECONDS: Final = 3
ASK_PATH: Final = "/ask"

CLAIM_LABELS: Final = {
    Claim.OCCUPATION: labels.OCCUPATION,
    Claim.LEVEL: labels.LEVEL,
    Claim.HOLDER_NAME: labels.HOLDER_NAME,
    Claim.EMPLOYEE_NUMBER: labels.EMPLOYEE_NUMBER,
    Claim.EXAM_SESSION: labels.EXAM_SESSION,
    Claim.SCORE: labels.SCORE,
}
"""The field label each disclosed claim is shown with (the certificate's own words)."""

CLAIM_CHOICES: Final = {
    Claim.OCCUPATION: "ask.claim.occupation",
    Claim.LEVEL: "ask.claim.level",
    Claim.HOLDER_NAME: "ask.claim.holder_name",
    Claim.EMPLOYEE_NUMBER: "ask.claim.employee_number",
    Claim.EXAM_SESSION: "ask.claim.exam_session",
    Claim.SCORE: "ask.claim.score",
}
"""The words of each box on the form."""


@dataclass(frozen=True)
class ResultView:
    """One rendering of the result page."""

    state: RequestState
    asked: Sequence[Claim]
    lang: Lang
    path: str  # this page's path (with the secret token)
    wallet_link: str
    expires_at: dt.datetime
    verdict: CredentialStatus | None = None
    reason: str | None = None
    disclosed: Mapping[str, Any] | None = None


def _page(title_key: str, lang: Lang, path: str, body: str, *, refresh: bool = False) -> str:
    title = escape(say(title_key, lang, sep=" "))
    meta = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else ""
    return (
        f'<!DOCTYPE html><html lang="{html_lang(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="robots" content="noindex">'
        f"{meta}<title>{title}</title>"
        '<link rel="stylesheet" href="/verify/verify.css">'
        '<link rel="stylesheet" href="/verify/landing.css"></head>'
        f'<body><main class="landing">{language_links_html(path, lang)}'
        f"<h1>{say_html(title_key, lang)}</h1>{body}"
        "<footer><p>Tessera · OpenID4VP 1.0 · SD-JWT VC</p></footer>"
        "</main></body></html>"
    )


def render_ask_page(lang: Lang, *, chosen: Sequence[Claim], error: bool = False) -> str:
    """The form: which claims to ask for."""
    action = f"{ASK_PATH}?lang={lang.value}"
    boxes = "".join(
        f'<p><label><input type="checkbox" name="claim" value="{claim.value}"'
        f"{' checked' if claim in chosen else ''}> {say_html(key, lang)}</label></p>"
        for claim, key in CLAIM_CHOICES.items()
    )
    message = (
        f'<p class="error" role="alert">{say_html("ask.error.none", lang)}</p>' if error else ""
    )
    body = (
        f'<p class="lead">{say_html("ask.lead", lang)}</p>{message}'
        f'<section class="way" aria-labelledby="claims-title">'
        f'<form method="post" action="{escape(action)}">'
        f'<fieldset><legend id="claims-title">{say_html("ask.claims", lang)}</legend>'
        f"{boxes}</fieldset>"
        f'<button type="submit">{say_html("ask.submit", lang)}</button></form></section>'
    )
    return _page("ask.title", lang, ASK_PATH, body)


def _value_html(value: Any, lang: Lang) -> str:
    if isinstance(value, Mapping):  # an occupation or level: its code and names
        zh = str(value.get("name_zh") or value.get("code") or "")
        en = str(value.get("name_en") or zh)
        if lang is Lang.EN and en:
            return escape(en)
        if lang is Lang.ZH or not en or zh == en:
            return escape(zh or en)
        return f'{escape(zh)} <span class="en" lang="en">{escape(en)}</span>'
    return escape(str(value))


def _verdict_html(view: ResultView) -> str:
    status = view.verdict or CredentialStatus.UNREADABLE
    verdict = VERDICTS[status]
    lang = view.lang
    symbol = f'<span class="symbol" aria-hidden="true">{verdict.symbol}</span>'
    parts = [
        f'<section class="verdict {verdict.tone}" role="status">'
        f'<p class="big">{symbol}{verdict.html(lang)}</p>'
    ]
    if view.reason in REASONS:  # why it was revoked or suspended, in the verify page's words
        parts.append(f"<p>{escape(pair_text(lang, *REASONS[view.reason]))}</p>")
    parts.append("</section>")
    disclosed = view.disclosed or {}
    rows = "".join(
        f"<dt>{CLAIM_LABELS[claim].html(lang)}</dt>"
        f"<dd>{_value_html(disclosed[claim.value], lang)}</dd>"
        for claim in view.asked
        if claim.value in disclosed
    )
    if rows:
        parts.append(f'<h2>{say_html("ask.disclosed", lang)}</h2><dl class="disclosed">{rows}</dl>')
    elif status.genuine:
        parts.append(f"<p>{say_html('ask.none_disclosed', lang)}</p>")
    return "".join(parts)


def _asked_html(view: ResultView) -> str:
    sep = "、" if view.lang is Lang.ZH else ", "
    names = sep.join(CLAIM_LABELS[claim].say(view.lang) for claim in view.asked)
    return f'<p class="hint">{say_html("ask.asked", view.lang, claims=names)}</p>'


def render_result_page(view: ResultView) -> str:
    """The employer's result page in the request's state."""
    lang = view.lang
    again = f'<p><a href="{ASK_PATH}?lang={lang.value}">{say_html("ask.again", lang)}</a></p>'
    if view.state is RequestState.WAITING:
        expires = view.expires_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        body = (
            f'<p class="lead">{say_html("ask.waiting", lang)}</p>{_asked_html(view)}'
            f'<p><img class="qr" src="{escape(view.path)}/qr.svg" width="280" height="280" '
            f'alt="{escape(say("ask.open_wallet", lang))}"></p>'
            f'<p><a class="wallet-link" href="{escape(view.wallet_link)}">'
            f"{say_html('ask.open_wallet', lang)}</a></p>"
            f'<p class="hint">{say_html("ask.expires", lang, time=expires)}</p>'
        )
        return _page("ask.title", lang, view.path, body, refresh=True)
    if view.state is RequestState.EXPIRED:
        body = f'<p class="error" role="status">{say_html("ask.expired", lang)}</p>{again}'
    elif view.state is RequestState.GONE:
        body = f'<p class="error" role="status">{say_html("ask.gone", lang)}</p>{again}'
    else:
        body = f"{_asked_html(view)}{_verdict_html(view)}{again}"
    return _page("ask.title", lang, view.path, body)


def render_not_found_page(lang: Lang) -> str:
    body = (
        f'<p class="error" role="alert">{say_html("ask.not_found", lang)}</p>'
        f'<p><a href="{ASK_PATH}?lang={lang.value}">{say_html("ask.again", lang)}</a></p>'
    )
    return _page("ask.title", lang, ASK_PATH, body)
