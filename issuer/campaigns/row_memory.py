"""What an import remembers of a file's earlier rows, kept on disk so memory stays flat.

Validating a row needs two facts about the rows before it in the same file
(issuer/campaigns/rows.py): the first name given for each employee number, and whether the
same candidate and exam session came already. In Python sets and dicts these grow with the
file, about 150 bytes a row: 30 MB at 200,000 rows, 150 MB at a million. Here they live in
a private temporary SQLite database (``sqlite3.connect("")``), which keeps at most its page
cache in memory and spills the rest to a file that SQLite unlinks as soon as it opens it, so
even ``kill -9`` leaves nothing behind (decision 0061).

Only 16-byte BLAKE2b digests are written, never a name or an employee number: two texts are
the same exactly when their digests are (a collision among 2^128 values is not a concern).
"""

from __future__ import annotations

import hashlib
import sqlite3

CACHE_KIB = 2048  # SQLite's page cache for this database: the bound on its memory


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class RowMemory:
    """Names by employee number and the exams seen so far in one file; ``close()`` it."""

    def __init__(self, *, cache_kib: int = CACHE_KIB) -> None:
        # isolation_level=None: no implicit transactions; the data never needs to survive.
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE names (number BLOB PRIMARY KEY, name BLOB) WITHOUT ROWID")
        self._db.execute("CREATE TABLE exams (key BLOB PRIMARY KEY) WITHOUT ROWID")

    def same_name(self, employee_number: str, name: str) -> bool:
        """Remember ``name`` for ``employee_number`` unless one is known; whether ``name`` is
        the first name this file gave it."""
        number, given = _digest(employee_number), _digest(name)
        cursor = self._db.execute(
            "INSERT INTO names VALUES (?, ?) ON CONFLICT DO NOTHING", (number, given)
        )
        if cursor.rowcount == 1:
            return True
        row = self._db.execute("SELECT name FROM names WHERE number = ?", (number,)).fetchone()
        return bool(row[0] == given)

    def first_time(self, key: str) -> bool:
        """Remember the exam ``key``; whether it was new."""
        cursor = self._db.execute(
            "INSERT INTO exams VALUES (?) ON CONFLICT DO NOTHING", (_digest(key),)
        )
        return cursor.rowcount == 1

    def close(self) -> None:
        self._db.close()
