"""The suite's layout: fixtures live in ``conftest.py`` files, helpers in helper modules.

pytest finds fixtures through ``conftest.py``; a module that imports a fixture or a helper
from a ``conftest`` or from another test module couples the two and runs that module's
tests' import side effects. Nothing under ``tests/`` may import either.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_forbidden(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def _imported_modules(tree: ast.Module) -> list[str]:
    """Every module an import names, including ``from package import module``."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.append(base)
            names += [f"{base.rstrip('.')}.{alias.name}" for alias in node.names]
    return names


def forbidden_imports(source: str) -> list[str]:
    return [name for name in _imported_modules(ast.parse(source)) if _is_forbidden(name)]


def test_no_module_under_tests_imports_a_conftest_or_a_test_module() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}: {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in forbidden_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_check_sees_each_way_of_importing() -> None:
    assert forbidden_imports("from tests.conftest import make_token") == ["tests.conftest"]
    assert forbidden_imports("import tests.verifier.test_sources") == [
        "tests.verifier.test_sources"
    ]
    assert forbidden_imports("from tests.verifier import test_browser") == [
        "tests.verifier.test_browser"
    ]
    assert forbidden_imports("def f():\n    from .conftest import PASSPHRASE\n") == [".conftest"]
    assert forbidden_imports("from tests.verifier.kit import IssuerKit\nimport pytest") == []
