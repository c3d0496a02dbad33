"""Dates: VCDM ``dateTimeStamp`` parsing and the validity-period check.

``validFrom`` <= now < ``validUntil`` (VCDM 2.0 §4.9), and the JWT ``nbf``/``exp`` claims
(RFC 7519 §4.1.4-4.1.5) when present, each with a configurable clock skew (default 60 s).
Values follow the VCDM §5.8 pattern; one without an offset is read as UTC (§5.8).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from verifier.errors import CredentialErrorCode, CredentialShapeError, ValidityError

DEFAULT_CLOCK_SKEW: Final = dt.timedelta(seconds=60)

_DATE_TIME = re.compile(
    r"(?P<date>-?(?:[1-9][0-9]{3,}|0[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]))"
    r"T(?P<time>(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]|24:00:00)(?P<fraction>\.[0-9]+)?"
    r"(?P<offset>Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
)


def parse_date_time(value: object, name: str) -> dt.datetime:
    """Parse a ``dateTimeStamp`` into an aware UTC datetime; raise ``CredentialShapeError``."""
    if not isinstance(value, str):
        raise CredentialShapeError(f"{name} is not a date-time string")
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise CredentialShapeError(f"{name} is not a valid date-time")
    end_of_day = match["time"] == "24:00:00"
    if end_of_day and (match["fraction"] or "0").strip(".0"):
        raise CredentialShapeError(f"{name} is not a valid date-time")
    time = "00:00:00" if end_of_day else match["time"]
    fraction = (match["fraction"] or "")[:7]  # microseconds at most
    offset = match["offset"] or "Z"
    offset = "+00:00" if offset == "Z" else offset
    try:
        parsed = dt.datetime.fromisoformat(f"{match['date']}T{time}{fraction}{offset}")
        if end_of_day:
            parsed += dt.timedelta(days=1)
    except (ValueError, OverflowError):
        raise CredentialShapeError(f"{name} is outside the supported date range") from None
    return parsed.astimezone(dt.UTC)


def from_numeric_date(value: object, name: str) -> dt.datetime:
    """A JWT NumericDate (seconds since the epoch) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CredentialShapeError(f"{name} is not a NumericDate")
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise CredentialShapeError(f"{name} is outside the supported date range") from None


def check_validity(
    *,
    now: dt.datetime,
    not_before: dt.datetime | None,
    not_after: dt.datetime | None,
    skew: dt.timedelta = DEFAULT_CLOCK_SKEW,
) -> None:
    """Raise ``ValidityError`` (``not_yet_valid`` / ``expired``) outside the period."""
    if not_before is not None and now + skew < not_before:
        raise ValidityError(
            "the credential is not valid yet", code=CredentialErrorCode.NOT_YET_VALID
        )
    if not_after is not None and now - skew >= not_after:
        raise ValidityError("the credential has expired", code=CredentialErrorCode.EXPIRED)
