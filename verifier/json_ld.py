"""JSON-LD processing with the contexts the verifier ships, never the network.

``load_document`` is PyLD's document loader: the VC 2.0 base context (the Recommendation's
file, SHA-256 ``59955ced…``, VCDM 2.0 §B.1) and the examples context, from
``verifier/contexts/`` (provenance in its README). Any other URL raises
``UnknownContextError``: a document naming a context this verifier does not hold cannot be
processed (and no URL from a document is ever fetched).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Final

from verifier.format import VC_V2_CONTEXT

EXAMPLES_CONTEXT: Final = "https://www.w3.org/ns/credentials/examples/v2"
CONTEXT_FILES: Final = {
    VC_V2_CONTEXT: "credentials-v2.jsonld",
    EXAMPLES_CONTEXT: "credentials-examples-v2.jsonld",
}


class UnknownContextError(ValueError):
    """A document names a JSON-LD context this verifier does not ship."""


def context_bytes(url: str) -> bytes:
    """The exact bytes of a shipped context (``KeyError`` for any other URL)."""
    return resources.files("verifier").joinpath("contexts", CONTEXT_FILES[url]).read_bytes()


@cache
def _context(url: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(context_bytes(url))
    return loaded


def load_document(url: str, _options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD's document loader: the shipped contexts only."""
    if url not in CONTEXT_FILES:
        raise UnknownContextError("a JSON-LD context this verifier does not ship")
    return {"contextUrl": None, "documentUrl": url, "document": _context(url)}


def caused_by(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The ``kind`` error inside ``exc``: PyLD wraps a loader's error in its own (``cause``)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, kind):
            return seen
        inner = getattr(seen, "cause", None) or seen.__cause__
        seen = inner if isinstance(inner, BaseException) else None
    return None
