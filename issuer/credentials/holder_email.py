"""The holder's e-mail address: where notices about a credential go (decision 0030).

One plain address, ``local@domain``, in ASCII (an internationalised domain in its ``xn--``
form), at most 254 characters: nothing that could add a header or a second recipient to a
message. The domain is kept in lower case. Messages never quote the value.
"""

from __future__ import annotations

import re

from issuer.errors import InvalidInputError, IssuerErrorCode

MAX_EMAIL_LENGTH = 254
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"({_LOCAL})@((?:{_LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?)")


def clean_email(value: str) -> str:
    """``value`` as a stored address, surrounding spaces removed; ``InvalidInputError``
    (``invalid_email``) otherwise."""
    value = value.strip()
    match = _EMAIL.fullmatch(value)
    if match is None or len(value) > MAX_EMAIL_LENGTH or len(match.group(1)) > 64:
        raise InvalidInputError(
            "the holder's e-mail address is not a valid address",
            code=IssuerErrorCode.INVALID_EMAIL,
        )
    return f"{match.group(1)}@{match.group(2).lower()}"


def clean_optional_email(value: str | None) -> str | None:
    """``clean_email``, with ``None`` and an empty value meaning no address."""
    if value is None or not value.strip():
        return None
    return clean_email(value)
