"""Check a credential a caller asks this issuer to sign against the VC Data Model 2.0.

``POST /credentials/issue`` takes any VC 2.0 credential (decision 0055). Before it is signed it
must pass, in order:

1. the W3C's JSON Schema for a verifiable credential (``data/``, vendored with provenance):
   the required properties, ``@context[0]``, ``type`` including ``VerifiableCredential``, the
   ``validFrom``/``validUntil`` lexical form, typed ``credentialStatus``/``credentialSchema``/
   ``refreshService``/``termsOfUse``/``evidence`` entries;
2. the rules the schema leaves out (VCDM 2.0 §4): identifiers are URLs, ``issuer`` names a URL,
   every subject makes a claim, names and descriptions are strings or language value objects,
   ``validFrom`` is not after ``validUntil``, ``relatedResource`` entries are unique and carry
   a digest, no ``proof`` (this issuer secures it; a second securing mechanism is not ours to
   add), no enveloped credential;
3. JSON-LD expansion (VCDM 2.0 §5.2, §B.1) with a document loader that knows only the
   contexts ``verifier/json_ld.py`` ships and never touches the network: a context it cannot load, a
   redefined protected term, or a ``type`` that does not expand to an absolute IRI refuses.

Any failure raises ``InvalidInputError`` (``invalid_credential``); the message names the rule,
never a value from the credential.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any, Final

import jsonschema
from pyld import jsonld

from issuer.errors import InvalidInputError, IssuerErrorCode
from verifier.credential import is_url
from verifier.encoding import b64url_decode
from verifier.errors import CredentialError
from verifier.json_ld import (
    CONTEXT_FILES,
    UnknownContextError,
    caused_by,
    context_bytes,
    load_document,
)
from verifier.validity import parse_date_time

ENVELOPED_CREDENTIAL: Final = "EnvelopedVerifiableCredential"
_LANGUAGE_VALUE_KEYS: Final = frozenset({"@value", "@language", "@direction"})
MAX_DEPTH: Final = 32
"""Deepest nesting of objects and lists accepted: far beyond any real credential, and well
inside what the JSON-LD processor and the schema validator handle without recursing too deep."""
_SRI: Final = re.compile(r"(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})")
_SRI_BYTES: Final = {"sha256": 32, "sha384": 48, "sha512": 64}
_TYPED_ENTRIES: Final = ("credentialStatus", "credentialSchema", "refreshService", "termsOfUse")


def _refuse(message: str) -> InvalidInputError:
    return InvalidInputError(message, code=IssuerErrorCode.INVALID_CREDENTIAL)


def _data(name: str) -> bytes:
    return resources.files("issuer.credentials").joinpath("data", name).read_bytes()


@cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(_data("vc2-verifiable-credential-schema.json"))
    return jsonschema.Draft202012Validator(schema)


def check_credential_data_model(unverified: dict[str, Any]) -> None:
    """Raise ``InvalidInputError`` (``invalid_credential``) unless ``unverified`` is a VC 2.0
    credential this issuer may secure; see the module docstring for the rules."""
    if nesting_depth(unverified) > MAX_DEPTH:
        raise _refuse(f"the credential nests deeper than {MAX_DEPTH} levels")
    errors = sorted(_schema_validator().iter_errors(unverified), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(part) for part in errors[0].absolute_path) or "the credential"
        raise _refuse(f"the credential does not follow the VC 2.0 schema at {where}")
    _check_rules(unverified)
    _check_json_ld(unverified)


def nesting_depth(value: object) -> int:
    """How deeply ``value``'s lists and objects nest, counted without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                children = item.values() if isinstance(item, dict) else item
                pending.extend((child, depth + 1) for child in children)
    return deepest


def _check_rules(credential: dict[str, Any]) -> None:
    if "proof" in credential:
        raise _refuse("the credential already has a proof; send it unsecured")
    declared = credential["type"]
    types = declared if isinstance(declared, list) else [declared]
    if not all(isinstance(kind, str) and kind for kind in types):
        raise _refuse("every type must be a non-empty string")
    if ENVELOPED_CREDENTIAL in types:
        raise _refuse("an enveloped credential cannot be issued again")
    contexts = credential["@context"]
    for item in contexts[1:]:
        if isinstance(item, str) and not is_url(item):
            raise _refuse("a @context item is not a URL")
    if "id" in credential and not is_url(credential["id"]):
        raise _refuse("id is not a URL")
    issuer = credential["issuer"]
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not is_url(issuer_id):
        raise _refuse("issuer is not a URL or an object with a URL id")
    subjects = credential["credentialSubject"]
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        if "id" in subject and not is_url(subject["id"]):
            raise _refuse("credentialSubject.id is not a URL")
    for holder, what in ((credential, "the credential"), (issuer, "the issuer")):
        if isinstance(holder, dict):
            for name in ("name", "description"):
                if name in holder and not _is_text(holder[name]):
                    raise _refuse(f"{name} of {what} is not a string or language value objects")
    for name in (*_TYPED_ENTRIES, "evidence"):
        for entry in _entries(credential.get(name)):
            if "id" in entry and not is_url(entry["id"]):
                raise _refuse(f"{name}.id is not a URL")
            entry_types = entry.get("type")
            kinds = entry_types if isinstance(entry_types, list) else [entry_types]
            if not all(isinstance(kind, str) and kind for kind in kinds):
                raise _refuse(f"{name}.type must be one or more strings")
    _check_validity_period(credential)
    if "relatedResource" in credential:
        _check_related_resources(credential["relatedResource"])


