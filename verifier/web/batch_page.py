"""The batch verify page: a form, then the summary and one line per item, Chinese and English.

Like ``verifier.web.page``: no template engine, no inline script or style (the stylesheet is
``/verify/verify.css``), every value through ``html.escape``, the verdict carried by text and
symbol. The form posts ``multipart/form-data``: ``files`` (CSV, JSON, PDF certificates, badges,
QR images, ``.jwt``), ``text`` (pasted lines) and ``format`` (``html``, ``csv`` or ``pdf``).
"""

from __future__ import annotations

from html import escape
from typing import Final

from verifier.batch import (
    LOOKUP_UNAVAILABLE,
    NO_LOOKUP,
    NOT_FOUND,
    UNREADABLE_FILE,
    BatchReport,
    BatchRow,
)
from verifier.problem import PROBLEM_KINDS
from verifier.result import CredentialStatus
from verifier.web.page import REASONS, STYLESHEET, VERDICTS

PAGE_PATH: Final = "/verify/batch"
ACCEPTED_FILES: Final = ".csv,.txt,.json,.jwt,.pdf,.png,.jpg,.jpeg,.svg"
KINDS: Final[dict[str, tuple[str, str]]] = {
    "certificate": ("证书编号", "certificate number"),
    "token": ("凭证", "credential"),
    "packed_link": ("二维码链接", "QR link"),
    "verify_link": ("核验链接", "verify link"),
    "share_link": ("分享链接", "share link"),
    "pdf": ("PDF 证书", "PDF certificate"),
    "badge_png": ("徽章 PNG", "badge PNG"),
    "badge_svg": ("徽章 SVG", "badge SVG"),
    "qr_image": ("二维码图片", "QR image"),
}


# Reasons a batch gives beyond a verification's own: (Chinese, English when no reason_text).
BATCH_REASONS: Final[dict[str, tuple[str, str]]] = {
    NOT_FOUND: ("证书编号与姓名不符，或无此证书", "No credential with this number and name"),
    UNREADABLE_FILE: ("无法读取该文件", "The file cannot be read"),
    LOOKUP_UNAVAILABLE: ("暂时无法查询证书编号", "Certificate numbers cannot be looked up now"),
    NO_LOOKUP: ("不支持按证书编号核验", "Certificate numbers cannot be looked up here"),
}


def _reason(row: BatchRow) -> str:
    if row.reason is None:
        return ""
    if row.kind == "certificate" or row.reason == UNREADABLE_FILE:
        zh, en = BATCH_REASONS.get(row.reason, ("", row.reason))
        en = row.reason_text or en
    elif row.reason in REASONS:
        zh, en = REASONS[row.reason]
    elif row.reason in PROBLEM_KINDS:
        kind = PROBLEM_KINDS[row.reason]
        zh, en = kind.title_zh, kind.title
    else:
        zh, en = "", row.reason_text or row.reason
    zh_html = f"{escape(zh)} " if zh else ""
    return f'{zh_html}<span lang="en">{escape(en)}</span> <code>{escape(row.reason)}</code>'


def _what(row: BatchRow) -> str:
    zh, en = KINDS.get(row.kind, ("", row.kind))
    parts = [f'{escape(zh)} <span lang="en">{escape(en)}</span>']
    for value in (row.certificate_number, row.source):
        if value:
            parts.append(f"<br>{escape(value)}")
    return "".join(parts)


def _row_html(row: BatchRow) -> str:
    verdict = VERDICTS[row.status]
    achievement = escape(row.achievement or "")
    if row.achievement_code:
        achievement += f"<br>{escape(row.achievement_code)}"
    holder = escape(row.holder_name or "")
    if row.employee_number:
        holder += f"<br>{escape(row.employee_number)}"
    return (
        f'<tr class="{verdict.tone}" data-status="{escape(row.status.value)}">'
        f"<td>{row.index}</td>"
        f'<td><span aria-hidden="true">{verdict.symbol}</span> {escape(verdict.zh)}'
        f'<br><span lang="en">{escape(verdict.en)}</span></td>'
        f'<td class="item">{_what(row)}</td><td class="holder">{holder}</td>'
        f"<td>{achievement}</td>"
        f"<td>{escape(row.unit or '')}</td><td>{escape(row.valid_until or '')}</td>"
        f"<td>{_reason(row)}</td></tr>"
    )


