"""The holder's share page as HTML: the verify page's verdict first, then the credential.

Served by ``issuer/web/routes/share_pages.py``. The verdict words are the verify page's own
(``verifier.web.page.VERDICTS`` and ``REASONS``); files and the LinkedIn link are offered only
for a credential in force. No template engine, no scripts, no third-party assets; every value
goes through ``html.escape``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from issuer.documents.credential_document import CredentialDocument
from issuer.documents.share_link import linkedin_url
from verifier import labels
from verifier.problem import problem_kind
from verifier.result import CredentialStatus, VerificationResult
from verifier.web.page import REASONS, VERDICTS

# What the date beside a verdict means: (zh, en) labels, for the statuses that have one.
_DATE_LABELS: dict[CredentialStatus, tuple[str, str]] = {
    CredentialStatus.REVOKED: ("撤销日期", "Revoked on"),
    CredentialStatus.SUSPENDED: ("暂停日期", "Suspended on"),
    CredentialStatus.SUPERSEDED: ("取代日期", "Superseded on"),
    CredentialStatus.EXPIRED: ("有效期至", "Valid until"),
    CredentialStatus.NOT_YET_VALID: ("生效日期", "Valid from"),
}
_FILES = [
    ("credential.jwt", "签名凭证文件 (.jwt)", "Signed credential (.jwt)"),
    ("badge.png", "开放徽章图片 (PNG)", "Open Badge image (PNG)"),
    ("badge.svg", "开放徽章图片 (SVG)", "Open Badge image (SVG)"),
    ("certificate.pdf", "可打印证书 (PDF)", "Printable certificate (PDF)"),
    ("card.pdf", "钱包卡 (PDF)", "Wallet card (PDF)"),
]
_HEAD = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width,initial-scale=1">'
    '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">'
)


@dataclass(frozen=True)
class SharedCredential:
    """A credential behind a live link, with the verify page's verdict on it."""

    document: CredentialDocument
    result: VerificationResult
    date: dt.date | None  # the date the verdict refers to (revoked on, valid until, ...)


def _line(zh: str, en: str) -> str:
    """One statement in Chinese, then in English, as the verify page writes its reason."""
    return f'<p>{escape(zh)}</p><p lang="en">{escape(en)}</p>'


def _verdict_html(shared: SharedCredential) -> str:
    """The verify page's verdict, its reason, the date and the replacement's verify page."""
    result = shared.result
    verdict = VERDICTS[result.status]
    parts = [
        f'<section class="verdict {verdict.tone}" role="status">',
        f'<p class="big"><span class="symbol" aria-hidden="true">{verdict.symbol}</span>'
        f"{escape(verdict.zh)}</p>",
        f'<p class="big" lang="en">{escape(verdict.en)}</p>',
    ]
    detail = result.status_detail
    failed = result.failed_check()
    reason: tuple[str, str] | None = None
    if not result.status.genuine and failed is not None and failed.error is not None:
        kind = problem_kind(failed.error, failed.code)
        reason = (kind.title_zh, kind.title)
    elif detail is not None and detail.reason:
        reason = REASONS.get(detail.reason, (detail.reason, detail.reason))
    if reason is not None:
        parts.append(_line(f"原因：{reason[0]}", f"Reason: {reason[1]}"))
    label = _DATE_LABELS.get(result.status)
    if label is not None and shared.date is not None:
        day = shared.date.isoformat()
        parts.append(_line(f"{label[0]}：{day}", f"{label[1]}: {day}"))
    if detail is not None and detail.superseded_by:
        link = escape(detail.superseded_by)
        parts.append(
            f'<p>新证书 <span lang="en">New credential</span>: '
            f'<a class="replacement" href="{link}">{link}</a></p>'
        )
    if not result.status.in_force:
        parts.append(
            _line(
                "此证书目前不在有效状态，因此不提供下载和领英分享。",
                "This credential is not in force now, so its files and the LinkedIn button "
                "are not offered.",
            )
        )
    parts.append("</section>")
    return "".join(parts)


def render_share_page(shared: SharedCredential, token: str) -> str:
    """The holder's page, in Chinese and English."""
    document = shared.document
    rows = [
        (labels.HOLDER_NAME, document.holder_name),
        (labels.OCCUPATION, f"{document.occupation_zh} / {document.occupation_en}"),
        (labels.LEVEL, f"{document.level_zh} / {document.level_en}"),
        (labels.UNIT, f"{document.unit_zh} / {document.unit_en}"),
        (labels.ISSUER, f"{document.issuer_zh} / {document.issuer_en}"),
        (labels.CERTIFICATE_NUMBER, document.number),
        (labels.EXAM_DATE, document.exam_date.isoformat()),
        (labels.DATE_OF_ISSUE, document.issued_at.date().isoformat()),
    ]
    if document.valid_until is not None:
        rows.append((labels.VALID_UNTIL, document.valid_until.date().isoformat()))
    fields = "".join(
        f'<dt>{escape(label.zh)} <span class="en" lang="en">{escape(label.en)}</span></dt>'
        f"<dd>{escape(v)}</dd>"
        for label, v in rows
    )
    verify_link = (
        f'<li><a href="{escape(document.verify_url)}">公开核验页面 · '
        '<span lang="en">Public verify page</span></a></li>'
    )
    offers = ""
    if shared.result.status.in_force:
        base = f"/s/{escape(token)}"
        downloads = "".join(
            f'<li><a href="{base}/{name}" download>{escape(zh)} · '
            f'<span lang="en">{escape(en)}</span></a></li>'
            for name, zh, en in _FILES
        )
        linkedin = linkedin_url(
            name=document.achievement_name,
            organisation=document.issuer_en,
            issued_at=document.issued_at,
            verify_url=document.verify_url,
            number=document.number,
        )
        offers = (
            f'<h2>下载 <span class="en" lang="en">Downloads</span></h2>'
            f'<ul class="files">{downloads}</ul>'
        )
        verify_link += (
            f'<li><a href="{escape(linkedin)}" rel="noopener noreferrer">添加到领英档案 · '
            f'<span lang="en">Add to LinkedIn profile</span></a></li>'
        )
    verdict = VERDICTS[shared.result.status]
    return (
        f"{_HEAD}<title>{escape(verdict.zh)} {escape(verdict.en)} · "
        f"{escape(document.achievement_name)}</title>"
        '<link rel="stylesheet" href="/s/share.css"></head>'
        "<body><main>"
        f'<h1>职业技能等级证书 <span class="en" lang="en">Vocational skill certificate</span></h1>'
        f"{_verdict_html(shared)}"
        f"<dl>{fields}</dl>{offers}"
        f'<h2>分享 <span class="en" lang="en">Share</span></h2><ul class="files">{verify_link}</ul>'
        "<footer><p>此链接仅供持证人使用，请勿公开。"
        '<span lang="en">This link is for the holder: share the verify page, not this link.</span>'
        "</p></footer></main></body></html>"
    )


def revoked_link_html() -> str:
    """410 Gone: a plain page for a link that was revoked (nothing about the credential)."""
    body = (
        f"{_HEAD}<title>链接已撤销 Link revoked</title>"
        '<link rel="stylesheet" href="/s/share.css"></head><body><main>'
        "<h1>此分享链接已被撤销 "
        '<span class="en" lang="en">This share link has been revoked</span></h1>'
        "<p>请向发证单位索取新的链接。"
        '<span lang="en">Ask the issuing unit for a new link.</span></p>'
        "</main></body></html>"
    )
    return body
