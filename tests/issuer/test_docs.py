"""docs/errors.md lists every code the issuing side can answer with, and nothing else; the
docs' examples are values Tessera accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from issuer import errors
from issuer.credentials.national_id import valid_national_id
from issuer.errors import IssuerError, IssuerErrorCode
from issuer.web.error_handlers import ERROR_STATUS, error_status

ROOT = Path(__file__).resolve().parents[2]
ERRORS_DOC = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
REGISTRAR_SECTION = ERRORS_DOC.split("## Registrar API and public documents", 1)[1]
# The second column of the section's table: "| 409 | `already_suspended`, `not_suspended` | ..."
DOCUMENTED_CODES = {
    code
    for cell in re.findall(r"^\| (?:\d{3}|—) \| ([^|]+) \|", REGISTRAR_SECTION, re.MULTILINE)
    for code in re.findall(r"`([a-z_0-9]+)`", cell)
}
ERROR_CLASSES = [
    cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, IssuerError)
]


@pytest.mark.parametrize("code", list(IssuerErrorCode))
def test_every_issuer_error_code_is_documented(code: IssuerErrorCode) -> None:
    assert code in DOCUMENTED_CODES


@pytest.mark.parametrize("code", sorted(DOCUMENTED_CODES))
def test_every_documented_code_is_an_issuer_error_code(code: str) -> None:
    assert code in set(IssuerErrorCode)


def test_the_documented_codes_were_found() -> None:
    assert {"unknown_occupation", "malformed_json", "not_found", "forbidden"} <= DOCUMENTED_CODES


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_code_and_an_http_status(cls: type[IssuerError]) -> None:
    assert isinstance(cls.code, IssuerErrorCode)
    assert cls in ERROR_STATUS
    assert error_status(cls("x")) == ERROR_STATUS[cls]
    assert not hasattr(cls, "http_status")  # the web layer decides statuses


def test_a_raise_site_code_keeps_its_class_status() -> None:
    exc = errors.ConflictError("x", code=IssuerErrorCode.ALREADY_ISSUED)
    assert (exc.code, error_status(exc)) == ("already_issued", 409)


def test_raise_sites_name_codes_from_the_enum() -> None:
    """No code is spelled as a bare string where an error is raised or answered."""
    literal = re.compile(r'\bcode=["\']|^\s+code = ["\']', re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "issuer").rglob("*.py")
        if literal.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_relative_link_in_the_docs_names_a_file_that_exists() -> None:
    """Pictures (docs/images/, taken by the console's browser tests) and pages alike."""
    root = Path(__file__).resolve().parents[2]
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    missing = []
    checked = 0
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text("utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            checked += 1
            if not (page.parent / target).exists():
                missing.append(f"{page.relative_to(root)}: {target}")
    assert checked > 50
    assert missing == []


# An 18-character resident identity number standing alone (not inside a longer number, such
# as the packed QR vectors' thousand-digit strings).
_NATIONAL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def test_every_national_id_in_the_docs_and_samples_has_a_valid_check_digit() -> None:
    """What the docs show is what the API and imports accept (the same check)."""
    root = Path(__file__).resolve().parents[2]
    files = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    files += sorted((root / "docs" / "samples").iterdir())
    found = {
        (path.relative_to(root).as_posix(), number)
        for path in files
        for number in _NATIONAL_ID.findall(path.read_text("utf-8"))
    }
    assert ("docs/quickstart.md", "110101199003074477") in found  # the pattern finds them
    assert {(f, n) for f, n in found if not valid_national_id(n.upper())} == set()
