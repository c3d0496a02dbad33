"""On-disk cache of fetched keys and status lists, for ``tessera verify --offline``.

One JSON file per document, ``<kind>-<sha256(url)[:32]>.json``, holding
``{"kind", "url", "fetched_at", "text"}``. The HTTP sources write through to it; the offline
sources read it and report each document's age. Files are written atomically (temporary file
then ``os.replace``). The cache holds only public documents: JWKS and signed status lists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

CacheKind = Literal["jwks", "status_list", "status_detail", "compromised_keys"]
MAX_CACHED_BYTES: Final = 1024 * 1024


@dataclass(frozen=True)
class CachedDocument:
    """A document as it was fetched, with when."""

    kind: CacheKind
    url: str
    text: str
    fetched_at: dt.datetime

    def age(self, now: dt.datetime) -> dt.timedelta:
        """How long ago the document was fetched."""
        return now - self.fetched_at


def describe_age(age: dt.timedelta) -> str:
    """A short human form of an age: ``42 s``, ``5 min``, ``3 h``, ``12 d``."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


class OfflineCache:
    """A directory of cached documents; created on first write."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, kind: CacheKind, url: str) -> Path:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
        return self.directory / f"{kind}-{digest}.json"

    def store(self, kind: CacheKind, url: str, text: str, fetched_at: dt.datetime) -> None:
        """Write (or replace) the cached copy of ``url``."""
        self.directory.mkdir(parents=True, exist_ok=True)
        record = {"kind": kind, "url": url, "fetched_at": fetched_at.isoformat(), "text": text}
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle, ensure_ascii=False)
            os.replace(tmp, self._path(kind, url))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, kind: CacheKind, url: str) -> CachedDocument | None:
        """The cached copy of ``url``, or ``None`` if absent or unreadable."""
        path = self._path(kind, url)
        try:
            if path.stat().st_size > MAX_CACHED_BYTES:
                return None
            record = json.loads(path.read_text(encoding="utf-8"))
            fetched_at = dt.datetime.fromisoformat(record["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if record.get("url") != url or not isinstance(record.get("text"), str):
            return None
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=dt.UTC)
        return CachedDocument(kind=kind, url=url, text=record["text"], fetched_at=fetched_at)
