"""The share page as HTML: the verify page's verdict first, then the credential, then sharing.

Served by ``issuer/web/routes/share_pages.py``. The verdict words are the verify page's own
(``verifier.web.page.VERDICTS`` and ``REASONS``); files and the LinkedIn link are offered only
for a credential in force. Every other word comes from the message catalogues
(``verifier/i18n.py``, keys ``share.*``): both languages together, or the one chosen with
``?lang=`` or ``Accept-Language``. No template engine, no inline script (the copy button's
script is this server's ``/s/share.js``), no third-party assets; every value goes through
``html.escape``.

The holder's own link (made by a registrar) shows the holder's panel of view links
(``issuer/web/view_links_panel.py``), the LinkedIn link for work abroad and, while the
credential is in force, the "add to my wallet" form (``issuer/web/holder_wallet_page.py``); a
view link shows none of them, only the credential, its files and its own address and QR
code to pass on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from issuer.documents.credential_document import CredentialDocument
from issuer.documents.share_link import linkedin_url
from issuer.web.holder_wallet_page import wallet_section_html
from issuer.web.share_head import Preview, head_html
from issuer.web.view_links_panel import HolderPanel, copy_block_html, holder_panel_html
from verifier import labels
from verifier.i18n import Lang, language_links_html, say, say_html, text
from verifier.problem import problem_kind
from verifier.result import CredentialStatus, VerificationResult
from verifier.web.page import REASONS, VERDICTS

# What the date beside a verdict means, for the statuses that have one.
_DATE_KEYS: dict[CredentialStatus, str] = {
    CredentialStatus.REVOKED: "share.date.revoked",
    CredentialStatus.SUSPENDED: "share.date.suspended",
    CredentialStatus.SUPERSEDED: "share.date.superseded",
    CredentialStatus.EXPIRED: "share.date.expired",
    CredentialStatus.NOT_YET_VALID: "share.date.not_yet_valid",
}
_FILES = [
    ("credential.jwt", "share.file.jwt"),
    ("badge.png", "share.file.badge_png"),
    ("badge.svg", "share.file.badge_svg"),
    ("certificate.pdf", "share.file.certificate"),
    ("card.pdf", "share.file.card"),
]


@dataclass(frozen=True)
class SharedCredential:
    """A credential behind a working link, with the verify page's verdict on it."""

    document: CredentialDocument
    result: VerificationResult
    date: dt.date | None  # the date the verdict refers to (revoked on, valid until, ...)


@dataclass(frozen=True)
class SharePage:
    """One rendering of a share page: ``holder`` is set on the holder's own link only."""

    shared: SharedCredential
    token: str
    page_url: str  # this link's absolute URL
    lang: Lang
    holder: HolderPanel | None


def pair_text(lang: Lang, zh: str, en: str, sep: str = " / ") -> str:
    """A value that exists in both languages, as plain text in the page's language."""
    return {Lang.ZH: zh, Lang.EN: en}.get(lang, zh if zh == en else f"{zh}{sep}{en}")


def _pair_html(lang: Lang, zh: str, en: str) -> str:
    if lang is Lang.BOTH:
        return f'{escape(zh)} <span class="en" lang="en">{escape(en)}</span>'
    return escape(en if lang is Lang.EN else zh)


def _line(key: str, lang: Lang, zh: dict[str, str], en: dict[str, str]) -> str:
    """One statement from the catalogue whose values differ by language: Chinese, then
    English, as the verify page writes its reason."""
    if lang is Lang.BOTH:
        zh_text, en_text = text(key, Lang.ZH, **zh), text(key, Lang.EN, **en)
        return f'<p>{escape(zh_text)}</p><p lang="en">{escape(en_text)}</p>'
    return f"<p>{escape(text(key, lang, **(en if lang is Lang.EN else zh)))}</p>"


