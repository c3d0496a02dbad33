"""The human verify page: verdict first, in Chinese and English, readable on a phone.

No template engine and no third-party assets: the CSS is this server's own file
(``STYLESHEET``), there are no inline scripts or styles and no fonts, and every value goes
through ``html.escape``. The verdict is carried by text and a
symbol, never by colour alone; colours meet WCAG 2.1 AA contrast (>= 4.5:1, noted beside
each). ``render_verify_page`` is also what the issuer's ``GET /v/{id}`` returns.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Final

from verifier import labels
from verifier.errors import CredentialErrorCode
from verifier.labels import Label
from verifier.problem import problem_kind
from verifier.result import (
    CheckCode,
    CredentialDisplay,
    CredentialStatus,
    VerificationResult,
)
from verifier.sources.offline_cache import describe_age
from verifier.words import CHANGED_ON, DATE_LABELS, REASONS, UNAVAILABLE_WHAT, VERDICTS, Verdict

__all__ = [
    "CHANGED_ON",
    "DATE_LABELS",
    "REASONS",
    "STYLESHEET",
    "UNAVAILABLE_WHAT",
    "VERDICTS",
    "Verdict",
    "render_packed_page",
    "render_verify_page",
]


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


def _labelled(label: Label, value: str | None) -> str:
    return _row(label.zh, label.en, value)


def _line(zh: str, en: str) -> str:
    return f'<p>{escape(zh)}</p><p lang="en">{escape(en)}</p>'


def _reason_html(result: VerificationResult) -> str:
    if not result.status.genuine:
        failed = result.failed_check()
        if failed is None or failed.error is None:
            return ""
        kind = problem_kind(failed.error, failed.code)
        reason = _line(f"原因：{kind.title_zh}", f"Reason: {kind.title}")
        return reason + _failure_note_html(result)
    return _lifecycle_html(result)


def _failure_note_html(result: VerificationResult) -> str:
    """What an untrusted or unavailable verdict means for the person holding the phone."""
    if result.status is CredentialStatus.UNTRUSTED_ISSUER:
        return _line(
            "本核验服务不信任该颁发机构，因此未核验其签名；这不表示证书是假的。",
            "This verifier does not trust the issuer, so its signature was not checked; "
            "this does not mean the credential is fake.",
        )
    if result.status is not CredentialStatus.UNAVAILABLE or result.unavailable is None:
        return ""
    missing = result.unavailable
    failed = result.failed_check()
    fault = failed is None or failed.error == CredentialErrorCode.INTERNAL_ERROR
    what = CheckCode.PARSE if fault else missing.check
    zh, en = UNAVAILABLE_WHAT.get(what, UNAVAILABLE_WHAT[CheckCode.PARSE])
    parts = [_line(zh, en)]
    if missing.cached_at is not None:
        age = describe_age(result.checked_at - missing.cached_at)
        limit = (
            describe_age(dt.timedelta(seconds=missing.max_age_seconds))
            if missing.max_age_seconds is not None
            else None
        )
        parts.append(
            _line(
                f"缓存数据获取于 {age} 前" + (f"，超过 {limit} 的期限" if limit else ""),
                f"The cached copy was fetched {age} ago"
                + (f", over the limit of {limit}" if limit else ""),
            )
        )
    parts.append(
        _line(
            "这不表示证书是假的；请稍后重试。",
            "This does not mean the credential is fake; trying again later may help.",
        )
    )
    return "".join(parts)


def _lifecycle_html(result: VerificationResult) -> str:
    """The reason, date and successor behind a genuine credential that is not in force."""
    detail = result.status_detail
    shown = result.credential
    parts = []
    if detail is not None and detail.reason:
        zh, en = REASONS.get(detail.reason, (detail.reason, detail.reason))
        parts.append(_line(f"原因：{zh}", f"Reason: {en}"))
    when = None
    if result.status in CHANGED_ON and detail is not None:
        when = _moment(detail.changed_at)
    elif result.status is CredentialStatus.EXPIRED and shown is not None:
        when = _date(shown.valid_until)
    elif result.status is CredentialStatus.NOT_YET_VALID and shown is not None:
        when = _date(shown.valid_from)
    if when and result.status in DATE_LABELS:
        zh, en = DATE_LABELS[result.status]
        parts.append(_line(f"{zh}：{when}", f"{en}: {when}"))
    if detail is not None and detail.superseded_by:
        link = escape(detail.superseded_by)
        parts.append(
            f'<p>新证书 <span lang="en">New credential</span>: <a href="{link}">{link}</a></p>'
        )
    return "".join(parts)


def _details_html(display: CredentialDisplay) -> str:
    # The date of issue is awardedDate, or validFrom when the credential has no awardedDate
    # (Tessera's: the printed 发证日期 is the day it took effect); validFrom shows apart only
    # when it says something else.
    issued = _date(display.awarded_date) or _date(display.valid_from)
    valid_from = _date(display.valid_from)
    rows = "".join(
        [
            _labelled(labels.HOLDER_NAME, display.holder_name),
            _labelled(labels.EMPLOYEE_NUMBER, display.employee_number),
            _labelled(labels.ACHIEVEMENT, display.achievement_name or display.credential_name),
            _labelled(labels.OCCUPATION_CODE, display.achievement_code),
            _labelled(labels.ISSUER, display.issuer_name or display.issuer_id),
            _row("发证机构标识", "Issuer id", display.issuer_id if display.issuer_name else None),
            _labelled(labels.UNIT, display.unit_name),
            _labelled(labels.CERTIFICATE_NUMBER, display.certificate_number),
            _labelled(labels.EXAM_DATE, _date(display.exam_date)),
            _labelled(labels.DATE_OF_ISSUE, issued),
            _labelled(labels.VALID_FROM, valid_from if valid_from != issued else None),
            _labelled(labels.VALID_UNTIL, _date(display.valid_until) or None),
            _labelled(labels.CREDENTIAL_ID, display.credential_id),
            _labelled(labels.SIGNING_KEY, display.key_id),
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


def _lookup_form_html(action: str, typed: tuple[str, str] | None) -> str:
    number, name = (escape(value) for value in (typed or ("", "")))
    number_label, name_label = labels.CERTIFICATE_NUMBER, labels.HOLDER_NAME
    return (
        f'<h2>按证书编号查询 <span lang="en">Look up by certificate number</span></h2>'
        f'<form method="post" action="{escape(action)}">'
        f'<label for="certificate_number">{escape(number_label.zh)} '
        f'<span lang="en">{escape(number_label.en)}</span></label>'
        '<input id="certificate_number" name="certificate_number" required maxlength="64" '
        f'autocomplete="off" autocapitalize="characters" spellcheck="false" value="{number}">'
        f'<label for="holder_name">{escape(name_label.zh)} '
        f'<span lang="en">{escape(name_label.en)}</span></label>'
        '<input id="holder_name" name="holder_name" required maxlength="200" '
        f'autocomplete="off" spellcheck="false" value="{name}">'
        '<button type="submit">查询 <span lang="en">Look up</span></button></form>'
    )


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
    lookup_form: bool = False,
    looked_up: tuple[str, str] | None = None,
) -> str:
    """The whole HTML page for ``result`` (``None``: just the form); ``lookup_form`` adds
    the form that looks a certificate up by number and holder name, filled with
    ``looked_up`` (what was typed, to correct a typo)."""
    title = "证书核验 Credential verification"
    if result is not None:
        verdict = VERDICTS[result.status]
        title = f"{verdict.zh} {verdict.en} · 证书核验"
    body = _result_html(result) if result is not None else ""
    if show_form or result is None:
        body += _form_html(
            form_action, submitted if result is None or not result.verified else None
        )
        if lookup_form:  # the Tessera app, which also verifies many at once
            body += _lookup_form_html(form_action, looked_up)
            body += (
                f'<p><a href="{escape(form_action)}/batch">批量核验 '
                '<span lang="en">Verify many at once (CSV, PDF certificates, QR images)</span>'
                "</a></p>"
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
