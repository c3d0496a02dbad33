"""The vendored W3C VC Data Model 2.0 test suite: installing it, and signing presentations
with its own code (tests/test_vc_api_suite.py, tests/test_vc_api_data_integrity.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.node_packages import npm_installed

TESTS = Path(__file__).resolve().parent
SUITE_DIR = TESTS / "vendor" / "vc-data-model-2.0-test-suite"
CONFIG_DIR = TESTS / "vc_api_suite"
# The key the suite signs its own presentations and credentials with (its
# tests/data-generator.js ``localIssuer``): a server under test trusts it as an issuer of
# credentials with embedded proofs, as an operator would trust a partner
# (TESSERA_TRUSTED_ISSUERS, docs/decisions/0055-vc-api.md).
SUITE_DID_KEY = "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"


def install_suite() -> None:
    """``npm ci --install-links`` once (node_modules stays, ignored by git); one test process
    at a time. ``--install-links`` copies the vendored registry package instead of linking
    it, so its own dependencies resolve (a link cannot find ``app-root-path``)."""
    npm_installed(SUITE_DIR, "W3C VC 2.0 test suite", npm_args=("--install-links",))


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
