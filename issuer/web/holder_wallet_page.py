"""The page that answers the holder's "add to my wallet" form: the offer, shown once.

The QR code of the offer link (``openid-credential-offer://``, by reference, so the code
stays small enough for a phone's camera) for a wallet on another device; the same link as a
button for a wallet app on this phone; the transaction code the wallet asks for; and how long
the offer stays valid. Only hashes of the offer's codes are stored, so the page cannot be
drawn again: it is served ``no-store``. Every word comes from the catalogues (``share.wallet.*``).
The QR code is a ``data:`` image, which the strict CSP allows (``img-src 'self' data:``).
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from issuer.credentials.qr import render_qr_svg
from issuer.web.share_forms import FORM_FIELD
from issuer.web.share_head import head_html
from verifier.i18n import Lang, say, say_html


@dataclass(frozen=True)
class WalletOfferPage:
    """One offer made from the holder's link, as the answering page shows it."""

    token: str  # the holder's link token (for the way back)
    link: str  # the ``openid-credential-offer://`` link
    tx_code: str
    expires_at: dt.datetime
    minutes: int
    tries: int
    time_zone: ZoneInfo
    lang: Lang


def wallet_section_html(token: str, form_token: str, lang: Lang) -> str:
    """The "add to my wallet" section of the holder's own page (a form, no script)."""
    return (
        '<section class="wallet" aria-labelledby="wallet">'
        f'<h2 id="wallet">{say_html("share.wallet.heading", lang)}</h2>'
        f"<p>{say_html('share.wallet.intro', lang)}</p>"
        f'<form method="post" action="/s/{escape(token)}/wallet?lang={lang.value}">'
        f'<input type="hidden" name="{FORM_FIELD}" value="{escape(form_token)}">'
        f'<button type="submit" class="add-to-wallet">{say_html("share.wallet.button", lang)}'
        "</button></form></section>"
    )


def render_wallet_offer_page(page: WalletOfferPage) -> str:
    """The offer's QR code, link, transaction code and validity."""
    lang = page.lang
    qr = base64.b64encode(render_qr_svg(page.link, size_mm=40)).decode("ascii")
    until = page.expires_at.astimezone(page.time_zone).strftime("%Y-%m-%d %H:%M")
    expires = {"minutes": page.minutes, "time": until}
    back = f"/s/{escape(page.token)}?lang={lang.value}"
    return (
        f"{head_html(say('share.wallet.title', lang, sep=' '), lang)}<body><main>"
        f"<h1>{say_html('share.wallet.title', lang)}</h1>"
        f'<p class="notice" role="status">{say_html("share.wallet.ready", lang)}</p>'
        f'<figure class="qr"><img class="wallet-qr" src="data:image/svg+xml;base64,{qr}" '
        f'width="240" height="240" alt="{escape(say("share.wallet.qr.alt", lang))}">'
        f"<figcaption>{say_html('share.wallet.qr.caption', lang)}</figcaption></figure>"
        f'<p><a class="wallet-open" href="{escape(page.link)}">'
        f"{say_html('share.wallet.open', lang)}</a></p>"
        f'<h2 id="tx-code">{say_html("share.wallet.code.heading", lang)}</h2>'
        f'<p class="tx-code">{escape(page.tx_code)}</p>'
        f"<p>{say_html('share.wallet.code.hint', lang)}</p>"
        f'<p class="expires">{say_html("share.wallet.expires", lang, **expires)}</p>'
        f"<p>{say_html('share.wallet.tries', lang, tries=page.tries)}</p>"
        f'<p><a href="{back}">{say_html("share.back", lang)}</a></p>'
        "</main></body></html>"
    )
