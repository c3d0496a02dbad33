"""The npm SD-JWT VC library (@sd-jwt/sd-jwt-vc, pinned in tests/sd_jwt_node/package.json)
as a holder and a verifier, driven through tests/sd_jwt_node/sd_jwt_vc.mjs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.node_packages import npm_installed

NODE_DIR = Path(__file__).resolve().parents[1] / "sd_jwt_node"


def install_sd_jwt_node() -> Path:
    """``npm ci`` once (node_modules stays, ignored by git); one test process at a time."""
    return npm_installed(NODE_DIR, "SD-JWT VC interoperability")


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