def _entries(value: object) -> Iterator[dict[str, Any]]:
    for entry in value if isinstance(value, list) else [value] if value is not None else []:
        if isinstance(entry, dict):
            yield entry


def _is_text(value: object) -> bool:
    """A string, a language value object (``@value`` with ``@language``/``@direction``), or
    a non-empty list of those (VCDM 2.0 §4.6, §11.1)."""
    items = value if isinstance(value, list) and value else [value]
    for item in items:
        if isinstance(item, str):
            continue
        if not isinstance(item, dict) or not isinstance(item.get("@value"), str):
            return False
        if not set(item) <= _LANGUAGE_VALUE_KEYS:
            return False
        if not all(isinstance(item.get(k, ""), str) for k in ("@language", "@direction")):
            return False
    return True


def _check_validity_period(credential: dict[str, Any]) -> None:
    if "validFrom" in credential and "validUntil" in credential:
        start = _instant(credential["validFrom"])
        end = _instant(credential["validUntil"])
        if start > end:
            raise _refuse("validFrom is after validUntil")


def _instant(value: str) -> dt.datetime:
    """The verifier's own reading of a date (``24:00:00`` included), so that what is issued
    here reads the same when it is verified."""
    try:
        return parse_date_time(value, "date")
    except CredentialError:
        raise _refuse("a date is not an XML Schema dateTimeStamp") from None


def _check_related_resources(value: object) -> None:
    """VCDM 2.0 §5.3: objects with a URL ``id`` unique among them and ``digestSRI`` or
    ``digestMultibase``; for a resource this issuer holds (the base context), the digest
    must be that resource's."""
    items = value if isinstance(value, list) else [value]
    resources_given = [item for item in items if isinstance(item, dict)]
    if not items or len(resources_given) != len(items):
        raise _refuse("relatedResource must be one or more objects")
    seen: set[str] = set()
    for item in resources_given:
        resource = item.get("id")
        if not isinstance(resource, str) or not is_url(resource):
            raise _refuse("relatedResource.id is not a URL")
        if resource in seen:
            raise _refuse("relatedResource ids must be unique")
        seen.add(resource)
        if "digestSRI" not in item and "digestMultibase" not in item:
            raise _refuse("relatedResource needs digestSRI or digestMultibase")
        for name in ("digestSRI", "digestMultibase", "mediaType"):
            if name in item and not isinstance(item[name], str):
                raise _refuse(f"relatedResource.{name} is not a string")
        held = resource in CONTEXT_FILES
        if "digestSRI" in item:
            _check_sri(item["digestSRI"], context_bytes(resource) if held else None)
        if "digestMultibase" in item:
            _check_multibase(item["digestMultibase"], context_bytes(resource) if held else None)


def _check_sri(value: str, content: bytes | None) -> None:
    match = _SRI.fullmatch(value)
    if match is None:
        raise _refuse("relatedResource.digestSRI is not a Subresource Integrity value")
    algorithm, encoded = match.groups()
    try:
        digest = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise _refuse("relatedResource.digestSRI is not base64") from None
    if len(digest) != _SRI_BYTES[algorithm]:
        raise _refuse("relatedResource.digestSRI has the wrong length")
    if content is not None and digest != hashlib.new(algorithm, content).digest():
        raise _refuse("relatedResource.digestSRI does not match the resource")


def _check_multibase(value: str, content: bytes | None) -> None:
    if not value.startswith("u"):
        raise _refuse("relatedResource.digestMultibase must be base64url multibase (u)")
    try:
        digest = b64url_decode(value[1:])
    except ValueError:
        raise _refuse("relatedResource.digestMultibase is not base64url") from None
    if len(digest) == 34 and digest[:2] == b"\x12\x20":  # a sha2-256 multihash
        digest = digest[2:]
    if len(digest) != 32:
        raise _refuse("relatedResource.digestMultibase is not a SHA-256 digest")
    if content is not None and digest != hashlib.sha256(content).digest():
        raise _refuse("relatedResource.digestMultibase does not match the resource")


def _check_json_ld(credential: dict[str, Any]) -> None:
    """Expand with the shipped contexts only; refuse errors and types that are no IRIs."""
    try:
        expanded = jsonld.expand(credential, {"documentLoader": load_document})
    except Exception as exc:
        if caused_by(exc, UnknownContextError) is not None:
            raise _refuse(
                "the credential names a JSON-LD context this issuer cannot process"
            ) from None
        raise _refuse("the credential is not valid JSON-LD with its contexts") from None
    for node in _nodes(expanded):
        declared = node.get("@type", [])
        for kind in declared if isinstance(declared, list) else [declared]:
            if not isinstance(kind, str) or not (is_url(kind) or kind.startswith("_:")):
                raise _refuse("a type is not defined by the credential's contexts")


def _nodes(value: object) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _nodes(item)
    elif isinstance(value, dict):
        yield value
        for key, item in value.items():
            if key != "@value":
                yield from _nodes(item)
