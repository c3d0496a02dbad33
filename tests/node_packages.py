"""Node packages the tests drive (an OpenID provider, wallets, SD-JWT libraries, the W3C
suite): each folder pins its packages in package.json and package-lock.json and is installed
with ``npm ci`` on first use; node_modules stays, ignored by git."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def require_node(purpose: str) -> None:
    """Fail under CI, else skip, when node or npm is missing; ``purpose`` names the tests."""
    missing = [name for name in ("node", "npm") if shutil.which(name) is None]
    if not missing:
        return
    message = f"{' and '.join(missing)} not installed (Debian packages 'nodejs', 'npm')"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the {purpose} tests: {message}")
    pytest.skip(f"{purpose} tests skipped: {message}")


def npm_installed(directory: Path, purpose: str, *, npm_args: tuple[str, ...] = ()) -> Path:
    """``directory`` with its locked packages installed (``npm ci`` once, one test process
    at a time; again when the lockfile is newer than the install)."""
    require_node(purpose)
    with (directory / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = directory / "node_modules" / ".package-lock.json"
        lockfile = directory / "package-lock.json"
        if not marker.exists() or marker.stat().st_mtime < lockfile.stat().st_mtime:
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", *npm_args],
                cwd=directory,
                check=True,
                capture_output=True,
                timeout=600,
            )
    return directory
