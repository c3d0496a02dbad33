"""docs/errors.md lists every code the verifier can report (STYLE: docs say every code)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from verifier import errors
from verifier.errors import CredentialError, CredentialErrorCode
from verifier.problem import PROBLEM_KINDS
from verifier.result import CheckCode, CredentialStatus, ReasonCode, VerificationResult
from verifier.verdict import VERDICT_BY_CODE
from verifier.web.page import VERDICTS

ROOT = Path(__file__).resolve().parents[2]
ERRORS_DOC = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
CODES_BY_CHECK = ERRORS_DOC.split("## Codes by check", 1)[1].split("## Request-level", 1)[0]
# The first column of the section's tables: "| `malformed`, `credential_error` | ..."
DOCUMENTED_CODES = {
    code
    for cell in re.findall(r"^\| (`[^|]+) \|", CODES_BY_CHECK, re.MULTILINE)
    for code in re.findall(r"`([a-z_0-9]+)`", cell)
}
# Findings, not errors: the status check reports them as the credential's status.
STATUS_FINDINGS = {
    CredentialStatus.REVOKED,
    CredentialStatus.SUSPENDED,
    CredentialStatus.SUPERSEDED,
}
# Codes with no problem kind of their own (they fall back on their check's type): none now.
WITHOUT_PROBLEM_KIND: set[CredentialErrorCode] = set()
VERDICTS_SECTION = ERRORS_DOC.split("## Verdicts", 1)[1].split("## Codes by check", 1)[0]
ERROR_CLASSES = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, CredentialError)
]


@pytest.mark.parametrize("code", list(CredentialErrorCode))
def test_every_error_code_is_documented_and_has_a_problem_kind(code: CredentialErrorCode) -> None:
    assert code in DOCUMENTED_CODES
    assert (code in PROBLEM_KINDS) != (code in WITHOUT_PROBLEM_KIND)


@pytest.mark.parametrize("code", sorted(DOCUMENTED_CODES))
def test_every_documented_code_is_an_error_code_or_a_finding(code: str) -> None:
    assert code in set(CredentialErrorCode) | STATUS_FINDINGS


def test_problem_kinds_are_keyed_by_error_codes() -> None:
    assert all(isinstance(code, CredentialErrorCode) for code in PROBLEM_KINDS)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_class_default_code_is_an_error_code(cls: type[CredentialError]) -> None:
    assert isinstance(cls.code, CredentialErrorCode)


def test_raise_sites_name_codes_from_the_enum() -> None:
    """No code is spelled as a bare string where an error is raised."""
    literal = re.compile(r'\bcode=["\']|^\s+code = ["\']', re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "verifier").rglob("*.py")
        if literal.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize("check", list(CheckCode))
def test_every_check_is_documented(check: CheckCode) -> None:
    assert f"| `{check}` |" in ERRORS_DOC


@pytest.mark.parametrize("status", sorted(STATUS_FINDINGS))
def test_status_findings_are_documented(status: CredentialStatus) -> None:
    assert f"| `{status}` |" in ERRORS_DOC


def test_the_reason_codes_are_documented() -> None:
    """The ``unknown_reason`` row and the registrar guide name every reason code."""
    guide = (ROOT / "docs" / "registrar-guide.md").read_text(encoding="utf-8")
    row = next(line for line in ERRORS_DOC.splitlines() if "`unknown_reason`" in line)
    for reason in ReasonCode:
        assert f"`{reason}`" in row
        assert f"`{reason}`" in guide


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


def _verdict_row(status: CredentialStatus) -> list[str]:
    row = next(line for line in VERDICTS_SECTION.splitlines() if line.startswith(f"| `{status}` |"))
    return [cell.strip() for cell in row.strip("|").split(" | ")]


@pytest.mark.parametrize("status", list(CredentialStatus))
def test_the_verdict_table_is_the_one_the_code_uses(status: CredentialStatus) -> None:
    """docs/errors.md "Verdicts" lists, for each verdict, exactly the codes that give it
    (``VERDICT_BY_CODE``) and the page's headline."""
    cells = _verdict_row(status)
    documented = {
        c for c in re.findall(r"`([a-z_0-9]+)`", cells[-1]) if c in set(CredentialErrorCode)
    }
    expected = {code.value for code, verdict in VERDICT_BY_CODE.items() if verdict is status}
    assert documented == expected, f"codes for {status}: " + ", ".join(
        f"`{code}`" for code in sorted(expected)
    )
    verdict = VERDICTS[status]
    assert cells[1] == f"{verdict.symbol} {verdict.zh} {verdict.en}"


API_DOC = (ROOT / "docs" / "verifier-api.md").read_text(encoding="utf-8")


def test_the_api_doc_examples_have_every_result_field_and_name_every_verdict() -> None:
    examples = [
        json.loads(block)
        for block in re.findall(r"```json\n(.*?)```", API_DOC, re.DOTALL)
        if '"checks"' in block  # single results (the batch example abridges with ...)
    ]
    assert len(examples) >= 3
    for example in examples:
        assert set(example) == set(VerificationResult.model_fields)
    status_row = next(line for line in API_DOC.splitlines() if line.startswith("| `status` |"))
    for status in CredentialStatus:
        assert f"`{status}`" in status_row
