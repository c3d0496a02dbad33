"""The resident identity number: 18 characters whose last is a check digit (GB 11643-1999).

One check for every way in: the registrar API's holder (``holder.national_id``), the
``tessera issue`` command and each row of an import use ``check_national_id``, so a number
refused in one is refused in all, in the same words (``import.reason.invalid_national_id``).
The check digit is ISO 7064 MOD 11-2: the first 17 digits weighted 2^(17-i) mod 11, summed,
and the sum mod 11 picks the character from ``10X98765432``.
"""

from __future__ import annotations

import re

from issuer.errors import InvalidInputError, IssuerErrorCode
from verifier.i18n import Lang, say

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first_17: str) -> str:
    """The check character of the first 17 digits of a number."""
    total = sum(int(d) * w for d, w in zip(first_17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def valid_national_id(value: str) -> bool:
    """Whether ``value`` (upper case) is 18 characters with the right check digit."""
    return bool(_SHAPE.match(value)) and check_digit(value[:17]) == value[17]


def check_national_id(value: str) -> str:
    """``value`` in its stored form (a final ``x`` in upper case) if valid; otherwise
    ``InvalidInputError`` (``invalid_national_id``), in both languages."""
    upper = value.upper()
    if not valid_national_id(upper):
        raise InvalidInputError(
            say("import.reason.invalid_national_id", Lang.BOTH),
            code=IssuerErrorCode.INVALID_NATIONAL_ID,
        )
    return upper
