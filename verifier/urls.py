"""Every public URL of a Tessera issuer, built and parsed in this one place.

An issuer's URLs hang off its id, the public base URL (``https://certs.example``):

    <base>                                   the issuer id (``issuer.id``, ``iss``)
    <base>/v/<uuid>                          a credential's verify page (and its token)
    <base>/c#<packed>                        a QR code's self-contained verify link
    <base>/status/<list>                     a revocation status list
    <base>/status/<list>/suspension          its suspension twin (decision 0008)
    <base>/status/<list>/tsl                 the same list as a Token Status List (0056)
    <base>/status/<list>#<index>             a credential's status entry id
    <base>/credentials/<uuid>/status         a credential's status detail (decision 0009)
    <base>/achievements/<code>               an occupation at a level
    <base>/units/<code>                      a unit's profile
    <base>/types/skill-certificate           the SD-JWT VC type (``vct``) and its metadata
    <base>/.well-known/jwks.json             the published keys
    <base>/keys/<kid>                        one public key
    <base>/compromised-keys.json             keys that no longer vouch for anything
    <base>/s/<token>                         a holder's share page
    <base>/api/v1/credentials/<uuid>         a credential in the registrar API
    <base>/.well-known/openid-credential-issuer   OpenID4VCI credential issuer metadata
    <base>/.well-known/oauth-authorization-server its OAuth 2.0 server metadata (RFC 8414)
    <base>/oid4vci/offers/<reference>        a credential offer by reference
    <base>/oid4vci/token                     the token endpoint (pre-authorised code)
    <base>/oid4vci/nonce                     the nonce endpoint
    <base>/oid4vci/credential                the credential endpoint

The verifier parses what it must recognise (status lists, verify pages); the issuer builds
them all from here, so a format changes in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from verifier.format import STATUS_PURPOSE_REVOCATION, STATUS_PURPOSE_SUSPENSION
from verifier.qr_packing import packed_verify_url

SUSPENSION_SUFFIX: Final = "/suspension"
TSL_SUFFIX: Final = "/tsl"
_UUID: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_UUID_PATTERN: Final = re.compile(_UUID)


@dataclass(frozen=True)
class IssuerUrls:
    """The public URLs of the issuer whose id (public base URL) is ``base``."""

    base: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.rstrip("/"))

    @property
    def issuer_id(self) -> str:
        return self.base

    def verify_page(self, credential_id: str) -> str:
        return f"{self.base}/v/{credential_id}"

    def packed_link(self, token: str) -> str:
        """What a credential's QR code holds: ``<base>/c#<packed credential>``."""
        return packed_verify_url(self.base, token)

    @property
    def status_list_prefix(self) -> str:
        """What every one of this issuer's status-list URLs starts with."""
        return f"{self.base}/status/"

    def status_list(self, list_id: int) -> str:
        return f"{self.status_list_prefix}{list_id}"

    def suspension_list(self, list_id: int) -> str:
        return suspension_twin_url(self.status_list(list_id))

    def token_status_list(self, list_id: int) -> str:
        """The list ``list_id`` as an IETF Token Status List (``statuslist+jwt``)."""
        return f"{self.status_list(list_id)}{TSL_SUFFIX}"

    def parse_token_status_list(self, url: str) -> int | None:
        """The list id of one of this issuer's Token Status Lists, else ``None``."""
        if not url.endswith(TSL_SUFFIX):
            return None
        parsed = self.parse_status_list(url.removesuffix(TSL_SUFFIX))
        if parsed is None or parsed[1] != STATUS_PURPOSE_REVOCATION:
            return None
        return parsed[0]

    @property
    def sd_jwt_vc_type(self) -> str:
        """The SD-JWT VC ``vct``: an https URL that serves its type metadata."""
        return f"{self.base}/types/skill-certificate"

    def status_entry(self, list_id: int, index: int) -> str:
        return f"{self.status_list(list_id)}#{index}"

    def credential_status(self, credential_uuid: str) -> str:
        return f"{self.base}/credentials/{credential_uuid}/status"

    def achievement(self, code: str) -> str:
        return f"{self.base}/achievements/{code}"

    def unit(self, code: str) -> str:
        return f"{self.base}/units/{code}"

    @property
    def jwks(self) -> str:
        return f"{self.base}/.well-known/jwks.json"

    def key(self, kid: str) -> str:
        return f"{self.base}/keys/{kid}"

    @property
    def compromised_keys(self) -> str:
        return f"{self.base}/compromised-keys.json"

    def share_page(self, token: str) -> str:
        return f"{self.base}/s/{token}"

    def registrar_credential(self, credential_id: str) -> str:
        return f"{self.base}/api/v1/credentials/{credential_id}"

    @property
    def credential_issuer_metadata(self) -> str:
        return f"{self.base}/.well-known/openid-credential-issuer"

    @property
    def authorization_server_metadata(self) -> str:
        return f"{self.base}/.well-known/oauth-authorization-server"

    def wallet_offer(self, reference: str) -> str:
        return f"{self.base}/oid4vci/offers/{reference}"

    @property
    def oid4vci_token(self) -> str:
        return f"{self.base}/oid4vci/token"

    @property
    def oid4vci_nonce(self) -> str:
        return f"{self.base}/oid4vci/nonce"

    @property
    def oid4vci_credential(self) -> str:
        return f"{self.base}/oid4vci/credential"

    def parse_status_list(self, url: str) -> tuple[int, str] | None:
        """``(list id, purpose)`` of one of this issuer's status lists, else ``None``."""
        prefix = self.status_list_prefix
        if not url.startswith(prefix):
            return None
        rest, purpose = url[len(prefix) :], STATUS_PURPOSE_REVOCATION
        if rest.endswith(SUSPENSION_SUFFIX):
            rest, purpose = rest.removesuffix(SUSPENSION_SUFFIX), STATUS_PURPOSE_SUSPENSION
        if not re.fullmatch(r"[1-9][0-9]{0,9}", rest):
            return None
        return int(rest), purpose

    def parse_verify_page(self, url: str) -> str | None:
        """The credential id of one of this issuer's verify pages, else ``None``."""
        prefix = f"{self.base}/v/"
        if not url.startswith(prefix) or not _UUID_PATTERN.fullmatch(url[len(prefix) :]):
            return None
        return url[len(prefix) :]


_KEY_ID: Final = re.compile(r"[A-Za-z0-9_\-]{1,128}")


def published_key_id(issuer_id: str, kid: str) -> str:
    """The ``kid`` under which the issuer's JWKS lists the key a JWS header names.

    A header ``kid`` that is the issuer's own key URL, ``<issuer>/keys/<id>`` (what
    ``IssuerUrls.key`` builds and ``GET /keys/{kid}`` serves, and what Open Badges 3.0
    validators dereference), names the key published as ``<id>``; any other ``kid`` is
    looked up as it is. Nothing is fetched: the key still comes from the trusted issuer's
    published set (docs/decisions/0054-open-badges-profile.md).
    """
    prefix = IssuerUrls(issuer_id).key("")
    rest = kid[len(prefix) :] if kid.startswith(prefix) else ""
    return rest if _KEY_ID.fullmatch(rest) else kid


def suspension_twin_url(revocation_list_url: str) -> str:
    """Where a Tessera issuer publishes the suspension twin of a revocation list."""
    return revocation_list_url + SUSPENSION_SUFFIX


def status_detail_url(issuer_id: str, credential_id: str) -> str | None:
    """``<issuer>/credentials/<uuid>/status`` for a ``urn:uuid:`` credential id."""
    uuid = credential_id.removeprefix("urn:uuid:")
    if uuid == credential_id or not _UUID_PATTERN.fullmatch(uuid):
        return None
    return IssuerUrls(issuer_id).credential_status(uuid)
