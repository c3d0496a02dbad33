"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C VC-DI-EdDSA 1.0 §3.2),
by ``did:key`` verification methods only.

``verify_proof`` checks one embedded proof: ``type`` ``DataIntegrityProof``, ``cryptosuite``
``eddsa-rdfc-2022``, the expected ``proofPurpose``, a ``verificationMethod`` that is an
Ed25519 ``did:key`` DID URL (its key is the identifier: nothing is fetched), the caller's
``challenge`` and ``domain`` when given; then the signature over
SHA-256(RDFC-1.0(proof options)) ‖ SHA-256(RDFC-1.0(document without proof)), canonicalised
with the shipped contexts only (``verifier.json_ld``). It returns the controller DID.
Every failure raises ``DataIntegrityError``.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld

from verifier.did_key import DidKeyError, base58btc_decode, resolve_did_key
from verifier.json_ld import load_document

DATA_INTEGRITY_PROOF: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-rdfc-2022"


class DataIntegrityError(ValueError):
    """The embedded proof does not verify, or is not one this verifier checks."""


def _canonical(document: dict[str, Any]) -> bytes:
    try:
        text = jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": load_document,
            },
        )
    except Exception:
        raise DataIntegrityError("the document cannot be canonicalised") from None
    return str(text).encode("utf-8")


def verify_proof(
    document: dict[str, Any],
    *,
    purpose: str,
    challenge: str | None = None,
    domain: str | None = None,
) -> str:
    """Verify ``document``'s one embedded proof for ``purpose``; the signer's DID."""
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise DataIntegrityError("one proof object is required")
    if proof.get("type") != DATA_INTEGRITY_PROOF or proof.get("cryptosuite") != CRYPTOSUITE:
        raise DataIntegrityError("only DataIntegrityProof with eddsa-rdfc-2022 is checked")
    if proof.get("proofPurpose") != purpose:
        raise DataIntegrityError(f"the proof's purpose is not {purpose}")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or "#" not in method:
        raise DataIntegrityError("the verification method is not a DID URL")
    did, fragment = method.split("#", 1)
    if did.removeprefix("did:key:") != fragment:
        raise DataIntegrityError("the verification method is not the did:key's own key")
    try:
        key, algorithm = resolve_did_key(did)
    except DidKeyError:
        raise DataIntegrityError("the verification method is not a did:key") from None
    if algorithm != "EdDSA" or not isinstance(key, Ed25519PublicKey):
        raise DataIntegrityError("eddsa-rdfc-2022 needs an Ed25519 key")
    if challenge is not None and proof.get("challenge") != challenge:
        raise DataIntegrityError("the proof does not answer this challenge")
    if domain is not None:
        given = proof.get("domain")
        if domain not in (given if isinstance(given, list) else [given]):
            raise DataIntegrityError("the proof is not for this domain")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise DataIntegrityError("proofValue is not base58btc multibase")
    try:
        signature = base58btc_decode(value[1:])
    except DidKeyError:
        raise DataIntegrityError("proofValue is not base58btc") from None
    unsecured = {name: item for name, item in document.items() if name != "proof"}
    options = {name: item for name, item in proof.items() if name != "proofValue"}
    if "@context" in options and options["@context"] != unsecured.get("@context"):
        raise DataIntegrityError("the proof's @context is not the document's")
    options["@context"] = unsecured.get("@context")
    data = (
        hashlib.sha256(_canonical(options)).digest()
        + hashlib.sha256(_canonical(unsecured)).digest()
    )
    try:
        key.verify(signature, data)
    except InvalidSignature:
        raise DataIntegrityError("the proof's signature does not verify") from None
    return did
