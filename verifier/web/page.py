"""The human verify page: verdict first, then what was checked in plain words, in the chosen
language (both together unless one is chosen), readable on a phone.

No template engine and no third-party assets: the CSS is this server's own file
(``STYLESHEET``), there are no inline scripts or styles and no fonts, and every value goes
through ``html.escape``. The verdict is carried by text and a symbol, never by colour alone;
colours meet WCAG 2.1 AA contrast (>= 4.5:1, noted beside each). Every word comes from the
message catalogues (verifier/i18n.py, decision 0047); times are in the issuer's time zone with
the zone named, and the internal fields (issuer URL, credential id, signing key) wait in a
collapsed ``<details>`` (decision 0049). ``render_verify_page`` is also what the issuer's
``GET /v/{id}`` returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from typing import Final
from zoneinfo import ZoneInfo

from verifier import labels
from verifier.errors import CredentialErrorCode
from verifier.i18n import Lang, html_lang, language_links_html, say, say_html, text
from verifier.labels import Label
from verifier.local_time import DEFAULT_TIME_ZONE, age_phrase, local_date, say_moment
from verifier.problem import problem_kind
from verifier.result import (
    CheckCode,
    CredentialDisplay,
    CredentialStatus,
    VerificationResult,
)
from verifier.web.phone import phone_words_json
from verifier.words import (
    CHANGED_ON,
    DATE_LABELS,
    REASONS,
    UNAVAILABLE_WHAT,
    VERDICTS,
    Verdict,
    check_key,
    say_reason,
)

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

CHECK_SYMBOLS: Final = {"passed": "✔", "failed": "✖", "skipped": "–"}


class _Page:
    """One rendering: the language and the time zone every part of the page speaks in."""

    def __init__(self, lang: Lang, zone: ZoneInfo) -> None:
        self.lang = lang
        self.zone = zone

    def html(self, key: str, /, **values: object) -> str:
        return say_html(key, self.lang, **values)

    def pair(self, make: Callable[[Lang], str], *, big: bool = False) -> str:
        """A paragraph made in the page's language; with both, one per language (the
        English marked)."""
        tag = '<p class="big"' if big else "<p"
        if self.lang is Lang.BOTH:
            zh, en = escape(make(Lang.ZH)), escape(make(Lang.EN))
            return f'{tag}>{zh}</p>{tag} lang="en">{en}</p>'
        return f"{tag}>{escape(make(self.lang))}</p>"

    def line(self, key: str, /, **values: object) -> str:
        return self.pair(lambda lang: text(key, lang, **values))

    def row(self, label: Label | str, value: str | None) -> str:
        if not value:
            return ""
        name = label.html(self.lang) if isinstance(label, Label) else self.html(label)
        return f"<dt>{name}</dt><dd>{escape(value)}</dd>"

    def moment(self, value: dt.datetime | None) -> str | None:
        return say_moment(value, self.zone, self.lang) if value is not None else None

    def date(self, value: str | None) -> str | None:
        return local_date(value, self.zone)


def _reason_html(page: _Page, result: VerificationResult) -> str:
    if not result.status.genuine:
        failed = result.failed_check()
        if failed is None or failed.error is None:
            return ""
        kind = problem_kind(failed.error, failed.code)
        reason = page.pair(lambda lang: text("page.reason", lang, reason=text(kind.key, lang)))
        return reason + _failure_note_html(page, result)
    return _lifecycle_html(page, result)


def _failure_note_html(page: _Page, result: VerificationResult) -> str:
    """What an untrusted or unavailable verdict means for the person holding the phone."""
    if result.status is CredentialStatus.UNTRUSTED_ISSUER:
        return page.line("page.untrusted_note")
    if result.status is not CredentialStatus.UNAVAILABLE or result.unavailable is None:
        return ""
    missing = result.unavailable
    failed = result.failed_check()
    fault = failed is None or failed.error == CredentialErrorCode.INTERNAL_ERROR
    what = CheckCode.PARSE if fault else missing.check
    parts = [page.line(f"unavailable.{(what if what in UNAVAILABLE_WHAT else CheckCode.PARSE)}")]
    if missing.cached_at is not None:
        age = age_phrase(result.checked_at - missing.cached_at)
        if missing.max_age_seconds is not None:
            limit = age_phrase(dt.timedelta(seconds=missing.max_age_seconds))
            parts.append(page.line("page.cached_over_limit", age=age, limit=limit))
        else:
            parts.append(page.line("page.cached_age", age=age))
    parts.append(page.line("page.not_fake_try_later"))
    return "".join(parts)


def _date_of_change(page: _Page, result: VerificationResult) -> Callable[[Lang], str] | None:
    """The date a genuine verdict not in force carries, said in a language (a moment names
    its zone): when it was revoked, suspended or replaced, when it expired or takes effect."""
    detail, shown = result.status_detail, result.credential
    if result.status in CHANGED_ON:
        changed_at = detail.changed_at if detail is not None else None
        if changed_at is None:
            return None
        return lambda lang: say_moment(changed_at, page.zone, lang)
    if shown is None:
        return None
    day = None
    if result.status is CredentialStatus.EXPIRED:
        day = page.date(shown.valid_until)
    elif result.status is CredentialStatus.NOT_YET_VALID:
        day = page.date(shown.valid_from)
    if day is None:
        return None
    return lambda _lang: day


def _lifecycle_html(page: _Page, result: VerificationResult) -> str:
    """The reason, date and successor behind a genuine credential that is not in force."""
    detail = result.status_detail
    parts = []
    if detail is not None and detail.reason:
        code = detail.reason
        parts.append(
            page.pair(lambda lang: text("page.reason", lang, reason=say_reason(code, lang)))
        )
    when = _date_of_change(page, result)
    if when is not None and result.status in DATE_LABELS:
        label = f"date.{result.status.value}"
        parts.append(
            page.pair(
                lambda lang: text("page.labelled", lang, label=text(label, lang), value=when(lang))
            )
        )
    if detail is not None and detail.superseded_by:
        link = escape(detail.superseded_by)
        colon = "：" if page.lang is Lang.ZH else ": "
        parts.append(f'<p>{page.html("page.new_credential")}{colon}<a href="{link}">{link}</a></p>')
    return "".join(parts)


def _validity_html(page: _Page, result: VerificationResult) -> str:
    """``有效期至 … / 长期有效`` and the reminder to compare the name with the ID card: what
    an employer needs next to a verdict about a genuine credential."""
    shown = result.credential
    if shown is None or not result.status.genuine:
        return ""
    until = page.date(shown.valid_until)
    validity = page.line("page.valid_until", date=until) if until else page.line("page.no_expiry")
    return validity + page.line("page.compare_id")


def _details_html(page: _Page, display: CredentialDisplay) -> str:
    # The date of issue is awardedDate, or validFrom when the credential has no awardedDate
    # (Tessera's: the printed 发证日期 is the day it took effect); validFrom shows apart only
    # when it says something else.
    issued = page.date(display.awarded_date) or page.date(display.valid_from)
    valid_from = page.date(display.valid_from)
    until = page.date(display.valid_until) or say("page.no_expiry", page.lang)
    criteria = ""
    if display.criteria_url and display.criteria_url.startswith(("https://", "http://")):
        link = escape(display.criteria_url)
        criteria = (
            f"<dt>{labels.CRITERIA.html(page.lang)}</dt>"
            f'<dd><a href="{link}">{page.html("page.criteria_link")}</a></dd>'
        )
    rows = "".join(
        [
            page.row(labels.HOLDER_NAME, display.holder_name),
            page.row(labels.EMPLOYEE_NUMBER, display.employee_number),
            page.row(labels.ACHIEVEMENT, display.achievement_name or display.credential_name),
            page.row(labels.OCCUPATION_CODE, display.achievement_code),
            page.row(labels.ISSUER, display.issuer_name or display.issuer_id),
            page.row(labels.UNIT, display.unit_name),
            page.row(labels.CERTIFICATE_NUMBER, display.certificate_number),
            page.row(labels.EXAM_DATE, page.date(display.exam_date)),
            page.row(labels.DATE_OF_ISSUE, issued),
            page.row(labels.VALID_FROM, valid_from if valid_from != issued else None),
            page.row(labels.VALID_UNTIL, until),
            page.row(labels.DESCRIPTION, display.achievement_description),
            page.row(labels.CRITERIA, display.criteria_narrative),
            criteria,
        ]
    )
    internal = "".join(
        [
            page.row(labels.ISSUER_ID, display.issuer_id),
            page.row(labels.CREDENTIAL_ID, display.credential_id),
            page.row(labels.SIGNING_KEY, display.key_id),
        ]
    )
    return (
        f"<h2>{page.html('page.credential')}</h2><dl>{rows}</dl>"
        f'<details class="internal"><summary>{page.html("page.internal")}</summary>'
        f"<dl>{internal}</dl></details>"
    )


def _checks_html(page: _Page, result: VerificationResult) -> str:
    """Each check in plain words (``签名有效：证书内容未被改动``), with a symbol for its outcome."""
    items = []
    for check in result.checks:
        key = check_key(check)
        symbol = CHECK_SYMBOLS[key.rsplit(".", 1)[1]]
        items.append(
            f'<li data-check="{check.code.value}"><span class="symbol" aria-hidden="true">'
            f"{symbol}</span>{page.html(key)}</li>"
        )
    checked = page.moment(result.checked_at)
    status_as_of = page.moment(result.status_list_fetched_at)
    times = page.row("page.checked_at", checked) + page.row("page.status_as_of", status_as_of)
    return (
        f"<h2>{page.html('page.verification')}</h2>"
        f'<ul class="checks">{"".join(items)}</ul><dl>{times}</dl>'
    )


def _result_html(page: _Page, result: VerificationResult) -> str:
    verdict = VERDICTS[result.status]
    symbol = f'<span class="symbol" aria-hidden="true">{verdict.symbol}</span>'
    words = page.pair(verdict.say, big=True).replace(
        '<p class="big">', f'<p class="big">{symbol}', 1
    )
    skipped = any(c.skipped and c.code is CheckCode.STATUS for c in result.checks)
    parts = [
        f'<section class="verdict {verdict.tone}" role="status" aria-live="polite">',
        words,
        _reason_html(page, result),
        page.line("check.status.skipped") if skipped else "",
        _validity_html(page, result),
        "</section>",
    ]
    if result.credential is not None:
        parts.append(_details_html(page, result.credential))
    parts.append(_checks_html(page, result))
    return "".join(parts)


def _with_lang(path: str, lang: Lang) -> str:
    return path if lang is Lang.BOTH else f"{path}?lang={lang.value}"


def _lookup_form_html(page: _Page, action: str, typed: tuple[str, str] | None) -> str:
    number, name = (escape(value) for value in (typed or ("", "")))
    return (
        f"<h2>{page.html('page.lookup_title')}</h2>"
        f'<form method="post" action="{escape(_with_lang(action, page.lang))}">'
        f'<label for="certificate_number">{labels.CERTIFICATE_NUMBER.html(page.lang)}</label>'
        '<input id="certificate_number" name="certificate_number" required maxlength="64" '
        f'autocomplete="off" autocapitalize="characters" spellcheck="false" value="{number}">'
        f'<label for="holder_name">{labels.HOLDER_NAME.html(page.lang)}</label>'
        '<input id="holder_name" name="holder_name" required maxlength="200" '
        f'autocomplete="off" spellcheck="false" value="{name}">'
        f'<button type="submit">{page.html("page.lookup_button")}</button></form>'
    )


def _form_html(page: _Page, action: str, submitted: str | None) -> str:
    value = escape(submitted or "")
    return (
        f"<h2>{page.html('page.verify_title')}</h2>"
        f'<form method="post" action="{escape(_with_lang(action, page.lang))}">'
        f'<label for="credential">{page.html("page.paste_label")}</label>'
        '<textarea id="credential" name="credential" required spellcheck="false" '
        f'autocapitalize="off">{value}</textarea>'
        f'<button type="submit">{page.html("page.verify_button")}</button></form>'
    )


def _document(lang: Lang, title: str, body: str, *, head: str = "", links: str = "") -> str:
    heading = say_html("page.title", lang)
    return (
        f'<!DOCTYPE html><html lang="{html_lang(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title>{head}</head>"
        f"<body><main>{links}<h1>{heading}</h1>{body}"
        "<footer><p>Tessera · W3C Verifiable Credentials 2.0 · Open Badges 3.0</p></footer>"
        "</main></body></html>"
    )


def render_verify_page(
    result: VerificationResult | None,
    *,
    show_form: bool = False,
    form_action: str = "/verify",
    submitted: str | None = None,
    lookup_form: bool = False,
    looked_up: tuple[str, str] | None = None,
    lang: Lang = Lang.BOTH,
    time_zone: ZoneInfo | None = None,
    page_path: str | None = None,
) -> str:
    """The whole HTML page for ``result`` (``None``: just the form), in ``lang``, its times in
    ``time_zone`` (default Beijing time); ``lookup_form`` adds the form that looks a
    certificate up by number and holder name, filled with ``looked_up`` (what was typed, to
    correct a typo); ``page_path`` adds links to this page in each language."""
    page = _Page(lang, time_zone or ZoneInfo(DEFAULT_TIME_ZONE))
    title = say("page.title", lang, sep=" ")
    if result is not None:
        title = f"{VERDICTS[result.status].say(lang)} · {title}"
    body = _result_html(page, result) if result is not None else ""
    if show_form or result is None:
        body += _form_html(
            page, form_action, submitted if result is None or not result.verified else None
        )
        if lookup_form:  # the Tessera app, which also verifies many at once
            body += _lookup_form_html(page, form_action, looked_up)
            batch = escape(_with_lang(f"{form_action}/batch", lang))
            body += f'<p><a href="{batch}">{page.html("page.batch_link")}</a></p>'
    else:
        another = escape(_with_lang(form_action, lang))
        body += f'<p><a href="{another}">{page.html("page.another")}</a></p>'
    links = language_links_html(page_path, lang) if page_path else ""
    head = f'<link rel="stylesheet" href="{STYLESHEET}">'
    return _document(lang, title, body, head=head, links=links)


def render_packed_page(lang: Lang = Lang.BOTH, time_zone: str = DEFAULT_TIME_ZONE) -> str:
    """The page a packed QR link (``<base>/c#<digits>``) opens: a pending verdict that
    ``verify.js`` replaces with the result of verifying the credential in the page, since only
    the browser sees the fragment (decision 0028); it installs as an offline web app. The
    words the script shows travel in a JSON block read from the same catalogues, in ``lang``,
    with the zone it shows times in (``time_zone``)."""
    page = _Page(lang, ZoneInfo(DEFAULT_TIME_ZONE))
    waiting = page.pair(lambda one: text("page.pending", one), big=True)
    pending = (
        f'<div id="pending" class="verdict warn" role="status" aria-live="polite">{waiting}</div>'
        f"<noscript>{page.line('page.needs_script')}"
        f'<p><a href="verify">{page.html("page.verify_title")}</a></p></noscript>'
    )
    head = (
        '<link rel="stylesheet" href="verify/verify.css">'
        '<link rel="manifest" href="verify/manifest.webmanifest">'
        '<script type="module" src="verify/verify.js"></script>'
        f'<script type="application/json" id="words">{phone_words_json(lang, time_zone)}</script>'
    )
    return _document(lang, say("page.title", lang, sep=" "), pending, head=head)
