"""Text that people type and others read: one normal form, and no invisible characters.

Every way in (the registrar API, reissue corrections, the ``tessera`` commands, import rows)
passes names, employee numbers, exam sessions and codes through these functions, so that two
values that look the same on a certificate are the same value in the database
(decision 0024):

- **names** (holder, token): Unicode NFC, every run of spaces one ordinary space, stripped;
- **identifiers** (employee number, exam session, national id, codes): NFKC, which also
  folds full-width letters and digits (``ＳＦ０００００１`` is ``SF000001``), then as names;
- **notes** (free text for the audit record): NFC, stripped; line breaks and tabs stay.

All three refuse what cannot be seen or reorders what is seen: control characters (Unicode
category Cc: NUL, line breaks in names, escape), format characters (Cf: zero-width space
and joiners, bidirectional overrides and isolates, the byte-order mark, soft hyphen, tags),
line and paragraph separators, surrogates, private-use and unassigned code points, and the
other characters that draw nothing (fillers, variation selectors, the combining grapheme
joiner, the blank braille pattern). They raise ``UnsafeTextError`` and never guess a
replacement; messages never quote the value.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from issuer.errors import InvalidInputError, IssuerErrorCode

Form = Literal["NFC", "NFKC"]

# Unicode categories of characters that draw nothing or are not characters at all.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Characters of other categories that draw nothing (letters and marks by category).
_INVISIBLE = frozenset(
    "\u034f"  # combining grapheme joiner
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u180b\u180c\u180d\u180f"  # Mongolian free variation selectors
    "\u2800"  # braille pattern blank
    "\ufffc"  # object replacement character
)
_VARIATION_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_NOTE_ALLOWED = frozenset("\n\t")


class UnsafeTextError(InvalidInputError):
    """A value holds control, format, bidirectional-override or invisible characters."""

    code = IssuerErrorCode.INVALID_CHARACTERS


def refused_character(value: str, allowed: frozenset[str] = frozenset()) -> bool:
    """True if ``value`` holds a character that no name or identifier may hold."""
    if value.isascii():  # the common case: only the C0 controls and DEL can be wrong
        return any(ch not in allowed for ch in _ASCII_CONTROL.findall(value))
    for ch in value:
        if ch in allowed:
            continue
        if unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in _INVISIBLE:
            return True
        code = ord(ch)
        if any(code in selectors for selectors in _VARIATION_SELECTORS):
            return True
    return False


def _normal(value: str, form: Form, what: str) -> str:
    if not value.isascii():
        value = unicodedata.normalize(form, value)
    if refused_character(value):
        raise UnsafeTextError(f"{what} contains control, format or invisible characters")
    return _SPACES.sub(" ", value).strip()


def clean_name(value: str, what: str = "the name") -> str:
    """A person's or token's name in NFC, spaces folded; ``UnsafeTextError`` if unsafe."""
    return _normal(value, "NFC", what)


def clean_identifier(value: str, what: str = "the identifier") -> str:
    """An identifier (employee number, exam session, code) in NFKC, spaces folded."""
    return _normal(value, "NFKC", what)


def clean_note(value: str, what: str = "the note") -> str:
    """Free text for the record in NFC; line breaks and tabs kept, nothing invisible."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    if refused_character(value, _NOTE_ALLOWED):
        raise UnsafeTextError(f"{what} contains control, format or invisible characters")
    return value.strip()


def clean_optional_note(value: str | None) -> str | None:
    """``clean_note`` for a note that may be absent; an empty one is absent."""
    return (clean_note(value) or None) if value is not None else None
