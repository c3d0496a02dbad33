"""The verifier's certificate (``x509_hash`` client id): the same on every replica and
restart, naming the service, holding the issuer's key, for ES256 and EdDSA keys alike."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from issuer.credentials import verifier_certificate
from issuer.credentials.verifier_certificate import verifier_certificate_der, x509_hash_client_id
from issuer.keys.signer import Signer

CREATED = dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "signer",
    [
        Signer("kid-es", "ES256", ec.generate_private_key(ec.SECP256R1())),
        Signer("kid-ed", "EdDSA", ed25519.Ed25519PrivateKey.generate()),
    ],
    ids=["ES256", "EdDSA"],
)
def test_the_certificate_is_made_again_byte_for_byte(signer: Signer) -> None:
    first = verifier_certificate_der(signer, "https://certs.example", CREATED)
    verifier_certificate._certificate_der.cache_clear()  # another process
    again = verifier_certificate_der(signer, "https://certs.example", CREATED)
    assert again == first
    assert x509_hash_client_id(again) == x509_hash_client_id(first)
    certificate = x509.load_der_x509_certificate(first)
    assert certificate.public_key() == signer.private_key.public_key()
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["certs.example"]
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == ["https://certs.example"]
    assert certificate.not_valid_before_utc == CREATED.replace(microsecond=0)
    other = verifier_certificate_der(signer, "https://other.example", CREATED)
    assert x509_hash_client_id(other) != x509_hash_client_id(first)


def test_a_loopback_address_is_named_as_an_ip_address() -> None:
    signer = Signer("kid", "ES256", ec.generate_private_key(ec.SECP256R1()))
    der = verifier_certificate_der(signer, "http://127.0.0.1:8000", CREATED)
    names = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert [str(ip) for ip in names.value.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
