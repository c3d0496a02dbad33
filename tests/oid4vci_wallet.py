"""The OpenWallet Foundation's OpenID4VCI client (``@openid4vc/openid4vci``, pinned in
tests/oid4vci_client/package.json) as a wallet for the tests: ``npm ci`` once, then
``wallet.mjs`` takes an offer and a transaction code and answers what it obtained."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CLIENT_DIR = Path(__file__).resolve().parent / "oid4vci_client"


def require_node() -> None:
    missing = [name for name in ("node", "npm") if shutil.which(name) is None]
    if not missing:
        return
    message = f"{' and '.join(missing)} not installed (Debian packages 'nodejs', 'npm')"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the OpenID4VCI client tests: {message}")
    pytest.skip(f"OpenID4VCI client test skipped: {message}")


def install_client() -> Path:
    """``npm ci`` once (node_modules stays, ignored by git); one test process at a time."""
    require_node()
    with (CLIENT_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = CLIENT_DIR / "node_modules" / ".package-lock.json"
        lockfile = CLIENT_DIR / "package-lock.json"
        if not marker.exists() or marker.stat().st_mtime < lockfile.stat().st_mtime:
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=CLIENT_DIR,
                check=True,
                capture_output=True,
                timeout=600,
            )
    return CLIENT_DIR


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
