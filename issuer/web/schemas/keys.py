"""Registrar API models of signing keys."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.vocabulary import KeyState
from issuer.web.schemas.common import Note, StrictModel, UtcDatetime


class KeyResponse(BaseModel):
    kid: str
    algorithm: str
    state: KeyState
    created_at: dt.datetime
    retired_at: dt.datetime | None
    compromised_at: dt.datetime | None


class CompromiseKeyRequest(StrictModel):
    compromised_at: UtcDatetime = Field(description="when the key is believed to have leaked")
    note: Note | None = None
