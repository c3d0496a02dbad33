"""A results file kept between a dry run and its confirmation (the console's import wizard).

The console validates a file first (a dry run) and issues only when the registrar confirms
the report. The file is kept meanwhile in ``TESSERA_IMPORT_UPLOAD_DIR`` (mode 0600, named
after the dry run), so confirming issues exactly the file that was checked, without asking
for it again. Confirming *claims* it by renaming it: the rename is atomic, so of two
confirmations only one gets the file. Files are deleted when the import that claimed them
ends, and unclaimed ones once a confirmation form could no longer be used
(``TESSERA_FORM_TOKEN_TTL_SECONDS``). Issuing stays exactly once whatever happens here: it
rests on each credential's issuance key (docs/import-format.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from issuer.campaigns.results_file import open_results_file
from issuer.config import Settings
from issuer.errors import ConflictError, IssuerErrorCode
from issuer.store.private_files import create_private_file, private_dir

_KEPT = "dry-run-"
_CLAIMED = "claimed-"
_PARTIAL = "upload-"


def upload_dir(settings: Settings) -> Path:
    return private_dir(settings.import_upload_dir, narrow=True)


@contextmanager
def new_upload(settings: Settings) -> Iterator[tuple[Path, BinaryIO]]:
    """A new private file to write an upload into: (its path, an open binary handle).

    The file is deleted if the block fails; afterwards ``keep`` or ``discard`` it.
    """
    path = upload_dir(settings) / f"{_PARTIAL}{uuid.uuid4().hex}"
    try:
        with create_private_file(path) as handle:
            yield path, handle
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def kept_path(settings: Settings, dry_run_id: str) -> Path:
    return settings.import_upload_dir / f"{_KEPT}{uuid.UUID(dry_run_id)}"


def keep(settings: Settings, path: Path, dry_run_id: str) -> Path:
    """Keep an uploaded file as dry run ``dry_run_id``'s, for its confirmation."""
    target = kept_path(settings, dry_run_id)
    path.replace(target)
    return target


def is_kept(settings: Settings, dry_run_id: str) -> bool:
    return kept_path(settings, dry_run_id).is_file()


def claim(settings: Settings, dry_run_id: str) -> Path:
    """Take dry run ``dry_run_id``'s file for a real import: only one caller ever gets it
    (409 ``import_file_gone`` for the others, and once it expired)."""
    claimed = upload_dir(settings) / f"{_CLAIMED}{dry_run_id}-{uuid.uuid4().hex}"
    try:
        kept_path(settings, dry_run_id).rename(claimed)
    except FileNotFoundError:
        raise ConflictError(
            "this dry run's file was already imported or is no longer kept; upload it again",
            code=IssuerErrorCode.IMPORT_FILE_GONE,
        ) from None
    return claimed


def unclaim(settings: Settings, claimed: Path, dry_run_id: str) -> None:
    """Give a claimed file back to its dry run (the confirmation failed before issuing)."""
    claimed.replace(kept_path(settings, dry_run_id))


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def purge_expired_uploads(settings: Settings, now: dt.datetime) -> int:
    """Delete kept and stray files older than a confirmation form lives; returns how many."""
    directory = settings.import_upload_dir
    if not directory.is_dir():
        return 0
    ttl = dt.timedelta(seconds=settings.form_token_ttl_seconds)
    deleted = 0
    for path in directory.iterdir():
        if not path.name.startswith((_KEPT, _PARTIAL, _CLAIMED)):
            continue  # never a file Tessera did not write
        try:
            written = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        except FileNotFoundError:
            continue
        # A claimed file is being imported: give a long import a day before calling it stray.
        limit = ttl + dt.timedelta(days=1) if path.name.startswith(_CLAIMED) else ttl
        if now - written >= limit:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def row_holders(path: Path, numbers: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(name, employee number) of the file's rows ``numbers``, as written in the file, for
    the dry run's report (the import stores outcomes, not names)."""
    wanted = set(numbers)
    found: dict[int, tuple[str, str]] = {}
    if not wanted:
        return found
    last = max(wanted)
    for row in open_results_file(path).rows():
        if row.number in wanted:
            name, number = row.cells.get("name", ""), row.cells.get("employee_number", "")
            found[row.number] = (name.strip(), number.strip())
        if row.number >= last:
            break
    return found
