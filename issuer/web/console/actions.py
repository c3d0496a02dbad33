"""Approval requests and audit events in words, in Chinese and English.

The database, the API and the CLI speak in codes (``credential.batch_revoke``,
``exam_misconduct``); the console's pages show the same codes as a person reads them. A
code without words here is shown as itself, so a new action is never hidden.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from issuer.credentials.text import UnsafeTextError, clean_note
from issuer.vocabulary import ApprovalAction, ApprovalState, AuditAction, KeyState, Role
from verifier.i18n import both
from verifier.web.page import REASONS

Words = tuple[str, str]

AUDIT_ACTIONS: Final[dict[str, Words]] = {
    AuditAction.CREDENTIAL_ISSUE: ("签发证书", "Credential issued"),
    AuditAction.CREDENTIAL_REVOKE: ("撤销证书", "Credential revoked"),
    AuditAction.CREDENTIAL_SUSPEND: ("暂停证书", "Credential suspended"),
    AuditAction.CREDENTIAL_REINSTATE: ("恢复证书", "Credential reinstated"),
    AuditAction.CREDENTIAL_REISSUE: ("重新签发证书", "Credential reissued"),
    AuditAction.CREDENTIAL_BATCH_REVOKE: ("批量撤销", "Batch revoked"),
    AuditAction.PRINCIPAL_CREATE: ("创建主体", "Principal created"),
    AuditAction.PRINCIPAL_DISABLE: ("停用主体", "Principal disabled"),
    AuditAction.USER_CREATE: ("创建用户", "User created"),
    AuditAction.USER_PASSWORD_SET: ("设置密码", "Password set"),
    AuditAction.USER_SIGN_IN: ("登录", "Signed in"),
    AuditAction.USER_SIGN_IN_LOCKED: ("账户锁定", "Account locked"),
    AuditAction.USER_SIGN_OUT_EVERYWHERE: ("退出所有设备", "Signed out everywhere"),
    AuditAction.USER_TOTP_ENABLE: ("启用动态口令", "Authenticator enabled"),
    AuditAction.USER_TOTP_DISABLE: ("停用动态口令", "Authenticator disabled"),
    AuditAction.USER_SSO_LINK: ("关联单点登录", "Single sign-on linked"),
    AuditAction.TOKEN_CREATE: ("创建 API 令牌", "API token created"),
    AuditAction.TOKEN_REVOKE: ("吊销 API 令牌", "API token revoked"),
    AuditAction.KEY_CREATE: ("生成签名密钥", "Signing key created"),
    AuditAction.KEY_ROTATE: ("轮换签名密钥", "Signing key rotated"),
    AuditAction.KEY_COMPROMISE: ("密钥标记为泄露", "Key marked compromised"),
    AuditAction.APPROVAL_REQUEST: ("提交审批", "Approval requested"),
    AuditAction.APPROVAL_APPROVE: ("批准", "Request approved"),
    AuditAction.APPROVAL_REJECT: ("拒绝", "Request refused"),
    AuditAction.IMPORT_START: ("开始导入", "Import started"),
    AuditAction.IMPORT_FINISH: ("导入完成", "Import finished"),
    AuditAction.IMPORT_BUNDLE: ("生成证书包", "Bundle built"),
    AuditAction.SHARE_LINK_CREATE: ("创建分享链接", "Share link created"),
    AuditAction.SHARE_LINK_REVOKE: ("撤销分享链接", "Share link revoked"),
    AuditAction.ISSUER_BASE_URL_SET: ("设置发证地址", "Issuer address set"),
    AuditAction.ISSUER_BASE_URL_CHANGE: ("更改发证地址", "Issuer address changed"),
    AuditAction.ISSUER_PROFILE_SET: ("更新机构资料", "Issuer profile set"),
    AuditAction.HOLDER_PHOTO_SET: both("audit.holder_photo_set"),
    AuditAction.HOLDER_PHOTO_DELETE: both("audit.holder_photo_delete"),
    AuditAction.CATALOG_UNIT_CREATE: ("新增单位", "Unit created"),
    AuditAction.CATALOG_UNIT_UPDATE: ("修改单位", "Unit changed"),
    AuditAction.CATALOG_OCCUPATION_CREATE: ("新增职业", "Occupation created"),
    AuditAction.CATALOG_OCCUPATION_UPDATE: ("修改职业", "Occupation changed"),
}

APPROVAL_ACTIONS: Final[dict[str, Words]] = {
    ApprovalAction.CREDENTIAL_BATCH_REVOKE: ("撤销整个考试场次的证书", "Revoke an exam session"),
    ApprovalAction.CREDENTIAL_REVOKE: ("撤销一张证书", "Revoke one credential"),
    ApprovalAction.CREDENTIAL_SUSPEND: ("暂停一张证书", "Suspend one credential"),
    ApprovalAction.KEY_ROTATE: ("轮换签名密钥", "Rotate the signing key"),
    ApprovalAction.KEY_COMPROMISE: ("将密钥标记为泄露", "Mark a key compromised"),
    ApprovalAction.KEY_REISSUE_COMPROMISED: (
        "重新签发泄露密钥签过的证书",
        "Reissue what a compromised key signed",
    ),
    ApprovalAction.PRINCIPAL_CREATE: ("创建管理员主体", "Create an admin principal"),
    ApprovalAction.TOKEN_CREATE: ("为管理员创建 API 令牌", "Create an admin's API token"),
}

APPROVAL_STATES: Final[dict[str, Words]] = {
    ApprovalState.PENDING: ("待审批", "Pending"),
    ApprovalState.APPROVED: ("已批准", "Approved"),
    ApprovalState.REJECTED: ("已拒绝", "Refused"),
}

KEY_STATES: Final[dict[str, Words]] = {
    KeyState.ACTIVE: ("使用中", "Active"),
    KeyState.RETIRED: ("已停用", "Retired"),
    KeyState.COMPROMISED: ("已泄露", "Compromised"),
}

ROLES: Final[dict[str, Words]] = {
    Role.ADMIN: ("管理员", "Admin"),
    Role.REGISTRAR: ("登记员", "Registrar"),
    Role.AUDITOR: ("审计员", "Auditor"),
}

# What a request's parameters mean, in the order a person reads them.
PARAMS: Final[dict[str, Words]] = {
    "exam_session": ("考试场次", "Exam session"),
    "count": ("证书数量", "Credentials"),
    "credential_id": ("凭证标识", "Credential ID"),
    "kid": ("密钥", "Key"),
    "compromised_at": ("泄露时间", "Compromised at"),
    "name": ("名称", "Name"),
    "kind": ("类型", "Kind"),
    "principal_id": ("主体编号", "Principal No."),
    "role": ("角色", "Role"),
    "expires_at": ("到期时间", "Expires"),
    "reason": ("原因", "Reason"),
    "units": ("请求人的单位", "Requester's units"),
    "note": ("备注", "Note"),
}
_TIMES = frozenset({"compromised_at", "expires_at"})
_ROTATE: Final[Words] = (
    "生成新的签名密钥并启用，当前密钥停用（仍可用于核验）",
    "A new signing key becomes active; the current one retires (it still verifies)",
)


def words(table: dict[str, Words], code: str | None) -> Words:
    """The words for ``code``, or the code itself where there are none."""
    if code is None:
        return ("—", "—")
    return table.get(code, (code, code))


@dataclass(frozen=True)
class Line:
    """One line of what a request will do: a label, and a text or a time to show."""

    label: Words
    text: Words | None = None
    time: dt.datetime | None = None


def request_lines(action: str, params: dict[str, Any]) -> list[Line]:
    """What a request will do, line by line, from its parameters."""
    lines = [Line(("操作", "Action"), text=words(APPROVAL_ACTIONS, action))]
    if action == ApprovalAction.KEY_ROTATE:
        lines.append(Line(("结果", "Effect"), text=_ROTATE))
    for key, label in PARAMS.items():
        if key not in params:
            continue
        value = params[key]
        if key in _TIMES and value:
            lines.append(Line(label, time=dt.datetime.fromisoformat(str(value))))
        elif key == "units":
            text = ("全部", "All") if value is None else (", ".join(value),) * 2
            lines.append(Line(label, text=text))
        else:
            table = REASONS if key == "reason" else ROLES if key == "role" else {}
            lines.append(Line(label, text=words(table, str(value))))
    return lines


def actor_words(actor: str | None) -> str:
    """``principal:7:李娜`` as ``李娜 (#7)``; the operator's ``cli:root`` as it is."""
    if actor is None:
        return "—"
    kind, _, rest = actor.partition(":")
    number, _, name = rest.partition(":")
    if kind in ("principal", "token") and number.isdigit() and name:
        return f"{name} (#{number})"
    return actor


MAX_NOTE: Final = 1000


def form_note(raw: str) -> tuple[str | None, Words | None]:
    """A note typed into a form as it is kept (``clean_note``: the API's ``Note``), or
    what is wrong with it, in words to show next to the field."""
    try:
        note = clean_note(raw) or None
    except UnsafeTextError:
        return None, (
            "备注含有不可见或控制字符。",
            "The note contains invisible or control characters.",
        )
    if note is not None and len(note) > MAX_NOTE:
        return None, ("备注最多 1000 个字符。", "The note is at most 1000 characters.")
    return note, None
