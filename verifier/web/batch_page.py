"""The batch verify page: a form, then the summary and one line per item, in the chosen
language (both together unless one is chosen, decision 0047).

Like ``verifier.web.page``: no template engine, no inline script or style (the stylesheet is
``/verify/verify.css``), every value through ``html.escape``, the verdict carried by text and
symbol, every word from the message catalogues (``batch.*``). The form posts
``multipart/form-data``: ``files`` (CSV, JSON, PDF certificates, badges, QR images, ``.jwt``),
``text`` (pasted lines) and ``format`` (``html``, ``csv`` or ``pdf``).
"""

from __future__ import annotations

from html import escape
from typing import Final

from verifier import labels
from verifier.batch import (
    LOOKUP_UNAVAILABLE,
    NO_LOOKUP,
    NOT_FOUND,
    UNREADABLE_FILE,
    BatchReport,
    BatchRow,
)
from verifier.batch_items import MAX_ITEMS, BatchRequestError
from verifier.i18n import Lang, html_lang, language_links_html, say, say_html, text
from verifier.problem import PROBLEM_KINDS
from verifier.result import CredentialStatus
from verifier.web.page import STYLESHEET, VERDICTS
from verifier.words import REASONS

PAGE_PATH: Final = "/verify/batch"
ACCEPTED_FILES: Final = ".csv,.txt,.json,.jwt,.pdf,.png,.jpg,.jpeg,.svg"
KINDS: Final = frozenset(
    {
        "certificate",
        "token",
        "packed_link",
        "verify_link",
        "share_link",
        "pdf",
        "badge_png",
        "badge_svg",
        "qr_image",
    }
)
"""What an item may be; each is named by ``batch.kind.<kind>`` in the catalogues."""

BATCH_REASONS: Final = {
    NOT_FOUND: "batch.reason.not_found",
    UNREADABLE_FILE: "batch.reason.unreadable_file",
    LOOKUP_UNAVAILABLE: "batch.reason.lookup_unavailable",
    NO_LOOKUP: "batch.reason.no_lookup",
}
"""Reasons a batch gives beyond a verification's own, by code, and their catalogue keys."""


def _reason(row: BatchRow, lang: Lang) -> str:
    if row.reason is None:
        return ""
    if row.kind == "certificate" or row.reason == UNREADABLE_FILE:
        key = BATCH_REASONS.get(row.reason)
        words = say_html(key, lang) if key else escape(row.reason_text or row.reason)
    elif row.reason in REASONS:
        words = say_html(f"reason.{row.reason}", lang)
    elif row.reason in PROBLEM_KINDS:
        words = say_html(PROBLEM_KINDS[row.reason].key, lang)
    else:
        words = escape(row.reason_text or row.reason)
    return f"{words} <code>{escape(row.reason)}</code>"


def _what(row: BatchRow, lang: Lang) -> str:
    parts = [say_html(f"batch.kind.{row.kind}", lang) if row.kind in KINDS else escape(row.kind)]
    for value in (row.certificate_number, row.source):
        if value:
            parts.append(f"<br>{escape(value)}")
    return "".join(parts)


def _row_html(row: BatchRow, lang: Lang) -> str:
    verdict = VERDICTS[row.status]
    achievement = escape(row.achievement or "")
    if row.achievement_code:
        achievement += f"<br>{escape(row.achievement_code)}"
    holder = escape(row.holder_name or "")
    if row.employee_number:
        holder += f"<br>{escape(row.employee_number)}"
    words = verdict.html(lang).replace(" <span", "<br><span", 1)
    return (
        f'<tr class="{verdict.tone}" data-status="{escape(row.status.value)}">'
        f"<td>{row.index}</td>"
        f'<td><span aria-hidden="true">{verdict.symbol}</span> {words}</td>'
        f'<td class="item">{_what(row, lang)}</td><td class="holder">{holder}</td>'
        f"<td>{achievement}</td>"
        f"<td>{escape(row.unit or '')}</td><td>{escape(row.valid_until or '')}</td>"
        f"<td>{_reason(row, lang)}</td></tr>"
    )


def _pair(key: str, lang: Lang, **values: object) -> str:
    """Big paragraphs: one per language shown (the English marked)."""
    if lang is Lang.BOTH:
        zh, en = (escape(text(key, one, **values)) for one in (Lang.ZH, Lang.EN))
        return f'<p class="big">{zh}</p><p class="big" lang="en">{en}</p>'
    return f'<p class="big">{escape(text(key, lang, **values))}</p>'


