"""SD-JWT (RFC 9901) as Tessera writes and reads it: names, disclosures and digests.

Only what both sides need lives here: the issuer builds disclosures with these functions
and the verifier recomputes digests with the same ones. The hash is SHA-256 (RFC 9901
§4.1.1: ``sha-256`` MUST be supported; it is the only one Tessera writes or accepts).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from verifier.encoding import b64url_encode

SD_JWT_VC_TYP: Final = "dc+sd-jwt"
"""The SD-JWT VC header ``typ`` (draft-ietf-oauth-sd-jwt-vc "JOSE Header")."""
SD_JWT_VC_MEDIA_TYPE: Final = "application/dc+sd-jwt"
KB_JWT_TYP: Final = "kb+jwt"
"""The key-binding JWT header ``typ`` (RFC 9901 §4.3)."""
SD_ALG: Final = "sha-256"
SEPARATOR: Final = "~"

# RFC 9901 §4.1, §4.2.4.2: the names that carry digests, never claims.
SD_KEY: Final = "_sd"
SD_ALG_KEY: Final = "_sd_alg"
ARRAY_DIGEST_KEY: Final = "..."

# SD-JWT VC "Registered JWT Claims": these MUST NOT be selectively disclosable.
NEVER_DISCLOSABLE: Final = frozenset(
    {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status"}
)


def encode_disclosure(salt: str, name: str, value: Any) -> str:
    """An object-property disclosure: base64url of the UTF-8 JSON ``[salt, name, value]``
    (RFC 9901 §4.2.1). The exact string is what the digest covers (§4.2.3)."""
    text = json.dumps([salt, name, value], ensure_ascii=False, separators=(",", ":"))
    return b64url_encode(text.encode("utf-8"))


def disclosure_digest(disclosure: str) -> str:
    """base64url(SHA-256(US-ASCII bytes of the disclosure as sent)) (RFC 9901 §4.2.3)."""
    return b64url_encode(hashlib.sha256(disclosure.encode("ascii")).digest())


def sd_hash(presentation_without_kb: str) -> str:
    """The KB-JWT ``sd_hash`` over ``<JWT>~<disclosure>~…~`` (RFC 9901 §4.3.1)."""
    return b64url_encode(hashlib.sha256(presentation_without_kb.encode("ascii")).digest())
