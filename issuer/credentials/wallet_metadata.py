"""What a wallet reads before it asks: the Credential Issuer Metadata (OpenID4VCI 1.0 §12.2)
and the OAuth 2.0 Authorization Server Metadata (RFC 8414) of this issuer, which is its own
authorisation server for the pre-authorised code flow.

Every word a person reads in a wallet comes from the catalogues, in Chinese and English.
"""

from __future__ import annotations

from typing import Any

from issuer.credentials.profile import IssuerProfile
from issuer.credentials.wallet_offers import (
    BATCH_SIZE,
    FORMATS,
    PRE_AUTHORIZED_GRANT,
    WalletConfiguration,
)
from issuer.credentials.wallet_proofs import PROOF_ALGORITHMS
from verifier.format import OPEN_BADGE_CREDENTIAL, VERIFIABLE_CREDENTIAL
from verifier.i18n import both
from verifier.urls import IssuerUrls

# Claims a wallet may label, as (path, catalogue key); the SD-JWT VC's and the W3C form's.
_SD_JWT_CLAIMS = (
    (("holder_name",), "wallet.claim.holder_name"),
    (("occupation",), "wallet.claim.occupation"),
    (("level",), "wallet.claim.level"),
    (("certificate_number",), "wallet.claim.certificate_number"),
)
_OPEN_BADGE_CLAIMS = (
    (("credentialSubject", "achievement", "name"), "wallet.claim.achievement"),
    (("credentialSubject", "source", "name"), "wallet.claim.unit"),
    (("credentialSubject", "activityEndDate"), "wallet.claim.exam_date"),
    (("issuer", "name"), "wallet.claim.issuer"),
)


def _display(key: str) -> list[dict[str, str]]:
    zh, en = both(key)
    return [{"name": zh, "locale": "zh"}, {"name": en, "locale": "en"}]


def _claims(claims: tuple[tuple[tuple[str, ...], str], ...]) -> list[dict[str, Any]]:
    return [{"path": list(path), "display": _display(key)} for path, key in claims]


def _configuration(configuration: WalletConfiguration, signing_alg: str) -> dict[str, Any]:
    proof_types = {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}}
    common: dict[str, Any] = {
        "format": FORMATS[configuration],
        "credential_signing_alg_values_supported": [signing_alg],
        "proof_types_supported": proof_types,
    }
    if configuration is WalletConfiguration.SD_JWT:
        return {
            **common,
            "cryptographic_binding_methods_supported": ["jwk"],
            "credential_metadata": {
                "display": _display("wallet.configuration.sd_jwt"),
                "claims": _claims(_SD_JWT_CLAIMS),
            },
        }
    return {
        **common,
        "cryptographic_binding_methods_supported": ["did:jwk", "jwk"],
        "credential_definition": {"type": [VERIFIABLE_CREDENTIAL, OPEN_BADGE_CREDENTIAL]},
        "credential_metadata": {
            "display": _display("wallet.configuration.open_badge"),
            "claims": _claims(_OPEN_BADGE_CLAIMS),
        },
    }


def credential_issuer_metadata(
    urls: IssuerUrls, profile: IssuerProfile, *, signing_alg: str
) -> dict[str, Any]:
    """This issuer's Credential Issuer Metadata."""
    configurations = {c.value: _configuration(c, signing_alg) for c in WalletConfiguration}
    # The certificate's SD-JWT VC type (``vct``): the builder signs the same URL, which
    # serves its type metadata.
    configurations[WalletConfiguration.SD_JWT]["vct"] = urls.sd_jwt_vc_type
    return {
        "credential_issuer": urls.issuer_id,
        "authorization_servers": [urls.issuer_id],
        "credential_endpoint": urls.oid4vci_credential,
        "nonce_endpoint": urls.oid4vci_nonce,
        "batch_credential_issuance": {"batch_size": BATCH_SIZE},
        "display": [
            {"name": profile.name_zh, "locale": "zh"},
            {"name": profile.name_en, "locale": "en"},
        ],
        "credential_configurations_supported": configurations,
    }


def authorization_server_metadata(urls: IssuerUrls) -> dict[str, Any]:
    """This issuer as the OAuth 2.0 authorisation server of its offers (RFC 8414 §2)."""
    return {
        "issuer": urls.issuer_id,
        "token_endpoint": urls.oid4vci_token,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
    }
