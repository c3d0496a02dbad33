"""The e-mail a holder receives about a credential, in Chinese and English (decision 0030).

Plain text: what happened, the reason in words (the verify page's, ``verifier/web/page.py``),
the date, the credential's verify link and, for a reissue, the new credential's link. A
notice that a share link was opened says how often, never by whom. Every sentence comes from the
message catalogues (``notice.*`` keys, verifier/i18n.py), Chinese first. Headers: ``Message-ID``
fixed per notice (a retry after a lost answer is the same message), ``Date``, an encoded
UTF-8 ``Subject`` and ``Auto-Submitted: auto-generated`` (RFC 3834).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from issuer.store.models import Credential, Notice, ShareLink
from issuer.vocabulary import NoticeKind
from verifier.i18n import Lang, both, text
from verifier.labels import Label
from verifier.urls import IssuerUrls
from verifier.web.page import REASONS

# kind -> (subject, sentence): the words are in the message catalogues (``notice.*``).
_WHAT: dict[str, tuple[Label, Label]] = {
    NoticeKind.REVOKED: (Label("notice.revoked.subject"), Label("notice.revoked.body")),
    NoticeKind.SUSPENDED: (Label("notice.suspended.subject"), Label("notice.suspended.body")),
    NoticeKind.REINSTATED: (Label("notice.reinstated.subject"), Label("notice.reinstated.body")),
    NoticeKind.REISSUED: (Label("notice.reissued.subject"), Label("notice.reissued.body")),
    NoticeKind.EXPIRING: (Label("notice.expiring.subject"), Label("notice.expiring.body")),
    NoticeKind.LINK_OPENED: (
        Label("notice.link_opened.subject"),
        Label("notice.link_opened.body"),
    ),
}


@dataclass(frozen=True)
class Letter:
    """One message ready to send and the address it goes to."""

    notice_id: int
    recipient: str
    message: EmailMessage


def _date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _lines(
    notice: Notice,
    credential: Credential,
    urls: IssuerUrls,
    *,
    now: dt.datetime,
    replacement: Credential | None,
    link: ShareLink | None,
) -> dict[Lang, list[str]]:
    """The lines of the message in each language, in the same order."""
    _, what = _WHAT[notice.kind]
    reason_zh, reason_en = REASONS.get(notice.reason or "", (notice.reason, notice.reason))
    occupation, level = credential.occupation, credential.level
    lines: dict[Lang, list[str]] = {}
    for lang in (Lang.ZH, Lang.EN):
        chinese = lang is Lang.ZH
        title = text(
            "notice.title",
            lang,
            occupation=occupation.name_zh if chinese else occupation.name_en,
            level=level.name_zh if chinese else level.name_en,
        )
        said = [
            text("notice.greeting", lang, name=credential.holder_name),
            "",
            text(what.key, lang),
            text("notice.credential", lang, title=title, number=credential.number),
        ]
        if notice.reason:  # the reason of the change, as it was made
            reason = reason_zh if chinese else reason_en
            said.append(text("notice.reason", lang, reason=reason))
        if notice.kind == NoticeKind.EXPIRING and credential.valid_until is not None:
            said.append(text("notice.valid_until", lang, date=_date(credential.valid_until)))
        elif notice.kind == NoticeKind.LINK_OPENED and link is not None:
            said.append(text("notice.opened", lang, count=link.open_count, date=_date(now)))
            said.append(text("notice.not_shared", lang))
        else:
            said.append(text("notice.date", lang, date=_date(notice.due_at)))
        said.append(text("notice.verify_page", lang, url=urls.verify_page(credential.id)))
        if replacement is not None:
            url = urls.verify_page(replacement.id)
            said.append(text("notice.new_credential", lang, url=url))
        lines[lang] = said
    return lines


def notice_letter(
    notice: Notice,
    credential: Credential,
    *,
    recipient: str,
    base_url: str,
    mail_from: str,
    now: dt.datetime,
    replacement: Credential | None = None,
    link: ShareLink | None = None,
) -> Letter:
    """The message of ``notice`` about ``credential`` to ``recipient``."""
    urls = IssuerUrls(base_url)
    subject, _ = _WHAT[notice.kind]
    lines = _lines(notice, credential, urls, now=now, replacement=replacement, link=link)
    footer = ["", "—", *both("notice.automatic")]
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = recipient
    message["Subject"] = f"{subject.zh} / {subject.en}: {credential.number}"
    message["Date"] = format_datetime(now.astimezone(dt.UTC))
    host = urlsplit(base_url).hostname or "localhost"
    message["Message-ID"] = f"<notice-{notice.id}.{credential.id}@{host}>"
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "zh-CN, en"
    body = [*lines[Lang.ZH], "", *lines[Lang.EN], *footer]
    message.set_content("\n".join(body) + "\n", charset="utf-8")
    return Letter(notice.id, recipient, message)
