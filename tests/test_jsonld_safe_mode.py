"""Every JSON-LD document Tessera publishes expands without loss and canonicalises.

VCDM 2.0 §B.1: a JSON-LD expansion error makes verification fail, and a term no context
defines is dropped silently by a processor, or refused by one in safe mode. §5.2: every term
is defined, or the undefined-terms context comes last. Two processors check it: PyLD
(``tests/jsonld_documents.py``, which refuses what safe mode refuses) and jsonld.js with its
own ``safe`` mode (``tests/jsonld_js.py``); their canonical N-Quads (URDNA2015 / RDFC-1.0)
must be the same bytes. The contexts are the vendored copies; no loader touches the network.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyld.jsonld import JsonLdError

from issuer.services import Services
from tests.issuer.helpers import load_catalog
from tests.jsonld_documents import (
    NetworkRefusedError,
    UnsafeJsonLdError,
    canonical_nquads,
    expand_safely,
    published_documents,
)
from tests.jsonld_js import process_with_jsonld_js

DOCUMENT_NAMES = (
    "credential",
    "revocation list",
    "suspension list",
    "achievement",
    "unit",
    "issuer",
)
_TERM = r"(<[^>]+>|_:c14n\d+)"
_LITERAL = r'"(?:[^"\\]|\\.)*"(?:\^\^<[^>]+>|@[A-Za-z0-9-]+)?'
_NQUAD = re.compile(rf"{_TERM} <[^>]+> ({_TERM}|{_LITERAL}) ({_TERM} )?\.")


@pytest.fixture
def documents(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> dict[str, dict[str, Any]]:
    load_catalog(services)
    return published_documents(client, admin_headers)


def test_every_published_document_expands_in_safe_mode_and_canonicalises(
    documents: dict[str, dict[str, Any]],
) -> None:
    assert set(documents) == set(DOCUMENT_NAMES)
    for name, document in documents.items():
        expanded = expand_safely(document, name)
        assert expanded, name
        nquads = canonical_nquads(document)
        lines = nquads.splitlines()
        assert lines, name
        assert all(_NQUAD.fullmatch(line) for line in lines), name
        assert lines == sorted(lines), name  # canonical form: sorted, deterministic
        assert canonical_nquads(document) == nquads


def test_the_credential_keeps_its_jwt_claims_as_defined_terms(
    documents: dict[str, dict[str, Any]],
) -> None:
    credential = documents["credential"]
    assert credential["@context"][-1] == "https://www.w3.org/ns/credentials/undefined-terms/v2"
    nquads = canonical_nquads(credential)
    # The VC 2.0 context defines the JWT claims (IANA registry IRIs), all but jti.
    assert "<https://www.w3.org/ns/credentials/undefined-term#jti>" in nquads
    for claim in ("iss", "sub"):
        assert f"<https://www.iana.org/assignments/jose#{claim}>" in nquads
    for claim in ("nbf", "iat"):
        assert f"<https://www.iana.org/assignments/jwt#{claim}>" in nquads
    assert nquads.count("undefined-term#") == 1  # nothing else falls back on it


def test_status_lists_carry_only_defined_terms(documents: dict[str, dict[str, Any]]) -> None:
    for name in ("revocation list", "suspension list"):
        document = documents[name]
        assert document["@context"] == ["https://www.w3.org/ns/credentials/v2"], name
        # jti (no context defines it) and nbf (VC-JOSE-COSE §3.1.3: NOT RECOMMENDED) are gone;
        # iss, iat and exp describe the signature and are VC 2.0 terms.
        assert not {"jti", "nbf"} & set(document), name
        assert {"iss", "iat", "exp"} <= set(document), name
        nquads = canonical_nquads(document)
        assert "undefined-term#" not in nquads
        assert "<https://www.w3.org/ns/credentials/status#encodedList>" in nquads


def test_safe_mode_refuses_an_undefined_term() -> None:
    # Today's first issued form: OB claims with no context defining them.
    document = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:8f3c7a9e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://tessera.test", "type": ["Profile"]},
        "credentialSubject": {"id": "urn:uuid:8f3c7a9e-0000-4000-8000-000000000002"},
        "jti": "urn:uuid:8f3c7a9e-0000-4000-8000-000000000001",
    }
    with pytest.raises(UnsafeJsonLdError, match="jti"):
        expand_safely(document)
    defined = {**document, "@context": [*document["@context"], _UNDEFINED_TERMS]}
    assert expand_safely(defined)


def test_safe_mode_refuses_a_relative_identifier() -> None:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "credentials/1",
        "type": ["VerifiableCredential"],
        "issuer": "https://tessera.test",
        "credentialSubject": {"name": "x"},
    }
    with pytest.raises(UnsafeJsonLdError, match="relative @id"):
        expand_safely(document)


def test_the_loader_refuses_every_context_it_does_not_hold() -> None:
    document = {"@context": ["https://www.w3.org/ns/credentials/examples/v2"], "name": "x"}
    with pytest.raises(JsonLdError) as raised:
        expand_safely(document)
    chain: BaseException | None = raised.value
    causes = []
    while chain is not None:
        causes.append(chain)
        chain = chain.__cause__ or chain.__context__
    assert any(isinstance(cause, NetworkRefusedError) for cause in causes)


_UNDEFINED_TERMS = "https://www.w3.org/ns/credentials/undefined-terms/v2"


def test_jsonld_js_in_safe_mode_accepts_every_document_and_agrees_with_pyld(
    documents: dict[str, dict[str, Any]],
) -> None:
    refused = {
        "jti without the undefined-terms context": {
            **documents["credential"],
            "@context": documents["credential"]["@context"][:2],
        }
    }
    answers = process_with_jsonld_js({**documents, **refused})
    for name, document in documents.items():
        assert "nquads" in answers[name], (name, answers[name])
        # Two canonicalisers written apart give the same bytes (RDFC-1.0 = URDNA2015).
        assert answers[name]["nquads"] == canonical_nquads(document), name
    assert answers["jti without the undefined-terms context"]["code"] == "invalid property"
