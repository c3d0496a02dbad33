"""Strict JSON for untrusted input (VC-JOSE-COSE §7.2, RFC 8725 §3.7).

Refused: anything but UTF-8 (a BOM too), duplicate member names, ``NaN``/``Infinity`` and
numbers that overflow to them, trailing data, nesting deeper than ``MAX_JSON_DEPTH``, and
strings holding lone surrogates (they cannot be written back out as UTF-8).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from verifier.errors import CredentialErrorCode, ParseError

MAX_JSON_DEPTH: Final = 32
"""Deepest nesting of objects and arrays accepted; our credentials use 5."""

# A JSON string (possessive, and an unterminated one runs to the end, so the scan stays
# linear on hostile input), or one bracket: brackets inside strings do not count.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*+"?|[\[\]{}]', re.DOTALL)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_constant(_name: str) -> Any:
    raise ParseError("JSON holds a non-finite number", code=CredentialErrorCode.INVALID_JSON)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ParseError("JSON holds a non-finite number", code=CredentialErrorCode.INVALID_JSON)
    return value


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # a repeated name kept one entry for two members
        raise ParseError(
            "JSON object repeats a member name", code=CredentialErrorCode.DUPLICATE_JSON_KEY
        )
    return result


# One decoder for every call: ``json.loads`` with arguments builds a new decoder and scanner
# each time (about a third of the cost of parsing a credential's payload). Decoding keeps no
# state between calls, so the one instance serves every thread.
_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_unique_members,
    parse_constant=_refuse_constant,
    parse_float=_finite_float,
)


def _check_depth(text: str) -> None:
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return  # nesting can be no deeper than the number of opening brackets
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ParseError("JSON nests too deeply", code=CredentialErrorCode.JSON_TOO_DEEP)
        elif token in ("]", "}"):
            depth -= 1


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError(
                    "JSON string is not valid Unicode", code=CredentialErrorCode.INVALID_JSON
                ) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads_strict(data: bytes) -> Any:
    """Parse ``data`` as strict UTF-8 JSON; any deviation raises ``ParseError``."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise ParseError(
            "JSON starts with a byte order mark", code=CredentialErrorCode.INVALID_JSON
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("JSON is not valid UTF-8", code=CredentialErrorCode.INVALID_JSON) from None
    _check_depth(text)
    try:
        value = _DECODER.decode(text)
    except ParseError:
        raise
    except RecursionError:  # pragma: no cover - _check_depth refuses this first
        raise ParseError("JSON nests too deeply", code=CredentialErrorCode.JSON_TOO_DEEP) from None
    except ValueError:
        # JSONDecodeError (syntax, trailing data) and over-long integers.
        raise ParseError("not valid JSON", code=CredentialErrorCode.INVALID_JSON) from None
    # Only an escape can spell a lone surrogate; ``in`` skips the pattern on most texts.
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        _check_strings(value)
    return value


def loads_strict_object(data: bytes) -> dict[str, Any]:
    """Parse ``data`` as strict JSON that must be an object."""
    value = loads_strict(data)
    if not isinstance(value, dict):
        raise ParseError("JSON is not an object", code=CredentialErrorCode.INVALID_JSON)
    return value
