"""The holder's panel on their own share page: make a view link, see each one's count, revoke one.

Drawn only on the holder's own link (a view link's page has none of it). The forms post to
the link's own URL with the page's form token (``issuer/web/share_forms.py``); no script is
needed to use them. Each working view link shows its address with a copy button and, one tap
away, its QR code to be scanned from the holder's phone (``copy_block_html``, used by a view
link's own page too). Times are in the issuer's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from issuer.documents.view_link import Lifetime, LinkState
from issuer.web.share_forms import FORM_FIELD
from verifier.i18n import Lang, say, say_html

_LIFETIME_KEYS = {
    Lifetime.DAY: "share.lifetime.1d",
    Lifetime.WEEK: "share.lifetime.7d",
    Lifetime.MONTH: "share.lifetime.30d",
    Lifetime.NEVER: "share.lifetime.never",
}
_STATE_KEYS = {
    LinkState.LIVE: "share.state.live",
    LinkState.EXPIRED: "share.state.expired",
    LinkState.REVOKED: "share.state.revoked",
}


@dataclass(frozen=True)
class ViewLinkRow:
    """One view link as the holder's list shows it; ``url`` only while it works."""

    id: int
    created_at: dt.datetime
    expires_at: dt.datetime | None
    open_count: int
    state: LinkState
    url: str | None
    token: str | None


@dataclass(frozen=True)
class HolderPanel:
    """The holder's view links (newest first) and what the page's forms need."""

    rows: list[ViewLinkRow]
    form_token: str
    time_zone: ZoneInfo
    made: int | None = None  # the link just made: its QR is drawn open
    revoked: bool = False  # a link was just revoked


def copy_block_html(url: str, token: str, lang: Lang, *, ident: str, qr_open: bool | None) -> str:
    """A link's address in a read-only field with a copy button, and its QR code with
    "show this to be scanned"; ``qr_open`` None draws the QR plainly, else in a
    ``<details>`` (open or shut)."""
    # Folded QR codes load when unfolded: a long list does not fetch one per link.
    lazy = ' loading="lazy"' if qr_open is not None else ""
    figure = (
        f'<figure class="qr"><img src="/s/{escape(token)}/qr.svg" width="240" height="240" '
        f'alt="{escape(say("share.qr.alt", lang))}"{lazy}>'
        f"<figcaption>{say_html('share.qr.caption', lang)}</figcaption></figure>"
    )
    if qr_open is not None:
        figure = (
            f"<details{' open' if qr_open else ''}><summary>"
            f"{say_html('share.links.show_qr', lang)}</summary>{figure}</details>"
        )
    return (
        f'<div class="copy">{figure}'
        f'<label for="{ident}">{say_html("share.copy.label", lang)}</label>'
        f'<input id="{ident}" class="address" type="text" readonly value="{escape(url)}">'
        f'<button type="button" class="copy-link" data-copy="{ident}" '
        f'data-done="{escape(say("share.copy.done", lang))}" '
        f'data-failed="{escape(say("share.copy.failed", lang))}">'
        f"{say_html('share.copy.button', lang)}</button>"
        f'<p class="copied" role="status" aria-live="polite"></p></div>'
    )


def _when(moment: dt.datetime | None, zone: ZoneInfo, lang: Lang) -> str:
    if moment is None:
        return say_html("share.links.never", lang)
    return escape(moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"))


def _row_html(row: ViewLinkRow, token: str, panel: HolderPanel, lang: Lang) -> str:
    meta = [
        ("share.links.created", _when(row.created_at, panel.time_zone, lang)),
        ("share.links.expires", _when(row.expires_at, panel.time_zone, lang)),
        ("share.links.opens", f'<span class="opens">{row.open_count}</span>'),
        ("share.links.state", say_html(_STATE_KEYS[row.state], lang)),
    ]
    fields = "".join(f"<dt>{say_html(key, lang)}</dt><dd>{value}</dd>" for key, value in meta)
    parts = [
        f'<li class="view-link" id="link-{row.id}" data-link="{row.id}" '
        f'data-state="{row.state.value}">'
        f"<h3>{say_html('share.links.item', lang, id=row.id)}</h3><dl>{fields}</dl>"
    ]
    if row.url is not None and row.token is not None:
        ident = f"address-{row.id}"
        parts.append(
            copy_block_html(row.url, row.token, lang, ident=ident, qr_open=row.id == panel.made)
        )
        action = f"/s/{escape(token)}/links/{row.id}/revoke?lang={lang.value}"
        parts.append(
            f'<form method="post" action="{action}">'
            f'<input type="hidden" name="{FORM_FIELD}" value="{panel.form_token}">'
            f'<button type="submit" class="revoke">{say_html("share.links.revoke", lang)}'
            "</button></form>"
        )
    parts.append("</li>")
    return "".join(parts)


def holder_panel_html(token: str, panel: HolderPanel, lang: Lang) -> str:
    """The "view links for employers" section of the holder's own page."""
    options = "".join(
        f'<option value="{lifetime.value}"{" selected" if lifetime is Lifetime.WEEK else ""}>'
        f"{escape(say(key, lang))}</option>"
        for lifetime, key in _LIFETIME_KEYS.items()
    )
    notice = ""
    if panel.made is not None:
        notice = f'<p class="notice" role="status">{say_html("share.links.made", lang)}</p>'
    elif panel.revoked:
        notice = f'<p class="notice" role="status">{say_html("share.links.revoked", lang)}</p>'
    rows = "".join(_row_html(row, token, panel, lang) for row in panel.rows)
    listing = (
        f'<ol class="view-links">{rows}</ol>'
        if rows
        else f"<p>{say_html('share.links.none', lang)}</p>"
    )
    return (
        f'<section class="holder" aria-labelledby="view-links">'
        f'<h2 id="view-links">{say_html("share.links.heading", lang)}</h2>'
        f"<p>{say_html('share.links.intro', lang)}</p>"
        f"<p>{say_html('share.wechat', lang)}</p>{notice}"
        f'<form class="make" method="post" action="/s/{escape(token)}/links?lang={lang.value}">'
        f'<input type="hidden" name="{FORM_FIELD}" value="{panel.form_token}">'
        f'<label for="lifetime">{say_html("share.links.lifetime", lang)}</label>'
        f'<select id="lifetime" name="lifetime">{options}</select>'
        f'<button type="submit">{say_html("share.links.make", lang)}</button></form>'
        f"{listing}"
        f'<p class="note">{say_html("share.links.count_note", lang)}</p></section>'
    )