def _verdict_html(shared: SharedCredential, lang: Lang) -> str:
    """The verify page's verdict, its reason, the date and the replacement's verify page."""
    result = shared.result
    verdict = VERDICTS[result.status]
    symbol = f'<span class="symbol" aria-hidden="true">{verdict.symbol}</span>'
    parts = [f'<section class="verdict {verdict.tone}" role="status">']
    if lang is Lang.BOTH:
        parts.append(f'<p class="big">{symbol}{escape(verdict.zh)}</p>')
        parts.append(f'<p class="big" lang="en">{escape(verdict.en)}</p>')
    else:
        parts.append(f'<p class="big">{symbol}{_pair_html(lang, verdict.zh, verdict.en)}</p>')
    detail = result.status_detail
    failed = result.failed_check()
    reason: tuple[str, str] | None = None
    if not result.status.genuine and failed is not None and failed.error is not None:
        kind = problem_kind(failed.error, failed.code)
        reason = (kind.title_zh, kind.title)
    elif detail is not None and detail.reason:
        reason = REASONS.get(detail.reason, (detail.reason, detail.reason))
    if reason is not None:
        parts.append(_line("share.reason", lang, {"reason": reason[0]}, {"reason": reason[1]}))
    key = _DATE_KEYS.get(result.status)
    if key is not None and shared.date is not None:
        day = {"day": shared.date.isoformat()}
        parts.append(_line(key, lang, day, day))
    if detail is not None and detail.superseded_by:
        link = escape(detail.superseded_by)
        parts.append(
            f"<p>{say_html('share.new_credential', lang)}: "
            f'<a class="replacement" href="{link}">{link}</a></p>'
        )
    if not result.status.in_force:
        parts.append(f"<p>{say_html('share.not_in_force', lang)}</p>")
    parts.append("</section>")
    return "".join(parts)


def _fields_html(document: CredentialDocument, lang: Lang) -> str:
    def pair(zh: str, en: str) -> str:
        return pair_text(lang, zh, en)

    rows = [
        (labels.HOLDER_NAME, document.holder_name),
        (labels.OCCUPATION, pair(document.occupation_zh, document.occupation_en)),
        (labels.LEVEL, pair(document.level_zh, document.level_en)),
        (labels.UNIT, pair(document.unit_zh, document.unit_en)),
        (labels.ISSUER, pair(document.issuer_zh, document.issuer_en)),
        (labels.CERTIFICATE_NUMBER, document.number),
        (labels.EXAM_DATE, document.exam_date.isoformat()),
        (labels.DATE_OF_ISSUE, document.issued_at.date().isoformat()),
    ]
    if document.valid_until is not None:
        rows.append((labels.VALID_UNTIL, document.valid_until.date().isoformat()))
    return "".join(
        f"<dt>{_pair_html(lang, label.zh, label.en)}</dt><dd>{escape(value)}</dd>"
        for label, value in rows
    )


def _achievement(document: CredentialDocument, lang: Lang) -> str:
    """The occupation and level in the page's language(s)."""
    return pair_text(
        lang,
        f"{document.occupation_zh}（{document.level_zh}）",
        f"{document.occupation_en} ({document.level_en})",
    )


def share_preview(page: SharePage) -> Preview:
    """The link preview's words and picture (``issuer/web/share_head.py``)."""
    document, lang = page.shared.document, page.lang
    verdict = VERDICTS[page.shared.result.status]
    zh = {"issuer": document.issuer_zh, "number": document.number, "verdict": verdict.zh}
    en = {"issuer": document.issuer_en, "number": document.number, "verdict": verdict.en}
    description = pair_text(
        lang,
        text("share.og.description", Lang.ZH, **zh),
        text("share.og.description", Lang.EN, **en),
    )
    in_force = page.shared.result.status.in_force
    return Preview(
        title=pair_text(
            lang,
            f"{document.occupation_zh} · {document.level_zh}",
            f"{document.occupation_en} · {document.level_en}",
        ),
        description=description,
        page_url=page.page_url,
        site_name=pair_text(lang, document.issuer_zh, document.issuer_en),
        image_url=f"{page.page_url}/preview.png" if in_force else None,
        image_alt=pair_text(
            lang,
            text("share.preview.alt", Lang.ZH, achievement=_achievement(document, Lang.ZH)),
            text("share.preview.alt", Lang.EN, achievement=_achievement(document, Lang.EN)),
        ),
    )


