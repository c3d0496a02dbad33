"""Every word a person reads comes from the message catalogues (decision 0047).

No Chinese is written in the code, templates, scripts or styles outside the catalogues, bar
comments, docstrings and the files listed in ``DATA`` whose Chinese is data the program
reads or signs (accepted column names, stored level names), not words it says. English is
not checked this way (identifiers and codes are English), but a page's English comes from
the same keys as its Chinese, so a Chinese word moved into the catalogue brings its English.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff]")
DATA = {
    # Column headers, results, levels and dates an import file may be written with.
    "issuer/campaigns/catalog_file.py",
    "issuer/campaigns/results_file.py",
    "issuer/campaigns/rows.py",
    "verifier/batch_items.py",
    # The standard level names stored as rows (初级工 ...).
    "issuer/credentials/catalog_admin.py",
    # The achievement's description, signed into every credential: a catalogue change must
    # not change what a credential says.
    "issuer/credentials/catalog.py",
    # The demo issuer's default name, a setting.
    "issuer/config.py",
}
SKIPPED_FOLDERS = ("vendor", "swagger-ui")


def _sources(*suffixes: str) -> list[Path]:
    found = []
    for folder in ("issuer", "verifier"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in suffixes and not set(SKIPPED_FOLDERS) & set(path.parts):
                found.append(path)
    return sorted(found)


def _docstrings(tree: ast.AST) -> set[int]:
    """The string statements of a module: docstrings, and strings that document a name."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def _chinese_in_python(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documents = _docstrings(tree)
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in documents
        and CJK.search(node.value)
    )


def _without_comments(text: str, suffix: str) -> str:
    if suffix == ".html":
        return re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$", "", text)


def test_python_says_nothing_in_chinese_outside_the_catalogues() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for path in _sources(".py")
        if str(path.relative_to(ROOT)) not in DATA and (lines := _chinese_in_python(path))
    }
    assert found == {}


def test_templates_scripts_and_styles_say_nothing_in_chinese() -> None:
    found = [
        str(path.relative_to(ROOT))
        for path in _sources(".html", ".js", ".mjs", ".css")
        if CJK.search(_without_comments(path.read_text(encoding="utf-8"), path.suffix))
    ]
    assert found == []


def test_the_data_files_still_hold_chinese_data() -> None:
    """An entry of ``DATA`` that no longer needs its exception is taken off the list."""
    for name in DATA:
        assert _chinese_in_python(ROOT / name), name


def test_the_scan_finds_chinese_where_it_is(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""文档"""\n# 注释\nWORD = "证书"\n', encoding="utf-8")
    assert _chinese_in_python(sample) == [3]
    assert CJK.search(_without_comments("<p>{# 注释 #}证书</p>", ".html"))
    assert not CJK.search(_without_comments("/* 注释 */\n  // 注释\nx = 1;", ".js"))
