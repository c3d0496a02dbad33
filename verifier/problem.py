"""Error codes to RFC 9457 problem details, with the W3C type URLs where they fit.

VCDM 2.0 §7.2 types: ``https://www.w3.org/TR/vc-data-model#`` + PARSING_ERROR,
CRYPTOGRAPHIC_SECURITY_ERROR, MALFORMED_VALUE_ERROR, RANGE_ERROR. Bitstring Status List §3.5:
``https://www.w3.org/ns/credentials/status-list#`` + STATUS_RETRIEVAL_ERROR,
STATUS_VERIFICATION_ERROR, STATUS_LIST_LENGTH_ERROR. Every ``CredentialErrorCode`` is in
docs/errors.md; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from verifier.errors import CredentialErrorCode
from verifier.result import CheckCode, Problem

VCDM: Final = "https://www.w3.org/TR/vc-data-model#"
BSL: Final = "https://www.w3.org/ns/credentials/status-list#"
PARSING_ERROR: Final = VCDM + "PARSING_ERROR"
CRYPTOGRAPHIC_SECURITY_ERROR: Final = VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR"
MALFORMED_VALUE_ERROR: Final = VCDM + "MALFORMED_VALUE_ERROR"
RANGE_ERROR: Final = VCDM + "RANGE_ERROR"
STATUS_RETRIEVAL_ERROR: Final = BSL + "STATUS_RETRIEVAL_ERROR"
STATUS_VERIFICATION_ERROR: Final = BSL + "STATUS_VERIFICATION_ERROR"
STATUS_LIST_LENGTH_ERROR: Final = BSL + "STATUS_LIST_LENGTH_ERROR"


@dataclass(frozen=True)
class ProblemKind:
    """How one error code is reported: its problem type and titles in English and Chinese."""

    type: str
    title: str
    title_zh: str


PROBLEM_KINDS: Final[dict[str, ProblemKind]] = {
    # locate (verify URL input)
    CredentialErrorCode.UNTRUSTED_VERIFY_URL: ProblemKind(
        PARSING_ERROR, "Link is not from a trusted issuer", "链接不属于受信任的颁发机构"
    ),
    CredentialErrorCode.CREDENTIAL_NOT_FOUND: ProblemKind(
        PARSING_ERROR, "No credential at this link", "此链接下没有证书"
    ),
    CredentialErrorCode.CREDENTIAL_STORE_UNAVAILABLE: ProblemKind(
        PARSING_ERROR, "The credential could not be fetched now", "暂时无法获取证书"
    ),
    CredentialErrorCode.INVALID_PACKED_CREDENTIAL: ProblemKind(
        PARSING_ERROR, "The QR code's credential is damaged", "二维码中的证书数据已损坏"
    ),
    # parse
    CredentialErrorCode.TOKEN_TOO_LARGE: ProblemKind(
        PARSING_ERROR, "Credential is too large", "证书数据过大"
    ),
    CredentialErrorCode.MALFORMED_TOKEN: ProblemKind(
        PARSING_ERROR, "Not a compact JWS", "不是有效的签名证书格式"
    ),
    CredentialErrorCode.INVALID_BASE64URL: ProblemKind(PARSING_ERROR, "Not base64url", "编码无效"),
    CredentialErrorCode.INVALID_JSON: ProblemKind(
        PARSING_ERROR, "Not strict JSON", "数据不是有效的 JSON"
    ),
    CredentialErrorCode.DUPLICATE_JSON_KEY: ProblemKind(
        PARSING_ERROR, "Repeated JSON member", "JSON 成员重复"
    ),
    CredentialErrorCode.JSON_TOO_DEEP: ProblemKind(
        PARSING_ERROR, "JSON nests too deeply", "JSON 嵌套过深"
    ),
    CredentialErrorCode.ENCRYPTED_TOKEN_UNSUPPORTED: ProblemKind(
        PARSING_ERROR, "Encrypted tokens are not accepted", "不接受加密令牌"
    ),
    CredentialErrorCode.JSON_SERIALIZATION_UNSUPPORTED: ProblemKind(
        PARSING_ERROR, "JWS JSON serialization is not accepted", "不接受 JSON 序列化的签名"
    ),
    CredentialErrorCode.SD_JWT_UNSUPPORTED: ProblemKind(
        PARSING_ERROR, "SD-JWT is not supported", "不支持 SD-JWT"
    ),
    # header
    CredentialErrorCode.UNSUPPORTED_ALGORITHM: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Algorithm not allowed", "签名算法不被允许"
    ),
    CredentialErrorCode.UNSUPPORTED_CRITICAL_HEADER: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Unsupported critical header", "不支持的关键头部扩展"
    ),
    CredentialErrorCode.FORBIDDEN_HEADER_PARAMETER: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Token names its own key", "令牌自带密钥来源"
    ),
    CredentialErrorCode.WRONG_TYP: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Wrong token type", "令牌类型错误"
    ),
    CredentialErrorCode.UNSUPPORTED_TOKEN_TYPE: ProblemKind(
        PARSING_ERROR, "Token type not supported", "不支持的令牌类型"
    ),
    CredentialErrorCode.MISSING_KID: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "No key id", "缺少密钥标识"
    ),
    CredentialErrorCode.INVALID_KID: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Malformed key id", "密钥标识格式错误"
    ),
    CredentialErrorCode.INVALID_HEADER: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Header refused", "头部无效"
    ),
    # issuer_trusted
    CredentialErrorCode.MISSING_ISSUER: ProblemKind(
        MALFORMED_VALUE_ERROR, "No issuer", "缺少颁发机构"
    ),
    CredentialErrorCode.UNTRUSTED_ISSUER: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Issuer not trusted", "颁发机构不受信任"
    ),
    CredentialErrorCode.ISSUER_MISMATCH: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "iss does not match the issuer", "签发者声明与颁发机构不一致"
    ),
    # key
    CredentialErrorCode.KEY_NOT_FOUND: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Unknown signing key", "未知的签名密钥"
    ),
    CredentialErrorCode.KEY_COMPROMISED: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "The signing key was compromised", "签名密钥已泄露"
    ),
    CredentialErrorCode.KEY_SOURCE_UNAVAILABLE: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Issuer keys unavailable", "无法获取颁发机构公钥"
    ),
    CredentialErrorCode.KEY_SOURCE_STALE: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR,
        "Issuer keys too old to trust; cannot check now",
        "颁发机构公钥缓存已过期，暂时无法核验",
    ),
    CredentialErrorCode.ALGORITHM_NOT_BOUND_TO_KEY: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Algorithm not bound to the key", "算法与密钥不匹配"
    ),
    CredentialErrorCode.HEADER_JWK_MISMATCH: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Inline key is not the issuer's", "内嵌密钥不是颁发机构的密钥"
    ),
    # signature
    CredentialErrorCode.BAD_SIGNATURE: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Signature does not verify", "签名验证失败"
    ),
    CredentialErrorCode.MALFORMED_SIGNATURE: ProblemKind(
        PARSING_ERROR, "The signature is damaged or cut short", "签名数据不完整或已损坏"
    ),
    # credential
    CredentialErrorCode.MISSING_PROPERTY: ProblemKind(
        MALFORMED_VALUE_ERROR, "Required property missing", "缺少必需的属性"
    ),
    CredentialErrorCode.INVALID_PROPERTY: ProblemKind(
        MALFORMED_VALUE_ERROR, "Invalid property", "属性无效"
    ),
    CredentialErrorCode.CLAIM_MISMATCH: ProblemKind(
        MALFORMED_VALUE_ERROR, "JWT claim differs from the credential", "JWT 声明与证书内容不一致"
    ),
    CredentialErrorCode.VC_VP_CLAIM_PRESENT: ProblemKind(
        MALFORMED_VALUE_ERROR, "vc/vp claim present", "含有不允许的 vc/vp 声明"
    ),
    CredentialErrorCode.UNSUPPORTED_LEGACY_CREDENTIAL: ProblemKind(
        MALFORMED_VALUE_ERROR, "VCDM 1.1 credentials are not supported", "不支持 VCDM 1.1 证书"
    ),
    CredentialErrorCode.STATUS_LIST_AS_CREDENTIAL: ProblemKind(
        MALFORMED_VALUE_ERROR, "A status list is not a credential", "状态列表不是证书"
    ),
    # validity
    CredentialErrorCode.EXPIRED: ProblemKind(RANGE_ERROR, "Expired", "已过期"),
    CredentialErrorCode.NOT_YET_VALID: ProblemKind(RANGE_ERROR, "Not yet valid", "尚未生效"),
    # status
    CredentialErrorCode.STATUS_RETRIEVAL_ERROR: ProblemKind(
        STATUS_RETRIEVAL_ERROR, "Status list unavailable", "无法获取状态列表"
    ),
    CredentialErrorCode.STATUS_VERIFICATION_ERROR: ProblemKind(
        STATUS_VERIFICATION_ERROR, "Status list did not verify", "状态列表验证失败"
    ),
    CredentialErrorCode.STATUS_LIST_LENGTH_ERROR: ProblemKind(
        STATUS_LIST_LENGTH_ERROR, "Status list too short", "状态列表长度不足"
    ),
    CredentialErrorCode.STATUS_INDEX_OUT_OF_RANGE: ProblemKind(
        RANGE_ERROR, "Status index out of range", "状态索引超出范围"
    ),
    CredentialErrorCode.MALFORMED_STATUS_ENTRY: ProblemKind(
        MALFORMED_VALUE_ERROR, "Malformed status entry", "状态条目格式错误"
    ),
    CredentialErrorCode.MALFORMED_STATUS_LIST: ProblemKind(
        MALFORMED_VALUE_ERROR, "Malformed status list", "状态列表格式错误"
    ),
    CredentialErrorCode.STATUS_ERROR: ProblemKind(
        STATUS_VERIFICATION_ERROR, "Status unknown", "无法确定状态"
    ),
    # catch-alls: a generic code, and a bug caught before it could become an HTTP 500
    CredentialErrorCode.MALFORMED: ProblemKind(
        MALFORMED_VALUE_ERROR, "Malformed input", "输入格式错误"
    ),
    CredentialErrorCode.CREDENTIAL_ERROR: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Verification failed", "验证失败"
    ),
    CredentialErrorCode.INTERNAL_ERROR: ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Internal error", "核验程序内部错误"
    ),
}

_DEFAULT_BY_CHECK: Final = {
    CheckCode.LOCATE: PARSING_ERROR,
    CheckCode.PARSE: PARSING_ERROR,
    CheckCode.CREDENTIAL: MALFORMED_VALUE_ERROR,
    CheckCode.VALIDITY: RANGE_ERROR,
    CheckCode.STATUS: STATUS_VERIFICATION_ERROR,
}


def problem_kind(code: str, check: CheckCode) -> ProblemKind:
    """The kind for ``code``; an unlisted code falls back on its check's type."""
    kind = PROBLEM_KINDS.get(code)
    if kind is not None:
        return kind
    return ProblemKind(
        _DEFAULT_BY_CHECK.get(check, CRYPTOGRAPHIC_SECURITY_ERROR),
        "Verification failed",
        "验证失败",
    )


def make_problem(code: str, check: CheckCode, detail: str) -> Problem:
    """An RFC 9457 problem for a failed check."""
    kind = problem_kind(code, check)
    return Problem(type=kind.type, title=kind.title, detail=detail, code=code, check=check)
