"""The e-mail a holder receives about a credential, in Chinese and English (decision 0030).

Plain text: what happened, the reason in words (the verify page's, ``verifier/web/page.py``),
the date, the credential's verify link and, for a reissue, the new credential's link. A
notice that a share link was opened says how often, never by whom. Headers: ``Message-ID``
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
from verifier.urls import IssuerUrls
from verifier.web.page import REASONS

# kind -> (Chinese subject, English subject, Chinese sentence, English sentence)
_WHAT: dict[str, tuple[str, str, str, str]] = {
    NoticeKind.REVOKED: (
        "证书已撤销",
        "Credential revoked",
        "您的证书已被撤销，不再有效。",
        "Your credential has been revoked and is no longer valid.",
    ),
    NoticeKind.SUSPENDED: (
        "证书已暂停",
        "Credential suspended",
        "您的证书已被暂停，暂停期间不被视为有效。",
        "Your credential has been suspended; while suspended it does not verify as valid.",
    ),
    NoticeKind.REINSTATED: (
        "证书已恢复有效",
        "Credential reinstated",
        "您的证书已解除暂停，重新有效。",
        "The suspension of your credential was lifted; it is valid again.",
    ),
    NoticeKind.REISSUED: (
        "证书已换发",
        "Credential reissued",
        "您的证书已由一份新证书取代，请使用新证书。",
        "Your credential was replaced by a new one; please use the new credential.",
    ),
    NoticeKind.EXPIRING: (
        "证书即将到期",
        "Credential expiring",
        "您的证书即将到期。",
        "Your credential is about to expire.",
    ),
    NoticeKind.LINK_OPENED: (
        "分享链接已被打开",
        "Share link opened",
        "您的证书分享链接已被打开。我们不记录打开者的身份。",
        "Your credential's share link was opened. Who opened it is not recorded.",
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
    subject_zh, subject_en, what_zh, what_en = _WHAT[notice.kind]
    title = f"{credential.occupation.name_zh}（{credential.level.name_zh}）"
    title_en = f"{credential.occupation.name_en} ({credential.level.name_en})"
    zh = [
        f"{credential.holder_name}，您好：",
        "",
        what_zh,
        f"证书：{title}，编号 {credential.number}",
    ]
    en = [f"Dear {credential.holder_name},", "", what_en]
    en.append(f"Credential: {title_en}, number {credential.number}")
    if notice.reason:  # the reason of the change, as it was made
        reason_zh, reason_en = REASONS.get(notice.reason, (notice.reason, notice.reason))
        zh.append(f"原因：{reason_zh}")
        en.append(f"Reason: {reason_en}")
    if notice.kind == NoticeKind.EXPIRING and credential.valid_until is not None:
        zh.append(f"有效期至：{_date(credential.valid_until)}")
        en.append(f"Valid until: {_date(credential.valid_until)}")
    elif notice.kind == NoticeKind.LINK_OPENED and link is not None:
        zh.append(f"该链接共被打开 {link.open_count} 次（截至 {_date(now)}）。")
        en.append(f"It has been opened {link.open_count} times in all (as of {_date(now)}).")
        zh.append("如非您本人分享，请联系发证机构撤销该链接。")
        en.append("If you did not share it, ask the issuer to revoke the link.")
    else:
        zh.append(f"日期：{_date(notice.due_at)}")
        en.append(f"Date: {_date(notice.due_at)}")
    zh.append(f"核验页面：{urls.verify_page(credential.id)}")
    en.append(f"Verify page: {urls.verify_page(credential.id)}")
    if replacement is not None:
        zh.append(f"新证书：{urls.verify_page(replacement.id)}")
        en.append(f"New credential: {urls.verify_page(replacement.id)}")
    footer = [
        "",
        "—",
        "此邮件由系统自动发送，请勿回复。",
        "This message was sent automatically; please do not reply.",
    ]
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = recipient
    message["Subject"] = f"{subject_zh} / {subject_en}: {credential.number}"
    message["Date"] = format_datetime(now.astimezone(dt.UTC))
    host = urlsplit(base_url).hostname or "localhost"
    message["Message-ID"] = f"<notice-{notice.id}.{credential.id}@{host}>"
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "zh-CN, en"
    message.set_content("\n".join([*zh, "", *en, *footer]) + "\n", charset="utf-8")
    return Letter(notice.id, recipient, message)
