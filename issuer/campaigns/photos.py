"""Holders' photos given with an import: a folder or a ZIP of ``<employee number>.jpg``.

``tessera import FILE --photos DIR_OR_ZIP`` runs this after the results file: every file
named ``<employee_number>.jpg``, ``.jpeg`` or ``.png`` becomes that holder's photo for the
printed certificate (``issuer.credentials.holder_photo``: checked, re-encoded, sealed,
audited). Each photo is stored in its own transaction, so one unreadable picture or unknown
employee number is reported and the others still go in; a dry run checks the pictures
and stores none. A ZIP's members are read only up to ``MAX_PHOTO_BYTES`` each, whatever their
headers claim, and only ``MAX_PHOTO_FILES`` of them, so a crafted archive cannot fill memory.
Names are reported, never the pictures; the log names neither.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from issuer.credentials.holder_photo import (
    MAX_PHOTO_BYTES,
    PHOTO_FILE_TYPES,
    PhotoError,
    clean_photo,
    find_holder,
    set_holder_photo,
)
from issuer.errors import InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope

MAX_PHOTO_FILES = 100_000


@dataclass
class PhotoReport:
    """How many photos were stored (or would be, in a dry run) and the files refused."""

    stored: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)


def _employee_number(name: str) -> str | None:
    """``E-0001`` for ``photos/E-0001.JPG``; ``None`` for files that are not photos."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.name.startswith(".") or path.suffix.lower() not in PHOTO_FILE_TYPES:
        return None
    return path.stem


def _from_zip(source: Path) -> Iterator[tuple[str, bytes | None]]:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        raise InvalidInputError(
            f"{source.name} is not a readable ZIP file", code=IssuerErrorCode.MALFORMED_FILE
        ) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()][:MAX_PHOTO_FILES]
        for member in members:
            if _employee_number(member.filename) is None:
                continue
            try:
                with archive.open(member) as file:
                    data = file.read(MAX_PHOTO_BYTES + 1)  # one byte over says "too large"
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError):
                data = None
            yield member.filename, data


def _from_folder(source: Path) -> Iterator[tuple[str, bytes | None]]:
    files = sorted(p for p in source.iterdir() if p.is_file())[:MAX_PHOTO_FILES]
    for path in files:
        if _employee_number(path.name) is None:
            continue
        try:
            with path.open("rb") as file:
                data = file.read(MAX_PHOTO_BYTES + 1)
        except OSError:
            data = None
        yield path.name, data


def photo_files(source: Path) -> Iterator[tuple[str, bytes | None]]:
    """(file name, bytes or ``None`` if unreadable) of each photo in a folder or a ZIP."""
    if source.is_dir():
        return _from_folder(source)
    if source.is_file():
        return _from_zip(source)
    raise InvalidInputError(f"no such folder or file: {source}", code=IssuerErrorCode.MISSING_FILE)


def import_photos(
    services: Services, source: Path, *, actor: Actor, dry_run: bool = False
) -> PhotoReport:
    """Store each photo in ``source`` for the holder its file names; report the refused."""
    report = PhotoReport()
    passphrase = services.settings.read_passphrase()
    for name, data in photo_files(source):
        number = _employee_number(name) or ""
        if data is None:
            report.problems.append((name, "the file cannot be read"))
            continue
        try:
            if dry_run:  # the holders of a dry run's rows do not exist: check the pictures
                clean_photo(data)
            else:
                with session_scope(services.sessions) as session:
                    holder = find_holder(session, number)
                    set_holder_photo(
                        session,
                        holder,
                        data,
                        passphrase=passphrase,
                        actor=actor,
                        now=services.clock(),
                    )
        except NotFoundError:
            report.problems.append((name, f"no holder has the employee number {number}"))
            continue
        except PhotoError as error:
            report.problems.append((name, str(error)))
            continue
        report.stored += 1
    return report
