"""The repository carries what its tests read: a clone runs ``make test`` with nothing beside it.

Vectors, schemas and suites are vendored under ``tests/vectors/`` (provenance in its README);
nothing may read a path outside the repository, such as a sibling folder of standards.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"
# Written in pieces so that this file does not match itself.
_SIBLING = re.compile(r"\.\./" + "shared" + r"|parents\[\d\]\s*/\s*[\"']" + "shared")


def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [ROOT / name for name in listed.decode("utf-8").split("\0") if name]


def test_no_file_refers_to_a_folder_beside_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "ignore")
        offenders += [f"{path.relative_to(ROOT)}" for _ in _SIBLING.finditer(text)][:1]
    assert offenders == []


def test_vendored_files_match_their_recorded_digests() -> None:
    recorded = {}
    for line in (VECTORS / "SHA256SUMS").read_text("utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        recorded[name] = digest
    present = {
        str(path.relative_to(VECTORS))
        for path in VECTORS.rglob("*")
        if path.is_file()
        and (path.name not in ("SHA256SUMS", "README.md") or path.parent.name == "w3c-vc-jose-cose")
    }
    assert present == set(recorded)
    for name, digest in recorded.items():
        assert hashlib.sha256((VECTORS / name).read_bytes()).hexdigest() == digest, name
