"""jsonld.js (pinned in tests/jsonld_js/package.json) in safe mode, run by Node.

``npm ci`` runs once (``node_modules`` stays, ignored by git), one test process at a time, as
for the single sign-on provider (tests/console/sso_provider.py). Without node and npm the
tests that need them skip, except under CI, where they fail.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.jsonld_documents import CONTEXT_FILES, CONTEXTS
from tests.node_packages import npm_installed

PACKAGE_DIR = Path(__file__).resolve().parent / "jsonld_js"


def install_jsonld_js() -> Path:
    """``npm ci`` once, under a lock."""
    return npm_installed(PACKAGE_DIR, "jsonld.js")


def process_with_jsonld_js(documents: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per document: ``{"nquads": ...}`` (safe-mode expansion and RDFC-1.0 canonical form)
    or ``{"error": ..., "code": <the safe-mode event>, "message": ...}``."""
    directory = install_jsonld_js()
    contexts = {
        url: json.loads((CONTEXTS / name).read_text("utf-8")) for url, name in CONTEXT_FILES.items()
    }
    completed = subprocess.run(
        ["node", "process.mjs"],
        cwd=directory,
        input=json.dumps({"contexts": contexts, "documents": documents}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answers: dict[str, dict[str, Any]] = json.loads(completed.stdout)
    return answers
