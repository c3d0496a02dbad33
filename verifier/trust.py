"""Trusted issuers: the configured list of issuer ids whose published keys we accept.

Issuer ids are compared exactly, after dropping a trailing ``/`` from the configured values
(``http://127.0.0.1:8000/`` in a setting means the issuer ``http://127.0.0.1:8000``). URLs we
are asked to fetch (keys, status lists, verify URLs) must lie under a trusted issuer's URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import unquote, urlsplit


def path_is_plain(path: str) -> bool:
    """True when ``path`` has no dot segment, backslash or encoded separator, in any
    decoding: what it names is exactly what its characters say."""
    decoded = path
    for _ in range(3):  # double (and triple) encoding: %252e%252e
        if "\\" in decoded or "\x00" in decoded:
            return False
        segments = decoded.split("/")
        if any(segment.split(";", 1)[0] in (".", "..") for segment in segments):
            return False
        lowered = decoded.lower()
        if "%2f" in lowered or "%5c" in lowered:
            return False
        once = unquote(decoded)
        if once == decoded:
            return True
        decoded = once
    return False


def normalise_issuer_id(issuer_id: str) -> str:
    """The form in which an issuer id is configured and compared."""
    return issuer_id.strip().rstrip("/")


class TrustedIssuers:
    """An immutable set of trusted issuer ids, with URL containment for fetches."""

    def __init__(self, issuer_ids: Iterable[str]) -> None:
        self._ids = frozenset(normalise_issuer_id(i) for i in issuer_ids if i.strip())

    def __contains__(self, issuer_id: object) -> bool:
        return isinstance(issuer_id, str) and issuer_id in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._ids))

    def __len__(self) -> int:
        return len(self._ids)

    def with_issuer(self, issuer_id: str) -> TrustedIssuers:
        """A copy that also trusts ``issuer_id``."""
        return TrustedIssuers([*self._ids, issuer_id])

    def issuer_for_url(self, url: str) -> str | None:
        """The trusted issuer whose URL contains ``url`` (same scheme and host), or ``None``.

        A path that a client or server could read as leaving the issuer is under no issuer:
        dot segments (``.``, ``..``), also percent-encoded (``%2e%2e``, ``.%2E``), an encoded
        ``/`` or ``\\``, a backslash, or any ``%`` escape that decodes to one of those after
        a second decoding. The issuer's own URLs never contain them.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
            return None
        if not path_is_plain(parts.path):
            return None
        for issuer_id in self._ids:
            base = urlsplit(issuer_id)
            if (base.scheme, base.netloc.lower()) != (parts.scheme, parts.netloc.lower()):
                continue
            prefix = base.path.rstrip("/")
            if parts.path == prefix or parts.path.startswith(prefix + "/"):
                return issuer_id
        return None