def render_share_page(page: SharePage) -> str:
    """The share page of the holder's own link or of a view link."""
    shared, lang, token = page.shared, page.lang, escape(page.token)
    document = shared.document
    in_force = shared.result.status.in_force
    preview = share_preview(page)
    picture = offers = ""
    if in_force:
        # WeChat's browser takes the first large image for its preview: the card comes first.
        picture = (
            f'<img class="card" src="/s/{token}/preview.png" width="1200" height="630" '
            f'alt="{escape(preview.image_alt)}">'
        )
        downloads = "".join(
            f'<li><a href="/s/{token}/{name}" download>{say_html(key, lang)}</a></li>'
            for name, key in _FILES
        )
        offers = f'<h2>{say_html("share.downloads", lang)}</h2><ul class="files">{downloads}</ul>'
    links = [
        f'<li><a href="{escape(document.verify_url)}">'
        f"{say_html('share.verify_page', lang)}</a></li>"
    ]
    if page.holder is not None and in_force:
        linkedin = linkedin_url(
            name=document.achievement_name,
            organisation=document.issuer_en,
            issued_at=document.issued_at,
            verify_url=document.verify_url,
            number=document.number,
        )
        links.append(
            f'<li><a href="{escape(linkedin)}" rel="noopener noreferrer">'
            f"{say_html('share.linkedin', lang)}</a></li>"
        )
    if page.holder is not None:
        sharing = f'<ul class="files">{"".join(links)}</ul>'
        panel = holder_panel_html(page.token, page.holder, lang)
        if in_force:  # a wallet takes only a credential in force (decision 0059)
            panel = wallet_section_html(page.token, page.holder.form_token, lang) + panel
        footer = say_html("share.footer.holder", lang)
    else:
        copy = copy_block_html(page.page_url, page.token, lang, ident="address", qr_open=None)
        sharing = f'{copy}<ul class="files">{"".join(links)}</ul>'
        panel = ""
        footer = say_html("share.footer.view", lang)
    verdict = VERDICTS[shared.result.status]
    title = f"{pair_text(lang, verdict.zh, verdict.en, ' ')} · {_achievement(document, lang)}"
    return (
        f"{head_html(title, lang, preview)}<body><main>"
        f"{language_links_html(f'/s/{page.token}', lang)}"
        f"<h1>{say_html('share.title', lang)}</h1>"
        f"{_verdict_html(shared, lang)}{picture}"
        f"<dl>{_fields_html(document, lang)}</dl>{offers}"
        f"<h2>{say_html('share.heading', lang)}</h2>{sharing}{panel}"
        f"<footer><p>{footer}</p></footer></main></body></html>"
    )


def gone_page_html(*, expired: bool, lang: Lang) -> str:
    """410 Gone: a plain page for a link that was revoked or expired (nothing about the
    credential)."""
    kind = "expired" if expired else "revoked"
    return (
        f"{head_html(say(f'share.gone.{kind}.title', lang, sep=' '), lang)}<body><main>"
        f"<h1>{say_html(f'share.gone.{kind}.heading', lang)}</h1>"
        f"<p>{say_html('share.gone.advice', lang)}</p></main></body></html>"
    )


def problem_page_html(key: str, lang: Lang, *, back: str | None, **values: object) -> str:
    """A refused form, in words (``key`` says why, with ``values``), with a way back to the
    page."""
    link = f'<p><a href="{escape(back)}">{say_html("share.back", lang)}</a></p>' if back else ""
    return (
        f"{head_html(say('share.error.title', lang, sep=' '), lang)}<body><main>"
        f"<h1>{say_html('share.error.title', lang)}</h1>"
        f'<p role="alert">{say_html(key, lang, **values)}</p>{link}</main></body></html>'
    )
