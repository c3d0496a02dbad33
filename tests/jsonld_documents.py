"""JSON-LD processing of Tessera's published documents, offline, with PyLD.

The contexts are the vendored copies in ``tests/vectors/contexts/`` (provenance in
``tests/vectors/README.md``); the document loader knows only those and raises on any other
URL, so no test ever reaches the network.

PyLD (pinned in pyproject.toml) has no ``safeMode`` option of its own; what jsonld.js's safe
mode refuses is the same list of silent losses, and ``expand_safely`` refuses them from
PyLD's own output: a property PyLD drops because no context defines it (PyLD's
``on_property_dropped`` hook, the "invalid property" of jsonld.js), and an ``@id`` or
``@type`` left relative (jsonld.js "relative @id/@type reference"), which RDF drops.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pyld import jsonld

from tests.helpers import BASE_URL
from tests.issuer.helpers import issue_body

CONTEXTS = Path(__file__).resolve().parent / "vectors" / "contexts"
CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/undefined-terms/v2": (
        "credentials-undefined-terms-v2.jsonld"
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
}


class UnsafeJsonLdError(Exception):
    """The document loses data on expansion: what a JSON-LD processor in safe mode refuses."""


class NetworkRefusedError(Exception):
    """A context URL that is not vendored: the loader never fetches anything."""


def load_document(url: str, _options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD document loader: vendored contexts only."""
    name = CONTEXT_FILES.get(url)
    if name is None:
        raise NetworkRefusedError(f"no vendored context for {url}")
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads((CONTEXTS / name).read_text("utf-8")),
    }


def _options() -> dict[str, Any]:
    # No base IRI: a relative reference stays relative and is caught, as jsonld.js leaves it
    # (PyLD's default base would otherwise resolve it against http://example.org/base/).
    return {"documentLoader": load_document, "base": None}


def _is_absolute_or_blank(iri: object) -> bool:
    return isinstance(iri, str) and (iri.startswith("_:") or ":" in iri.split("/", 1)[0])


def _check_expanded(node: object, where: str) -> None:
    if isinstance(node, list):
        for item in node:
            _check_expanded(item, where)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        return
    if "@id" in node and not _is_absolute_or_blank(node["@id"]):
        raise UnsafeJsonLdError(f"relative @id reference in {where}: {node['@id']!r}")
    for type_iri in node.get("@type", []):
        if not _is_absolute_or_blank(type_iri):
            raise UnsafeJsonLdError(f"relative @type reference in {where}: {type_iri!r}")
    for key, value in node.items():
        if not key.startswith("@") or key in ("@graph", "@list", "@set", "@included"):
            _check_expanded(value, where)


def expand_safely(document: dict[str, Any], where: str = "document") -> list[Any]:
    """The expanded form of ``document``; ``UnsafeJsonLdError`` if expansion loses anything."""
    dropped: list[str | None] = []
    expanded: list[Any] = jsonld.expand(document, _options(), on_property_dropped=dropped.append)
    if dropped:
        raise UnsafeJsonLdError(f"invalid property in {where}: {sorted(map(str, dropped))}")
    _check_expanded(expanded, where)
    return expanded


def canonical_nquads(document: dict[str, Any]) -> str:
    """RDF Dataset Canonicalization (URDNA2015, the algorithm RDFC-1.0 standardised)."""
    options = {**_options(), "algorithm": "URDNA2015", "format": "application/n-quads"}
    nquads: str = jsonld.normalize(document, options)
    return nquads


def _decoded_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def jws_payload(token: str) -> dict[str, Any]:
    """The payload of a compact JWS, decoded without verification (the tests verify elsewhere)."""
    return _decoded_part(token, 1)


def jws_header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, decoded without verification."""
    return _decoded_part(token, 0)


def published_documents(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every JSON-LD document Tessera publishes, by name, from a running app with a catalog:
    a credential as issued, both status lists, an achievement, a unit, the issuer profile."""
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=headers)
    assert issued.status_code == 201, issued.text
    credential = jws_payload(issued.json()["credential"])
    list_url = credential["credentialStatus"]["statusListCredential"]
    list_path = list_url.removeprefix(BASE_URL)
    documents = {"credential": credential}
    lists = (("revocation list", list_path), ("suspension list", f"{list_path}/suspension"))
    for name, path in lists:
        response = client.get(path)
        assert response.status_code == 200, response.text
        documents[name] = jws_payload(response.text)
    achievement = credential["credentialSubject"]["achievement"]["id"]
    unit = credential["credentialSubject"]["source"]["id"]
    profiles = (("achievement", achievement), ("unit", unit), ("issuer", f"{BASE_URL}/issuer"))
    for name, url in profiles:
        response = client.get(url.removeprefix(BASE_URL))
        assert response.status_code == 200, response.text
        documents[name] = response.json()
    return documents
