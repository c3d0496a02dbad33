"""Credentials into holders' wallets: OpenID4VCI 1.0, pre-authorised code flow.

A registrar makes an offer of one credential (``create_offer``): a random reference (the
``credential_offer_uri`` path), a pre-authorised code derived from it, and a numeric
transaction code the holder is given out of band. The wallet trades the code and the
transaction code for an access token (``redeem_pre_authorized_code``: single-use, even under
concurrency; a wrong transaction code costs one of ``TX_CODE_TRIES`` tries and, at the last,
the offer), asks for a ``c_nonce`` (``issue_nonce``), and sends proofs of possession of its
keys to the credential endpoint (``issue_to_wallet``): one copy of the credential per proof,
each bound to its key, each carrying the credential's own status entry.

Nothing secret is stored in the clear (decision 0057): references, codes, access tokens and
nonces as SHA-256, the transaction code as HMAC-SHA-256 under a key derived from the key
passphrase (six digits would fall to a dictionary of a million SHA-256 hashes). No code or
token is logged or audited.

Errors the wallet is answered with are ``WalletProtocolError`` with the protocol's own
``error`` code (RFC 6749 §5.2, OpenID4VCI 1.0 §8.3.1.2); the web layer renders them as OAuth
error JSON, not problem details.

The work is in three modules: ``offer`` (offers and their codes), ``redemption`` (the token
endpoint: codes for access tokens) and ``delivery`` (nonces, credential requests, and the
copies issued to the wallet's keys). Holders make offers of their own credential from their
share page (``issuer/documents/holder_wallet.py``, decision 0059).
"""

from issuer.credentials.wallet_offers.delivery import (
    CredentialRequest,
    did_jwk,
    issue_nonce,
    issue_to_wallet,
    open_badge_copy,
    parse_credential_request,
)
from issuer.credentials.wallet_offers.offer import (
    ACCESS_TOKEN_TTL,
    BATCH_SIZE,
    CODE_KEY_PURPOSE,
    FORMATS,
    MAX_OFFERED_CREDENTIALS,
    MAX_TX_CODE_CHARS,
    NONCE_TTL,
    OFFER_TTL,
    PRE_AUTHORIZED_GRANT,
    TX_CODE_DIGITS,
    TX_CODE_KEY_PURPOSE,
    TX_CODE_TRIES,
    NewOffer,
    WalletConfiguration,
    WalletProtocolError,
    WalletSecrets,
    count_open_offers,
    create_offer,
    offer_by_reference,
    offer_document,
    offer_state,
    offered_credential_ids,
    pre_authorized_code_for,
)
from issuer.credentials.wallet_offers.redemption import (
    AccessGrant,
    credential_identifier,
    offer_for_access_token,
    redeem_pre_authorized_code,
)

__all__ = [
    "ACCESS_TOKEN_TTL",
    "BATCH_SIZE",
    "CODE_KEY_PURPOSE",
    "FORMATS",
    "MAX_OFFERED_CREDENTIALS",
    "MAX_TX_CODE_CHARS",
    "NONCE_TTL",
    "OFFER_TTL",
    "PRE_AUTHORIZED_GRANT",
    "TX_CODE_DIGITS",
    "TX_CODE_KEY_PURPOSE",
    "TX_CODE_TRIES",
    "AccessGrant",
    "CredentialRequest",
    "NewOffer",
    "WalletConfiguration",
    "WalletProtocolError",
    "WalletSecrets",
    "count_open_offers",
    "create_offer",
    "credential_identifier",
    "did_jwk",
    "issue_nonce",
    "issue_to_wallet",
    "offer_by_reference",
    "offer_document",
    "offer_for_access_token",
    "offer_state",
    "offered_credential_ids",
    "open_badge_copy",
    "parse_credential_request",
    "pre_authorized_code_for",
    "redeem_pre_authorized_code",
]
