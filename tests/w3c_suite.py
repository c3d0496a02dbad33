"""The vendored W3C VC Data Model 2.0 test suite: installing it, and signing presentations
with its own code (tests/test_vc_api_suite.py, tests/test_vc_api_data_integrity.py)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
SUITE_DIR = TESTS / "vendor" / "vc-data-model-2.0-test-suite"
CONFIG_DIR = TESTS / "vc_api_suite"
# The key the suite signs its own presentations and credentials with (its
# tests/data-generator.js ``localIssuer``): a server under test trusts it as an issuer of
# credentials with embedded proofs, as an operator would trust a partner
# (TESSERA_TRUSTED_ISSUERS, docs/decisions/0055-vc-api.md).
SUITE_DID_KEY = "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"


def require_node() -> None:
    missing = [name for name in ("node", "npm") if shutil.which(name) is None]
    if not missing:
        return
    message = f"{' and '.join(missing)} not installed (Debian packages 'nodejs', 'npm')"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the W3C VC 2.0 test suite: {message}")
    pytest.skip(f"W3C VC 2.0 test suite skipped: {message}")


def install_suite() -> None:
    """``npm ci --install-links`` once (node_modules stays, ignored by git); one test process
    at a time. ``--install-links`` copies the vendored registry package instead of linking
    it, so its own dependencies resolve (a link cannot find ``app-root-path``)."""
    require_node()
    with (SUITE_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = SUITE_DIR / "node_modules" / ".package-lock.json"
        lockfile = SUITE_DIR / "package-lock.json"
        if not marker.exists() or marker.stat().st_mtime < lockfile.stat().st_mtime:
            subprocess.run(
                ["npm", "ci", "--install-links", "--no-audit", "--no-fund"],
                cwd=SUITE_DIR,
                check=True,
                capture_output=True,
                timeout=600,
            )


def sign_presentation(presentation: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """``presentation`` signed by the suite's ``createLocalVp`` (eddsa-rdfc-2022, its
    did:key; credentials without a proof issued by that did:key): (signed, challenge, domain)."""
    install_suite()
    finished = subprocess.run(
        ["node", "--preserve-symlinks", str(CONFIG_DIR / "sign_presentation.mjs")],
        input=json.dumps(presentation),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer = json.loads(finished.stdout)
    return answer["presentation"], answer["challenge"], answer["domain"]
