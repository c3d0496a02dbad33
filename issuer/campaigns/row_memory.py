"""What an import remembers of a file's earlier rows, in bounded memory whatever the file.

Validating a row needs two facts about the rows before it in the same file
(issuer/campaigns/rows.py): the first name given for each employee number, and whether the
same candidate and exam session came already. Kept in Python sets and dicts they grow with
the file, about 150 bytes a row: 30 MB at 200,000 rows, 150 MB at a million. Here the first
``IN_MEMORY_ROWS`` rows are kept in memory (a campaign of the demo's size never leaves it:
a look-up there costs a fraction of a microsecond), then everything moves to a private
temporary SQLite database (``sqlite3.connect("")``, about 10 µs a row), which keeps at most
its page cache in memory and spills the rest to a file that SQLite unlinks as soon as it
opens it, so even ``kill -9`` leaves nothing behind (decision 0061).

Only 16-byte BLAKE2b digests are kept, never a name or an employee number: two texts are
the same exactly when their digests are (a collision among 2^128 values is not a concern).
"""

from __future__ import annotations

import hashlib
import sqlite3

IN_MEMORY_ROWS = 20_000  # about 4 MB of digests before they move to disk
CACHE_KIB = 2048  # SQLite's page cache once on disk: the bound on its memory


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class RowMemory:
    """Names by employee number and the exams seen so far in one file; ``close()`` it."""

    def __init__(self, *, in_memory_rows: int | None = None, cache_kib: int = CACHE_KIB) -> None:
        self._limit = IN_MEMORY_ROWS if in_memory_rows is None else in_memory_rows
        self._cache_kib = cache_kib
        self._names: dict[bytes, bytes] = {}
        self._exams: set[bytes] = set()
        self._db: sqlite3.Connection | None = None

    @property
    def on_disk(self) -> bool:
        """Whether the rows seen so far have moved to the temporary database."""
        return self._db is not None

    def same_name(self, employee_number: str, name: str) -> bool:
        """Remember ``name`` for ``employee_number`` unless one is known; whether ``name`` is
        the first name this file gave it."""
        number, given = _digest(employee_number), _digest(name)
        if self._db is None:
            known = self._names.setdefault(number, given)
            self._spill_when_full()
            return known == given
        cursor = self._db.execute(
            "INSERT INTO names VALUES (?, ?) ON CONFLICT DO NOTHING", (number, given)
        )
        if cursor.rowcount == 1:
            return True
        row = self._db.execute("SELECT name FROM names WHERE number = ?", (number,)).fetchone()
        return bool(row[0] == given)

    def first_time(self, key: str) -> bool:
        """Remember the exam ``key``; whether it was new."""
        digest = _digest(key)
        if self._db is None:
            if digest in self._exams:
                return False
            self._exams.add(digest)
            self._spill_when_full()
            return True
        cursor = self._db.execute("INSERT INTO exams VALUES (?) ON CONFLICT DO NOTHING", (digest,))
        return cursor.rowcount == 1

    def _spill_when_full(self) -> None:
        if len(self._names) + len(self._exams) <= 2 * self._limit:
            return
        # isolation_level=None: no implicit transactions; the data never needs to survive.
        db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA cache_size = -{int(self._cache_kib)}")
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("CREATE TABLE names (number BLOB PRIMARY KEY, name BLOB) WITHOUT ROWID")
        db.execute("CREATE TABLE exams (key BLOB PRIMARY KEY) WITHOUT ROWID")
        db.executemany("INSERT INTO names VALUES (?, ?)", self._names.items())
        db.executemany("INSERT INTO exams VALUES (?)", ((key,) for key in self._exams))
        self._db, self._names, self._exams = db, {}, set()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._names, self._exams = {}, set()
