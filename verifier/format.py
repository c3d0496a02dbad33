"""The credential format Tessera issues and verifies: names fixed by the standards.

References: W3C VCDM 2.0 §4, VC-JOSE-COSE §3.1, Open Badges 3.0, Bitstring Status List v1.0.
"""

from __future__ import annotations

from typing import Final

VC_V2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
UNDEFINED_TERMS_CONTEXT: Final = "https://www.w3.org/ns/credentials/undefined-terms/v2"
OPEN_BADGE_CONTEXTS: Final = (VC_V2_CONTEXT, OB_V3_CONTEXT)
"""What achievements and profiles carry (every term defined), and what credentials issued
before decision 0053 carry: the verifier accepts both lists."""
CREDENTIAL_CONTEXTS: Final = (*OPEN_BADGE_CONTEXTS, UNDEFINED_TERMS_CONTEXT)
"""What a credential carries: OB 3.0's JWT claims stay, and ``jti``, which no context
defines, is defined by the undefined-terms context, last (VCDM 2.0 §5.2; decision 0053)."""

VERIFIABLE_CREDENTIAL: Final = "VerifiableCredential"
OPEN_BADGE_CREDENTIAL: Final = "OpenBadgeCredential"
ACHIEVEMENT_CREDENTIAL: Final = "AchievementCredential"  # OB 3.0 alias
STATUS_LIST_CREDENTIAL: Final = "BitstringStatusListCredential"
STATUS_LIST_ENTRY: Final = "BitstringStatusListEntry"
STATUS_LIST_SUBJECT: Final = "BitstringStatusList"

VC_JWT_TYP: Final = "vc+jwt"
VC_JWT_MEDIA_TYPE: Final = "application/vc+jwt"
JWK_SET_MEDIA_TYPE: Final = "application/jwk-set+json"

# Each key is bound to exactly one algorithm (RFC 8725 §3.1); this is the whole allowlist.
ALGORITHM_FOR_KEY_TYPE: Final = {("EC", "P-256"): "ES256", ("OKP", "Ed25519"): "EdDSA"}
ALLOWED_ALGORITHMS: Final = frozenset(ALGORITHM_FOR_KEY_TYPE.values())

# Bitstring Status List v1.0 §3.2: herd-privacy floor on the number of entries.
MIN_STATUS_LIST_ENTRIES: Final = 131_072
STATUS_PURPOSE_REVOCATION: Final = "revocation"
STATUS_PURPOSE_SUSPENSION: Final = "suspension"