def _summary_html(report: BatchReport, downloads: tuple[str, str] | None) -> str:
    counts = "".join(
        f'<li class="{VERDICTS[status].tone}" data-status="{escape(status.value)}">'
        f'{escape(VERDICTS[status].zh)} <span lang="en">{escape(VERDICTS[status].en)}</span>: '
        f'<strong class="count">{count}</strong></li>'
        for status, count in report.summary.items()
        if count
    )
    links = ""
    if downloads is not None:
        csv_url, pdf_url = downloads
        links = (
            f'<p class="downloads"><a href="{escape(csv_url)}" download>下载 CSV '
            f'<span lang="en">Download CSV</span></a> · <a href="{escape(pdf_url)}" download>'
            '下载 PDF <span lang="en">Download PDF</span></a></p>'
        )
    valid = report.summary.get(CredentialStatus.VALID, 0)
    return (
        f'<section class="verdict {"good" if valid == report.total else "warn"}" role="status">'
        f'<p class="big">共 {report.total} 项，{valid} 项真实有效</p>'
        f'<p class="big" lang="en">{report.total} items, {valid} genuine and valid</p>'
        f'<ul class="summary">{counts}</ul>{links}</section>'
    )


def _table_html(report: BatchReport) -> str:
    head = "".join(
        f'<th scope="col">{escape(zh)} <span lang="en">{escape(en)}</span></th>'
        for zh, en in (
            ("序号", "#"),
            ("结果", "Verdict"),
            ("提交内容", "Item"),
            ("持证人", "Holder"),
            ("职业及等级", "Occupation and level"),
            ("单位", "Unit"),
            ("有效期至", "Valid until"),
            ("原因", "Reason"),
        )
    )
    rows = "".join(_row_html(row) for row in report.rows)
    return (
        # A region of its own that takes focus: on a phone it scrolls sideways, by keyboard too.
        '<div class="table" role="region" tabindex="0" aria-label="核验结果 Results">'
        f'<table class="batch"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def _form_html(error: str | None) -> str:
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return (
        f'<h2>批量核验 <span lang="en">Verify many credentials</span></h2>{message}'
        f'<form method="post" action="{PAGE_PATH}" enctype="multipart/form-data">'
        '<label for="files">上传文件：证书编号与姓名的 CSV、PDF 证书、徽章或二维码图片 '
        '<span lang="en">Upload a CSV of certificate numbers and names, PDF certificates, '
        "badges or QR images</span></label>"
        f'<input id="files" name="files" type="file" multiple accept="{ACCEPTED_FILES}">'
        '<label for="text">或粘贴：每行一个证书、链接，或“证书编号,姓名” '
        '<span lang="en">Or paste one credential, link, or "number,name" a line</span></label>'
        '<textarea id="text" name="text" spellcheck="false" autocapitalize="off"></textarea>'
        '<button type="submit" name="format" value="html">核验 <span lang="en">Verify</span>'
        "</button> "
        '<button type="submit" name="format" value="csv">核验并下载 CSV '
        '<span lang="en">Verify to CSV</span></button> '
        '<button type="submit" name="format" value="pdf">核验并下载 PDF '
        '<span lang="en">Verify to PDF</span></button></form>'
        '<p>每批最多 5,000 项。<span lang="en">At most 5,000 items a batch.</span></p>'
    )


def render_batch_page(
    report: BatchReport | None,
    *,
    downloads: tuple[str, str] | None = None,
    error: str | None = None,
) -> str:
    """The page: the form, and the report above it when there is one."""
    title = "批量核验 Batch verification"
    body = ""
    if report is not None:
        body = _summary_html(report, downloads) + _table_html(report)
    body += _form_html(error)
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="{STYLESHEET}"></head>'
        f'<body><main class="wide"><h1>批量核验 <span lang="en">Batch verification</span></h1>'
        f'{body}<p><a href="/verify">核验单个证书 <span lang="en">Verify one credential'
        "</span></a></p>"
        "<footer><p>Tessera · W3C Verifiable Credentials 2.0 · Open Badges 3.0</p></footer>"
        "</main></body></html>"
    )
