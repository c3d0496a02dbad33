"""docs/errors.md lists every code the issuing side can answer with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from issuer import errors

ROOT = Path(__file__).resolve().parents[2]
ERRORS_DOC = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
SOURCE_CODES = {
    match
    for path in (ROOT / "issuer").rglob("*.py")
    for match in re.findall(r'code="([a-z_]+)"', path.read_text(encoding="utf-8"))
}
MAPPED_CODES = set(
    re.findall(
        r'\d{3}: "([a-z_]+)"', (ROOT / "issuer/web/error_handlers.py").read_text(encoding="utf-8")
    )
)
PROBLEM_CODES = set(
    re.findall(
        r'problem\(\s*\d{3},\s*"([a-z_]+)"',
        (ROOT / "issuer/web/error_handlers.py").read_text("utf-8"),
    )
)
CLASS_CODES = {
    cls.code
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.IssuerError)
}


@pytest.mark.parametrize("code", sorted(SOURCE_CODES | MAPPED_CODES | PROBLEM_CODES | CLASS_CODES))
def test_every_issuer_error_code_is_documented(code: str) -> None:
    assert f"`{code}`" in ERRORS_DOC


def test_the_code_lists_were_found() -> None:
    assert {"unknown_occupation", "malformed_json", "not_found", "forbidden"} <= (
        SOURCE_CODES | MAPPED_CODES | PROBLEM_CODES | CLASS_CODES
    )
