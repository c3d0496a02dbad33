"""The X.509 certificate that names this service as an OpenID4VP verifier (``x509_hash``).

A wallet fetching a presentation request learns who asks from the request object's
signature: OpenID4VP 1.0 §5.9.3 ``x509_hash:<base64url SHA-256 of the DER certificate>`` as
the ``client_id``, the certificate in the request object's ``x5c`` header. The certificate
is self-signed by the issuer's active signing key: a wallet trusts it by pinning it, or by
finding its public key in the issuer's published JWKS (``/.well-known/jwks.json``); it
asserts nothing a CA checked (decision 0058).

Everything in it is derived from the key and the base URL, and ECDSA signs it
deterministically (RFC 6979), so every replica, and every restart, makes the same
certificate and the same ``client_id`` without storing either.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import ipaddress
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from issuer.keys.signer import Signer
from verifier.encoding import b64url_encode

CERTIFICATE_YEARS = 10


def _host_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


@functools.lru_cache(maxsize=8)
def _certificate_der(signer: Signer, base_url: str, key_created: dt.datetime) -> bytes:
    host = urlsplit(base_url).hostname or "localhost"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    serial = int.from_bytes(hashlib.sha256(f"{signer.kid}|{base_url}".encode()).digest()[:16])
    start = key_created.astimezone(dt.UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.private_key.public_key())
        .serial_number((serial >> 1) | 1)
        .not_valid_before(start)
        .not_valid_after(start.replace(year=start.year + CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [_host_name(host), x509.UniformResourceIdentifier(base_url)]
            ),
            critical=False,
        )
    )
    if isinstance(signer.private_key, ec.EllipticCurvePrivateKey):
        certificate = builder.sign(signer.private_key, hashes.SHA256(), ecdsa_deterministic=True)
    else:
        certificate = builder.sign(signer.private_key, None)  # Ed25519 is deterministic
    return certificate.public_bytes(serialization.Encoding.DER)


def verifier_certificate_der(signer: Signer, base_url: str, key_created: dt.datetime) -> bytes:
    """The DER certificate of ``signer``'s key for the service at ``base_url``."""
    return _certificate_der(signer, base_url, key_created)


def x509_hash_client_id(certificate_der: bytes) -> str:
    """``x509_hash:`` and the base64url SHA-256 of the DER certificate (OpenID4VP §5.9.3)."""
    return "x509_hash:" + b64url_encode(hashlib.sha256(certificate_der).digest())


def x5c_header(certificate_der: bytes) -> list[str]:
    """The ``x5c`` header: standard base64 (not base64url) DER, leaf first (RFC 7515 §4.1.6)."""
    return [base64.b64encode(certificate_der).decode("ascii")]
