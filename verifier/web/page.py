"""The human verify page: verdict first, in Chinese and English, readable on a phone.

No template engine and no third-party assets: the CSS is this server's own file
(``STYLESHEET``), there are no inline scripts or styles and no fonts, and every value goes
through ``html.escape``. The verdict is carried by text and a
symbol, never by colour alone; colours meet WCAG 2.1 AA contrast (>= 4.5:1, noted beside
each). ``render_verify_page`` is also what the issuer's ``GET /v/{id}`` returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from typing import Final

from verifier.problem import problem_kind
from verifier.result import CredentialDisplay, CredentialStatus, ReasonCode, VerificationResult


@dataclass(frozen=True)
class Verdict:
    """How one status is shown: a symbol, the Chinese and English verdicts, a CSS tone."""

    symbol: str
    zh: str
    en: str
    tone: str


VERDICTS: Final = {
    CredentialStatus.VALID: Verdict("✔", "真实有效", "Genuine and valid", "good"),
    CredentialStatus.REVOKED: Verdict("✖", "已撤销", "Revoked", "bad"),
    CredentialStatus.SUSPENDED: Verdict("⏸", "已暂停", "Suspended", "warn"),
    CredentialStatus.EXPIRED: Verdict("⌛", "已过期", "Expired", "warn"),
    CredentialStatus.NOT_YET_VALID: Verdict("⏳", "尚未生效", "Not yet valid", "warn"),
    CredentialStatus.SUPERSEDED: Verdict("↻", "已被取代", "Superseded", "warn"),
    CredentialStatus.INVALID: Verdict("✖", "非真实证书", "Not genuine", "bad"),
    CredentialStatus.UNTRUSTED_ISSUER: Verdict(
        "⚠", "发证机构不在信任名单中", "Issuer not trusted here", "warn"
    ),
    CredentialStatus.UNAVAILABLE: Verdict(
        "⟳", "暂时无法核验，请稍后重试", "Could not be checked now; try again later", "warn"
    ),
    CredentialStatus.UNREADABLE: Verdict(
        "?", "无法识别为证书", "Not a readable credential", "warn"
    ),
    CredentialStatus.NOT_FOUND: Verdict("?", "未找到该证书", "No such credential", "warn"),
}

# The reason categories of SPEC §5 (revoke/suspend bodies), as a person reads them.
REASONS: Final[dict[str, tuple[str, str]]] = {
    ReasonCode.ISSUED_IN_ERROR: ("误发", "Issued in error"),
    ReasonCode.EXAM_MISCONDUCT: ("考试违纪", "Exam misconduct"),
    ReasonCode.DATA_CORRECTION: ("信息更正", "Data correction"),
    ReasonCode.SUPERSEDED: ("已被新证书取代", "Superseded by a new credential"),
    ReasonCode.WITHDRAWN_BY_AUTHORITY: ("主管部门撤回", "Withdrawn by the authority"),
    ReasonCode.HOLDER_REQUEST: ("持证人申请", "At the holder's request"),
}

STYLESHEET: Final = "/verify/verify.css"
"""Where the page's CSS is served (``verifier/web/static/verify.css``): no inline style, so a
Content-Security-Policy ``style-src 'self'`` holds."""


def _date(value: str | None) -> str | None:
    return value[:10] if value else None


def _moment(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _row(zh: str, en: str, value: str | None) -> str:
    if not value:
        return ""
    return (
        f'<dt>{escape(zh)} <span class="en" lang="en">{escape(en)}</span></dt>'
        f"<dd>{escape(value)}</dd>"
    )


def _reason_html(result: VerificationResult) -> str:
    if not result.status.genuine:
        failed = result.failed_check()
        if failed is None or failed.error is None:
            return ""
        kind = problem_kind(failed.error, failed.code)
        return f'<p>原因：{escape(kind.title_zh)}</p><p lang="en">Reason: {escape(kind.title)}</p>'
    detail = result.status_detail
    parts = []
    if detail is not None and detail.reason:
        zh, en = REASONS.get(detail.reason, (detail.reason, detail.reason))
        parts.append(f'<p>原因：{escape(zh)}</p><p lang="en">Reason: {escape(en)}</p>')
    if detail is not None and detail.superseded_by:
        link = escape(detail.superseded_by)
        parts.append(
            f'<p>新证书 <span lang="en">New credential</span>: <a href="{link}">{link}</a></p>'
        )
    return "".join(parts)


def _details_html(display: CredentialDisplay) -> str:
    rows = "".join(
        [
            _row("持证人", "Holder", display.holder_name),
            _row("工号", "Employee number", display.employee_number),
            _row(
                "职业及等级",
                "Occupation and level",
                display.achievement_name or display.credential_name,
            ),
            _row("职业编码", "Occupation code", display.achievement_code),
            _row("颁发机构", "Issuer", display.issuer_name or display.issuer_id),
            _row("颁发机构标识", "Issuer id", display.issuer_id if display.issuer_name else None),
            _row("单位", "Unit", display.unit_name),
            _row("考试日期", "Exam date", _date(display.exam_date)),
            _row("颁发日期", "Awarded", _date(display.awarded_date)),
            _row("生效日期", "Valid from", _date(display.valid_from)),
            _row("有效期至", "Valid until", _date(display.valid_until) or None),
            _row("证书编号", "Credential id", display.credential_id),
            _row("签名密钥", "Signing key", display.key_id),
        ]
    )
    return f'<h2>证书信息 <span lang="en">Credential</span></h2><dl>{rows}</dl>'


def _result_html(result: VerificationResult) -> str:
    verdict = VERDICTS[result.status]
    reason = _reason_html(result)
    checked = _moment(result.checked_at)
    status_as_of = _moment(result.status_list_fetched_at)
    status_row = _row("状态数据获取于", "Status list as of", status_as_of) if status_as_of else ""
    skipped = any(c.skipped for c in result.checks)
    note = (
        '<p>未检查撤销状态 <span lang="en">(revocation status not checked)</span></p>'
        if skipped
        else ""
    )
    parts = [
        f'<section class="verdict {verdict.tone}" role="status" aria-live="polite">',
        f'<p class="big"><span class="symbol" aria-hidden="true">{verdict.symbol}</span>'
        f"{escape(verdict.zh)}</p>",
        f'<p class="big" lang="en">{escape(verdict.en)}</p>',
        reason,
        note,
        "</section>",
    ]
    if result.credential is not None:
        parts.append(_details_html(result.credential))
    parts.append(
        f'<h2>核验 <span lang="en">Verification</span></h2><dl>'
        f"{_row('核验时间', 'Status checked at', checked)}{status_row}</dl>"
    )
    checks = "".join(
        f"<li>{'跳过 skipped' if c.skipped else ('通过 passed' if c.passed else '未通过 failed')}: "
        f'<span lang="en">{escape(c.code.value)}</span></li>'
        for c in result.checks
    )
    parts.append(
        f'<details><summary>核验步骤 <span lang="en">Checks</span></summary>'
        f'<ul class="checks">{checks}</ul></details>'
    )
    return "".join(parts)


def _form_html(action: str, submitted: str | None) -> str:
    value = escape(submitted or "")
    return (
        f'<h2>核验证书 <span lang="en">Verify a credential</span></h2>'
        f'<form method="post" action="{escape(action)}">'
        '<label for="credential">粘贴证书或核验链接 '
        '<span lang="en">Paste a credential or verify link</span></label>'
        '<textarea id="credential" name="credential" required spellcheck="false" '
        f'autocapitalize="off">{value}</textarea>'
        f'<button type="submit">核验 <span lang="en">Verify</span></button></form>'
    )


def render_verify_page(
    result: VerificationResult | None,
    *,
    show_form: bool = False,
    form_action: str = "/verify",
    submitted: str | None = None,
) -> str:
    """The whole HTML page for ``result`` (``None``: just the form)."""
    title = "证书核验 Credential verification"
    if result is not None:
        verdict = VERDICTS[result.status]
        title = f"{verdict.zh} {verdict.en} · 证书核验"
    body = _result_html(result) if result is not None else ""
    if show_form or result is None:
        body += _form_html(
            form_action, submitted if result is None or not result.verified else None
        )
    else:
        body += (
            f'<p><a href="{escape(form_action)}">核验其他证书 '
            '<span lang="en">Verify another credential</span></a></p>'
        )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="{STYLESHEET}"></head>'
        f'<body><main><h1>证书核验 <span lang="en">Credential verification</span></h1>{body}'
        "<footer><p>Tessera · W3C Verifiable Credentials 2.0 · Open Badges 3.0</p></footer>"
        "</main></body></html>"
    )


def render_packed_page() -> str:
    """The page a packed QR link (``<base>/c#<digits>``) opens: a pending verdict that
    ``verify.js`` replaces with the result of verifying the credential in the page, since only
    the browser sees the fragment (decision 0028); it installs as an offline web app."""
    pending = (
        '<div id="pending" class="verdict warn" role="status" aria-live="polite">'
        '<p class="big">正在核验…</p><p class="big" lang="en">Verifying…</p></div>'
        "<noscript><p>此页面需要 JavaScript 才能读取链接中的证书；也可将链接粘贴到"
        '<a href="verify">核验页面</a>。</p><p lang="en">This page needs JavaScript to read the '
        'credential in the link; or paste the link into the <a href="verify">verify page</a>.'
        "</p></noscript>"
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        "<title>证书核验 Credential verification</title>"
        '<link rel="stylesheet" href="verify/verify.css">'
        '<link rel="manifest" href="verify/manifest.webmanifest">'
        '<script type="module" src="verify/verify.js"></script></head><body><main>'
        f'<h1>证书核验 <span lang="en">Credential verification</span></h1>{pending}'
        "<footer><p>Tessera · W3C Verifiable Credentials 2.0 · Open Badges 3.0</p></footer>"
        "</main></body></html>"
    )
