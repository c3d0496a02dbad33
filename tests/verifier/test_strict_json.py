"""Strict JSON: duplicates, non-finite numbers, trailing data, depth, encoding."""

from __future__ import annotations

import pytest

from verifier.errors import ParseError
from verifier.strict_json import MAX_JSON_DEPTH, loads_strict, loads_strict_object


def test_loads_strict_accepts_plain_json_with_unicode() -> None:
    assert loads_strict('{"name": "张伟", "n": [1, 2.5, true, null]}'.encode()) == {
        "name": "张伟",
        "n": [1, 2.5, True, None],
    }


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'{"a": 1, "a": 2}', "duplicate_json_key"),
        (b'{"a": {"b": 1, "b": 1}}', "duplicate_json_key"),
        (b'{"a": NaN}', "invalid_json"),
        (b'{"a": Infinity}', "invalid_json"),
        (b'{"a": 1e999}', "invalid_json"),
        (b'{"a": 1} trailing', "invalid_json"),
        (b'{"a": 1}{"b": 2}', "invalid_json"),
        (b"\xef\xbb\xbf{}", "invalid_json"),
        (b'{"a": "\xff"}', "invalid_json"),
        (b'{"a": "\\ud800"}', "invalid_json"),
        (b"{'a': 1}", "invalid_json"),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "json_too_deep"),
        (b"[" * 100_000, "json_too_deep"),
        (b'{"a": ' + b"9" * 5000 + b"}", "invalid_json"),
    ],
)
def test_loads_strict_rejects(data: bytes, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        loads_strict(data)
    assert caught.value.code == code


def test_depth_limit_is_exact_and_ignores_brackets_in_strings() -> None:
    nested = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert loads_strict(nested) is not None
    assert loads_strict(b'{"a": "' + b"[" * 500 + b'"}') == {"a": "[" * 500}


def test_unterminated_escaped_quotes_are_refused_quickly() -> None:
    with pytest.raises(ParseError):
        loads_strict(b'"\\"' * 40_000)


def test_loads_strict_object_requires_an_object() -> None:
    with pytest.raises(ParseError) as caught:
        loads_strict_object(b"[1]")
    assert caught.value.code == "invalid_json"
