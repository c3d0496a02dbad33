"""The npm SD-JWT VC library (@sd-jwt/sd-jwt-vc, pinned in tests/sd_jwt_node/package.json)
as a holder and a verifier, driven through tests/sd_jwt_node/sd_jwt_vc.mjs."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "sd_jwt_node"


def require_node() -> None:
    missing = [name for name in ("node", "npm") if shutil.which(name) is None]
    if not missing:
        return
    message = f"{' and '.join(missing)} not installed (Debian packages 'nodejs', 'npm')"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the SD-JWT VC interoperability tests: {message}")
    pytest.skip(f"SD-JWT VC npm test skipped: {message}")


def install_sd_jwt_node() -> Path:
    """``npm ci`` once (node_modules stays, ignored by git); one test process at a time."""
    require_node()
    with (NODE_DIR / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = NODE_DIR / "node_modules" / ".package-lock.json"
        lockfile = NODE_DIR / "package-lock.json"
        if not marker.exists() or marker.stat().st_mtime < lockfile.stat().st_mtime:
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=NODE_DIR,
                check=True,
                capture_output=True,
                timeout=600,
            )
    return NODE_DIR


def run_sd_jwt_node(request: dict[str, Any]) -> dict[str, Any]:
    """One request to the Node script; its JSON answer (``ok`` false carries ``error``)."""
    directory = install_sd_jwt_node()
    completed = subprocess.run(
        ["node", "sd_jwt_vc.mjs"],
        cwd=directory,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    answer: dict[str, Any] = json.loads(completed.stdout)
    return answer
