"""Error codes to RFC 9457 problem details, with the W3C type URLs where they fit.

VCDM 2.0 §7.2 types: ``https://www.w3.org/TR/vc-data-model#`` + PARSING_ERROR,
CRYPTOGRAPHIC_SECURITY_ERROR, MALFORMED_VALUE_ERROR, RANGE_ERROR. Bitstring Status List §3.5:
``https://www.w3.org/ns/credentials/status-list#`` + STATUS_RETRIEVAL_ERROR,
STATUS_VERIFICATION_ERROR, STATUS_LIST_LENGTH_ERROR. Every code here is in docs/errors.md;
a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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
    "untrusted_verify_url": ProblemKind(
        PARSING_ERROR, "Link is not from a trusted issuer", "链接不属于受信任的颁发机构"
    ),
    "credential_not_found": ProblemKind(
        PARSING_ERROR, "No credential at this link", "此链接下没有证书"
    ),
    "invalid_packed_credential": ProblemKind(
        PARSING_ERROR, "The QR code's credential is damaged", "二维码中的证书数据已损坏"
    ),
    # parse
    "token_too_large": ProblemKind(PARSING_ERROR, "Credential is too large", "证书数据过大"),
    "malformed_token": ProblemKind(PARSING_ERROR, "Not a compact JWS", "不是有效的签名证书格式"),
    "invalid_base64url": ProblemKind(PARSING_ERROR, "Not base64url", "编码无效"),
    "invalid_json": ProblemKind(PARSING_ERROR, "Not strict JSON", "数据不是有效的 JSON"),
    "duplicate_json_key": ProblemKind(PARSING_ERROR, "Repeated JSON member", "JSON 成员重复"),
    "json_too_deep": ProblemKind(PARSING_ERROR, "JSON nests too deeply", "JSON 嵌套过深"),
    "encrypted_token_unsupported": ProblemKind(
        PARSING_ERROR, "Encrypted tokens are not accepted", "不接受加密令牌"
    ),
    "json_serialization_unsupported": ProblemKind(
        PARSING_ERROR, "JWS JSON serialization is not accepted", "不接受 JSON 序列化的签名"
    ),
    "sd_jwt_unsupported": ProblemKind(PARSING_ERROR, "SD-JWT is not supported", "不支持 SD-JWT"),
    # header
    "unsupported_algorithm": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Algorithm not allowed", "签名算法不被允许"
    ),
    "unsupported_critical_header": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Unsupported critical header", "不支持的关键头部扩展"
    ),
    "forbidden_header_parameter": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Token names its own key", "令牌自带密钥来源"
    ),
    "wrong_typ": ProblemKind(CRYPTOGRAPHIC_SECURITY_ERROR, "Wrong token type", "令牌类型错误"),
    "unsupported_token_type": ProblemKind(
        PARSING_ERROR, "Token type not supported", "不支持的令牌类型"
    ),
    "missing_kid": ProblemKind(CRYPTOGRAPHIC_SECURITY_ERROR, "No key id", "缺少密钥标识"),
    "invalid_kid": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Malformed key id", "密钥标识格式错误"
    ),
    "invalid_header": ProblemKind(CRYPTOGRAPHIC_SECURITY_ERROR, "Header refused", "头部无效"),
    # issuer_trusted
    "missing_issuer": ProblemKind(MALFORMED_VALUE_ERROR, "No issuer", "缺少颁发机构"),
    "untrusted_issuer": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Issuer not trusted", "颁发机构不受信任"
    ),
    "issuer_mismatch": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "iss does not match the issuer", "签发者声明与颁发机构不一致"
    ),
    # key
    "key_not_found": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Unknown signing key", "未知的签名密钥"
    ),
    "key_compromised": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "The signing key was compromised", "签名密钥已泄露"
    ),
    "key_source_unavailable": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Issuer keys unavailable", "无法获取颁发机构公钥"
    ),
    "algorithm_not_bound_to_key": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Algorithm not bound to the key", "算法与密钥不匹配"
    ),
    "header_jwk_mismatch": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Inline key is not the issuer's", "内嵌密钥不是颁发机构的密钥"
    ),
    # signature
    "bad_signature": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Signature does not verify", "签名验证失败"
    ),
    # credential
    "missing_property": ProblemKind(
        MALFORMED_VALUE_ERROR, "Required property missing", "缺少必需的属性"
    ),
    "invalid_property": ProblemKind(MALFORMED_VALUE_ERROR, "Invalid property", "属性无效"),
    "claim_mismatch": ProblemKind(
        MALFORMED_VALUE_ERROR, "JWT claim differs from the credential", "JWT 声明与证书内容不一致"
    ),
    "vc_vp_claim_present": ProblemKind(
        MALFORMED_VALUE_ERROR, "vc/vp claim present", "含有不允许的 vc/vp 声明"
    ),
    "unsupported_legacy_credential": ProblemKind(
        MALFORMED_VALUE_ERROR, "VCDM 1.1 credentials are not supported", "不支持 VCDM 1.1 证书"
    ),
    "status_list_as_credential": ProblemKind(
        MALFORMED_VALUE_ERROR, "A status list is not a credential", "状态列表不是证书"
    ),
    # validity
    "expired": ProblemKind(RANGE_ERROR, "Expired", "已过期"),
    "not_yet_valid": ProblemKind(RANGE_ERROR, "Not yet valid", "尚未生效"),
    # status
    "status_retrieval_error": ProblemKind(
        STATUS_RETRIEVAL_ERROR, "Status list unavailable", "无法获取状态列表"
    ),
    "status_verification_error": ProblemKind(
        STATUS_VERIFICATION_ERROR, "Status list did not verify", "状态列表验证失败"
    ),
    "status_list_length_error": ProblemKind(
        STATUS_LIST_LENGTH_ERROR, "Status list too short", "状态列表长度不足"
    ),
    "status_index_out_of_range": ProblemKind(
        RANGE_ERROR, "Status index out of range", "状态索引超出范围"
    ),
    "malformed_status_entry": ProblemKind(
        MALFORMED_VALUE_ERROR, "Malformed status entry", "状态条目格式错误"
    ),
    "malformed_status_list": ProblemKind(
        MALFORMED_VALUE_ERROR, "Malformed status list", "状态列表格式错误"
    ),
    "status_error": ProblemKind(STATUS_VERIFICATION_ERROR, "Status unknown", "无法确定状态"),
    # catch-alls: a generic code, and a bug caught before it could become an HTTP 500
    "malformed": ProblemKind(MALFORMED_VALUE_ERROR, "Malformed input", "输入格式错误"),
    "credential_error": ProblemKind(
        CRYPTOGRAPHIC_SECURITY_ERROR, "Verification failed", "验证失败"
    ),
    "internal_error": ProblemKind(
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