def _summary_html(report: BatchReport, downloads: tuple[str, str] | None, lang: Lang) -> str:
    counts = "".join(
        f'<li class="{VERDICTS[status].tone}" data-status="{escape(status.value)}">'
        f'{VERDICTS[status].html(lang)}: <strong class="count">{count}</strong></li>'
        for status, count in report.summary.items()
        if count
    )
    links = ""
    if downloads is not None:
        csv_url, pdf_url = downloads
        links = (
            f'<p class="downloads"><a href="{escape(csv_url)}" download>'
            f"{say_html('batch.download_csv', lang)}</a> · "
            f'<a href="{escape(pdf_url)}" download>{say_html("batch.download_pdf", lang)}</a></p>'
        )
    valid = report.summary.get(CredentialStatus.VALID, 0)
    return (
        f'<section class="verdict {"good" if valid == report.total else "warn"}" role="status">'
        f"{_pair('batch.summary', lang, total=report.total, valid=valid)}"
        f'<ul class="summary">{counts}</ul>{links}</section>'
    )


def _table_html(report: BatchReport, lang: Lang) -> str:
    head = "".join(
        f'<th scope="col">{say_html(key, lang)}</th>'
        for key in (
            "batch.column.index",
            "batch.column.verdict",
            "batch.column.item",
            "batch.column.holder",
            labels.ACHIEVEMENT.key,
            labels.UNIT.key,
            labels.VALID_UNTIL.key,
            "batch.column.reason",
        )
    )
    rows = "".join(_row_html(row, lang) for row in report.rows)
    results = escape(say("batch.results", lang, sep=" "))
    return (
        # A region of its own that takes focus: on a phone it scrolls sideways, by keyboard too.
        f'<div class="table" role="region" tabindex="0" aria-label="{results}">'
        f'<table class="batch"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def _error_html(error: BatchRequestError, lang: Lang) -> str:
    """Why the batch was refused, in words (the API's English message is for programs)."""
    if error.code == "too_many_items":
        words = say_html("batch.error.too_many_items", lang, limit=error.limit or MAX_ITEMS)
    elif error.code == "no_items":
        words = say_html("batch.error.no_items", lang)
    elif error.code == "malformed_file":
        words = say_html("batch.error.malformed_file", lang)
    else:
        words = say_html("batch.error.invalid_request", lang)
    return f'<p class="error" role="alert">{words}</p>'


def _form_html(error: BatchRequestError | None, lang: Lang) -> str:
    message = _error_html(error, lang) if error else ""
    action = PAGE_PATH if lang is Lang.BOTH else f"{PAGE_PATH}?lang={lang.value}"
    return (
        f"<h2>{say_html('batch.form_title', lang)}</h2>{message}"
        f'<form method="post" action="{escape(action)}" enctype="multipart/form-data">'
        f'<label for="files">{say_html("batch.files_label", lang)}</label>'
        f'<input id="files" name="files" type="file" multiple accept="{ACCEPTED_FILES}">'
        f'<label for="text">{say_html("batch.text_label", lang)}</label>'
        '<textarea id="text" name="text" spellcheck="false" autocapitalize="off"></textarea>'
        f'<button type="submit" name="format" value="html">{say_html("page.verify_button", lang)}'
        "</button> "
        f'<button type="submit" name="format" value="csv">{say_html("batch.to_csv", lang)}'
        "</button> "
        f'<button type="submit" name="format" value="pdf">{say_html("batch.to_pdf", lang)}'
        "</button></form>"
        f"<p>{say_html('batch.limit', lang)}</p>"
    )


def render_batch_page(
    report: BatchReport | None,
    *,
    downloads: tuple[str, str] | None = None,
    error: BatchRequestError | None = None,
    lang: Lang = Lang.BOTH,
) -> str:
    """The page in ``lang``: the form, and the report above it when there is one."""
    title = say("batch.title", lang, sep=" ")
    body = ""
    if report is not None:
        body = _summary_html(report, downloads, lang) + _table_html(report, lang)
    body += _form_html(error, lang)
    one = "/verify" if lang is Lang.BOTH else f"/verify?lang={lang.value}"
    return (
        f'<!DOCTYPE html><html lang="{html_lang(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="{STYLESHEET}"></head>'
        f'<body><main class="wide">{language_links_html(PAGE_PATH, lang)}'
        f"<h1>{say_html('batch.title', lang)}</h1>"
        f'{body}<p><a href="{escape(one)}">{say_html("batch.verify_one", lang)}</a></p>'
        "<footer><p>Tessera · W3C Verifiable Credentials 2.0 · Open Badges 3.0</p></footer>"
        "</main></body></html>"
    )
