"""Building blocks shared by the registrar API's models.

Every free-text field goes through ``issuer/credentials/text.py`` (decision 0024): a value
with control, format or invisible characters is refused as ``invalid_request`` naming the
field, and the value kept is its normal form (NFC; identifiers NFKC; spaces folded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from issuer.credentials.holder_email import MAX_EMAIL_LENGTH, clean_email
from issuer.credentials.national_id import check_national_id
from issuer.credentials.text import UnsafeTextError, clean_identifier, clean_name, clean_note
from issuer.errors import InvalidInputError


def _cleaned(clean: Callable[[str], str], max_length: int, min_length: int = 1) -> AfterValidator:
    # The schema's bounds stand for the value as sent; the cleaned value is bounded again.
    def validate(value: str) -> str:
        try:
            value = clean(value)
        except UnsafeTextError:
            raise PydanticCustomError(
                "invalid_characters",
                "contains control, format (zero-width, bidirectional) or invisible characters",
            ) from None
        if len(value) > max_length:  # NFKC can lengthen a value
            raise PydanticCustomError(
                "string_too_long", "at most {max_length} characters", {"max_length": max_length}
            )
        if len(value) < min_length:  # only spaces
            raise PydanticCustomError("string_too_short", "must not be blank")
        return value

    return AfterValidator(validate)


Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    _cleaned(clean_name, 200),
]
Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    _cleaned(clean_identifier, 64),
]
Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32),
    _cleaned(clean_identifier, 32),
]
Note = Annotated[str, StringConstraints(max_length=1000), _cleaned(clean_note, 1000, 0)]
ExamSession = Identifier
OptionalIdentifier = Annotated[
    str,
    StringConstraints(max_length=64),
    _cleaned(clean_identifier, 64, 0),
]


def _national_id(value: str) -> str:
    if not value:
        return value
    try:
        return check_national_id(value)
    except InvalidInputError as exc:  # the words an import row gets (decision 0051)
        raise PydanticCustomError("invalid_national_id", str(exc)) from None


# A resident identity number: 18 characters with a valid check digit, as import rows check.
NationalId = Annotated[
    str,
    StringConstraints(max_length=64),
    _cleaned(clean_identifier, 64, 0),
    AfterValidator(_national_id),
]


def _email(value: str) -> str:
    try:
        return clean_email(value)
    except InvalidInputError:
        raise PydanticCustomError(
            "invalid_email", "not an e-mail address such as name@example.org"
        ) from None


# The holder's e-mail address (decision 0030): one plain ASCII address.
Email = Annotated[
    str, StringConstraints(min_length=3, max_length=MAX_EMAIL_LENGTH), AfterValidator(_email)
]


def _in_utc(value: dt.datetime) -> dt.datetime:
    """The instant in UTC; one whose UTC form falls outside years 1-9999 is refused here, in
    the schema (422), rather than failing where it is stored or compared."""
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("the time, in UTC, is outside the years 1 to 9999") from None


# Every date-time a request or a query accepts: with a time zone, normalised to UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class StrictModel(BaseModel):
    """A request model that refuses unknown fields."""

    model_config = ConfigDict(extra="forbid")
