"""Files and directories only their owner can read, private from the first byte.

The database holds national ids and birth dates, bundles hold live share links and backups
hold both: each is created with mode 0600 (directories 0700) by ``os.open``/``os.mkdir``
with that mode under a umask of 077, never created wider and narrowed afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO, Final

FILE_MODE: Final = 0o600
DIR_MODE: Final = 0o700
_PRIVATE_UMASK: Final = 0o077


@contextmanager
def private_umask() -> Iterator[None]:
    """Files and directories created inside (by this process) are readable by the owner only.

    The umask is process-wide: keep the block short and free of other work.
    """
    previous = os.umask(_PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def private_dir(path: Path, *, narrow: bool = False) -> Path:
    """Create ``path`` and any missing parents with mode 0700.

    Existing parents are left as they are (they may be shared, like ``/tmp``); ``narrow``
    also sets an existing ``path`` itself to 0700 (a directory Tessera owns: keys, bundles).
    """
    with private_umask():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if narrow and path.stat().st_mode & 0o077:
        path.chmod(DIR_MODE)
    return path


def create_private_file(path: Path, *, exclusive: bool = True) -> BinaryIO:
    """Open a new file for writing with mode 0600 from its creation.

    ``exclusive`` refuses an existing file (``FileExistsError``); otherwise an existing file
    is truncated and narrowed to 0600 before anything is written to it.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    with private_umask():
        fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an existing file keeps its old mode on O_TRUNC
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def write_private_file(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (mode 0600 from the start, written under a new name)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with create_private_file(temporary, exclusive=False) as handle:
        handle.write(data)
    temporary.replace(path)


def touch_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist; narrow it if it is wider.

    An existing file is never opened: closing any descriptor of a file drops every POSIX lock
    this process holds on it, and SQLite's connections in this process lock the database
    file that way (sqlite.org/howtocorrupt.html §2.2). Only ``stat`` and ``chmod`` touch it.
    """
    try:
        with private_umask():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        narrow_private_file(path)
        return
    os.close(fd)  # new and empty: nobody holds a lock on it yet


def narrow_private_file(path: Path) -> None:
    """Narrow an existing ``path`` to 0600 by its name (never opened, see above); a missing
    one is left missing."""
    try:
        if path.stat().st_mode & 0o077:
            with suppress(PermissionError):  # another owner's file: SQLite decides
                path.chmod(FILE_MODE)
    except FileNotFoundError:
        return
