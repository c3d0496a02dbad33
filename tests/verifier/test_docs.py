"""docs/errors.md lists every code the verifier can report (STYLE: docs say every code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from verifier import errors
from verifier.problem import PROBLEM_KINDS
from verifier.result import CheckCode, CredentialStatus

ROOT = Path(__file__).resolve().parents[2]
ERRORS_DOC = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
SOURCE_CODES = sorted(
    {
        match
        for path in (ROOT / "verifier").glob("*.py")
        for match in re.findall(r'code="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
)
CLASS_CODES = sorted(
    {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.CredentialError)
    }
)


@pytest.mark.parametrize("code", sorted({*SOURCE_CODES, *CLASS_CODES, *PROBLEM_KINDS}))
def test_every_error_code_is_documented_and_has_a_problem_kind(code: str) -> None:
    assert f"`{code}`" in ERRORS_DOC
    assert code in PROBLEM_KINDS


@pytest.mark.parametrize("check", [c.value for c in CheckCode])
def test_every_check_is_documented(check: str) -> None:
    assert f"| `{check}` |" in ERRORS_DOC


@pytest.mark.parametrize("status", ["revoked", "suspended"])
def test_status_findings_are_documented(status: str) -> None:
    assert f"| `{status}` |" in ERRORS_DOC
    assert CredentialStatus(status)


def test_problem_types_are_w3c_urls() -> None:
    for kind in PROBLEM_KINDS.values():
        assert kind.type.startswith(
            (
                "https://www.w3.org/TR/vc-data-model#",
                "https://www.w3.org/ns/credentials/status-list#",
            )
        )
        assert kind.title
        assert kind.title_zh
