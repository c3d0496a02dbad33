"""jsonld.js (pinned in tests/jsonld_js/package.json) in safe mode, run by Node.

``npm ci`` runs once (``node_modules`` stays, ignored by git), one test process at a time, as
for the single sign-on provider (tests/console/sso_provider.py). Without node and npm the
tests that need them skip, except under CI, where they fail.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.jsonld_documents import CONTEXT_FILES, CONTEXTS

PACKAGE_DIR = Path(__file__).resolve().parent / "jsonld_js"


def require_node() -> None:
    missing = [name for name in ("node", "npm") if shutil.which(name) is None]
    if not missing:
        return
    message = f"{' and '.join(missing)} not installed (Debian packages 'nodejs', 'npm')"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the jsonld.js tests: {message}")
    pytest.skip(f"jsonld.js test skipped: {message}")


def install_jsonld_js() -> Path:
    """``npm ci`` once, under a lock."""
    require_node()
    with (PACKAGE_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = PACKAGE_DIR / "node_modules" / ".package-lock.json"
        lockfile = PACKAGE_DIR / "package-lock.json"
        if not marker.exists() or marker.stat().st_mtime < lockfile.stat().st_mtime:
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=PACKAGE_DIR,
                check=True,
                capture_output=True,
                timeout=600,
            )
    return PACKAGE_DIR


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
