"""Signing keys: RFC 7638 thumbprints, encryption at rest, rotation."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from issuer.errors import ConfigurationError
from issuer.keys.keystore import create_signing_key, key_path, load_signer, read_private_key
from issuer.keys.signer import Signer
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import SigningKey
from tests.helpers import PASSPHRASE
from tests.issuer.helpers import VECTORS, issue_body, load_catalog, verify_with_jwcrypto
from verifier.encoding import b64url_decode
from verifier.jwk import jwk_thumbprint

THUMBPRINTS = json.loads((VECTORS / "jwk-thumbprint-rfc7638.json").read_text("utf-8"))


@pytest.mark.parametrize("case", ["rfc7638_example", "derived_NOT_from_spec"])
def test_thumbprint_matches_the_vector(case: str) -> None:
    vector = THUMBPRINTS[case]
    assert jwk_thumbprint(vector["jwk"]) == vector["sha256_thumbprint_b64url"]


def test_key_file_is_encrypted_pkcs8_mode_0600(services: Services) -> None:
    with services.sessions() as session:
        signer = load_signer(session, services.settings.keys_dir, PASSPHRASE.encode())
    path = key_path(services.settings.keys_dir, signer.kid)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # an encrypted key cannot be loaded without the passphrase
        serialization.load_pem_private_key(pem, password=None)
    assert repr(signer) == f"Signer(kid={signer.kid!r}, algorithm='ES256')"


def test_wrong_passphrase_is_one_clear_error(services: Services) -> None:
    with services.sessions() as session:
        signer = load_signer(session, services.settings.keys_dir, PASSPHRASE.encode())
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        read_private_key(key_path(services.settings.keys_dir, signer.kid), b"wrong")


def test_missing_key_file_is_one_clear_error(services: Services, tmp_path: Path) -> None:
    with services.sessions() as session, pytest.raises(ConfigurationError, match="cannot be read"):
        load_signer(session, tmp_path / "empty", PASSPHRASE.encode())


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA"])
def test_kid_is_the_thumbprint_of_the_published_key(services: Services, algorithm: str) -> None:
    record, _ = _new_key(services, algorithm)
    assert record.kid == jwk_thumbprint(record.public_jwk)
    assert record.public_jwk["alg"] == algorithm
    assert "d" not in record.public_jwk


def test_credentials_signed_before_a_rotation_still_verify_after_it(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    old = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    with session_scope(services.sessions) as session:
        create_signing_key(
            session, services.settings.keys_dir, PASSPHRASE.encode(), "ES256", now=services.clock()
        )
    body = issue_body(holder={"name": "李四", "employee_number": "E-2"})
    new = client.post("/api/v1/credentials", json=body, headers=admin_headers).json()
    assert new["kid"] != old["kid"]
    jwks = client.get("/.well-known/jwks.json").json()
    assert {k["kid"] for k in jwks["keys"]} == {old["kid"], new["kid"]}
    verify_with_jwcrypto(old["credential"], jwks)
    verify_with_jwcrypto(new["credential"], jwks)
    one = client.get(f"/keys/{old['kid']}").json()
    assert one["kid"] == old["kid"]
    assert "d" not in one


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA"])
def test_signed_parts_are_the_bytes_the_token_encodes(services: Services, algorithm: str) -> None:
    record, signer = _new_key(services, algorithm)
    assert signer.kid == record.kid
    payload = {"name": "李明", "n": 1}
    signed = signer.sign_parts(payload)
    header, body, signature = (b64url_decode(part) for part in signed.token.split("."))
    assert (header, body, signature) == (signed.header, signed.payload, signed.signature)
    assert signer.sign(payload).split(".")[:2] == signed.token.split(".")[:2]
    jwks = {"keys": [record.public_jwk]}
    assert verify_with_jwcrypto(signed.token, jwks) == (
        {"alg": algorithm, "kid": record.kid, "typ": "vc+jwt"},
        payload,
    )


def _new_key(services: Services, algorithm: str) -> tuple[SigningKey, Signer]:
    """A new active key of ``algorithm``: its record and the signer loaded from its file."""
    with session_scope(services.sessions) as session:
        record = create_signing_key(
            session,
            services.settings.keys_dir,
            PASSPHRASE.encode(),
            algorithm,
            now=services.clock(),
        )
        signer = load_signer(session, services.settings.keys_dir, PASSPHRASE.encode())
    return record, signer
