"""Building blocks shared by the registrar API's models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
ExamSession = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


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
