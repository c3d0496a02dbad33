"""The one place that builds and parses an issuer's public URLs."""

from __future__ import annotations

import pytest

from verifier.format import STATUS_PURPOSE_REVOCATION, STATUS_PURPOSE_SUSPENSION
from verifier.qr_packing import unpack_credential
from verifier.urls import IssuerUrls, status_detail_url

URLS = IssuerUrls("https://certs.example/")
CREDENTIAL_ID = "0b7f5a52-3c4e-4f6a-9d1e-2a3b4c5d6e7f"


def test_urls_hang_off_the_issuer_id_without_a_double_slash() -> None:
    assert URLS.issuer_id == "https://certs.example"
    assert URLS.verify_page(CREDENTIAL_ID) == f"https://certs.example/v/{CREDENTIAL_ID}"
    assert URLS.status_entry(3, 17) == "https://certs.example/status/3#17"
    assert URLS.suspension_list(3) == "https://certs.example/status/3/suspension"
    assert URLS.jwks == "https://certs.example/.well-known/jwks.json"
    assert URLS.compromised_keys == "https://certs.example/compromised-keys.json"


@pytest.mark.parametrize("list_id", [1, 42, 9_999_999_999])
def test_status_list_urls_parse_back_with_their_purpose(list_id: int) -> None:
    assert URLS.parse_status_list(URLS.status_list(list_id)) == (
        list_id,
        STATUS_PURPOSE_REVOCATION,
    )
    assert URLS.parse_status_list(URLS.suspension_list(list_id)) == (
        list_id,
        STATUS_PURPOSE_SUSPENSION,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://other.example/status/1",
        "https://certs.example/status/0",
        "https://certs.example/status/01",
        "https://certs.example/status/1/revocation",
        "https://certs.example/status/1#5",
        "https://certs.example/status/../status/1",
        "https://certs.example.evil/status/1",
    ],
)
def test_other_urls_are_not_status_lists_of_this_issuer(url: str) -> None:
    assert URLS.parse_status_list(url) is None


def test_verify_pages_parse_back_and_nothing_else_does() -> None:
    assert URLS.parse_verify_page(URLS.verify_page(CREDENTIAL_ID)) == CREDENTIAL_ID
    for url in (
        f"https://other.example/v/{CREDENTIAL_ID}",
        f"https://certs.example/v/{CREDENTIAL_ID}/x",
        f"https://certs.example/v/{CREDENTIAL_ID.upper()}",
        "https://certs.example/v/not-a-uuid",
    ):
        assert URLS.parse_verify_page(url) is None


def test_packed_link_carries_the_token_itself() -> None:
    token = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
    link = URLS.packed_link(token)
    assert link.startswith("https://certs.example/c#")
    assert unpack_credential(link.partition("#")[2]) == token


def test_status_detail_url_only_for_uuid_credential_ids() -> None:
    assert status_detail_url(URLS.issuer_id, f"urn:uuid:{CREDENTIAL_ID}") == (
        f"https://certs.example/credentials/{CREDENTIAL_ID}/status"
    )
    assert status_detail_url(URLS.issuer_id, CREDENTIAL_ID) is None
    assert status_detail_url(URLS.issuer_id, "urn:uuid:../../admin") is None
