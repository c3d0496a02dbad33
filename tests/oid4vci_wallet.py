"""The OpenWallet Foundation's OpenID4VCI client (``@openid4vc/openid4vci``, pinned in
tests/oid4vci_client/package.json) as a wallet for the tests: ``npm ci`` once, then
``wallet.mjs`` takes an offer and a transaction code and answers what it obtained."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.node_packages import npm_installed

CLIENT_DIR = Path(__file__).resolve().parent / "oid4vci_client"


def install_client() -> Path:
    """``npm ci`` once (node_modules stays, ignored by git); one test process at a time."""
    return npm_installed(CLIENT_DIR, "OpenID4VCI client")


def run_wallet(
    offer: str, tx_code: str, *, proofs: int = 1, script: str = "wallet.mjs"
) -> dict[str, Any]:
    """What ``script`` (``wallet.mjs``: @openid4vc/openid4vci; ``wallet_sphereon.mjs``:
    @sphereon/oid4vci-client) obtained for ``offer``; fails the test with its errors."""
    directory = install_client()
    done = subprocess.run(
        ["node", script],
        cwd=directory,
        input=json.dumps({"offer": offer, "tx_code": tx_code, "proofs": proofs}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer
