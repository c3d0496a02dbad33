"""The issuer's profile: names in both languages, contact, time zone, colour, logo and seal.

Stored as one row (``issuer_profile``); until it is set, ``TESSERA_ISSUER_NAME`` gives the
names and Asia/Shanghai the time zone. Images come in as PNG or JPEG, bounded in bytes and
pixels, and are decoded and written again as a fresh PNG with Pillow: what is stored (and
later drawn on certificates and served) holds pixels only, never the sender's metadata,
chunks or trailing bytes (decision 0036).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import warnings
import zoneinfo
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.colour import HOUSE_COLOUR, check_colour
from issuer.credentials.images import UNREADABLE_IMAGE_ERRORS
from issuer.credentials.text import clean_name, clean_note
from issuer.errors import InvalidInputError, IssuerErrorCode
from issuer.store.audit import Actor, record_event
from issuer.store.models import IssuerProfileRecord
from issuer.vocabulary import AuditAction

PROFILE_ROW = 1
DEFAULT_TIME_ZONE = "Asia/Shanghai"
MAX_IMAGE_BYTES = 1_048_576
MAX_IMAGE_SIDE = 2000
IMAGE_KINDS = ("logo", "seal")
CLEARABLE = (*IMAGE_KINDS, "colour")
_FORMATS = ("PNG", "JPEG")


@dataclass(frozen=True)
class IssuerProfile:
    """The profile in force: stored values, the settings standing in for names not set."""

    name_zh: str
    name_en: str
    contact: str | None
    time_zone: str
    logo_png: bytes | None
    seal_png: bytes | None
    stored: bool
    colour: str | None = None  # "#rrggbb"; None: the house colour

    @property
    def certificate_colour(self) -> str:
        """The colour the certificate is drawn in: the issuer's, else the house colour."""
        return self.colour or HOUSE_COLOUR

    @property
    def name(self) -> str:
        """``中文 / English``: the issuer's ``name`` signed into credentials."""
        return self.name_zh if self.name_zh == self.name_en else f"{self.name_zh} / {self.name_en}"

    def summary(self) -> dict[str, Any]:
        """Everything but the image bytes (their SHA-256 instead): for the API and audit."""
        return {
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "contact": self.contact,
            "time_zone": self.time_zone,
            "colour": self.colour,
            "logo_sha256": _digest(self.logo_png),
            "seal_sha256": _digest(self.seal_png),
        }


def _digest(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def split_names(name: str) -> tuple[str, str]:
    """``"中文 / English"`` -> (``中文``, ``English``); a single-language name goes in both."""
    zh, sep, en = name.partition(" / ")
    return (zh.strip(), en.strip()) if sep else (name.strip(), name.strip())


def current_profile(session: Session, fallback_name: str) -> IssuerProfile:
    """The stored profile, names not set taken from ``fallback_name`` (the settings)."""
    row = session.get(IssuerProfileRecord, PROFILE_ROW)
    zh, en = split_names(fallback_name)
    if row is None:
        return IssuerProfile(zh, en, None, DEFAULT_TIME_ZONE, None, None, stored=False)
    return IssuerProfile(
        name_zh=row.name_zh or zh,
        name_en=row.name_en or en,
        contact=row.contact,
        time_zone=row.time_zone,
        logo_png=row.logo_png,
        seal_png=row.seal_png,
        stored=True,
        colour=row.colour,
    )


def issuer_today(session: Session, now: dt.datetime) -> dt.date:
    """The date at ``now`` in the issuer's time zone: exams after it have not happened."""
    row = session.get(IssuerProfileRecord, PROFILE_ROW)
    name = row.time_zone if row is not None else DEFAULT_TIME_ZONE
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # pragma: no cover - checked on save
        zone = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)
    return now.astimezone(zone).date()


def clean_image(data: bytes, what: str) -> bytes:
    """``data`` (PNG or JPEG) decoded and written again as PNG; ``InvalidInputError``
    (``invalid_image``) for anything else, over ``MAX_IMAGE_BYTES`` or ``MAX_IMAGE_SIDE``."""

    def refuse(reason: str) -> InvalidInputError:
        return InvalidInputError(f"the {what} {reason}", code=IssuerErrorCode.INVALID_IMAGE)

    if len(data) > MAX_IMAGE_BYTES:
        raise refuse(f"is larger than {MAX_IMAGE_BYTES // 1024} KiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_FORMATS) as image:
                if max(image.size) > MAX_IMAGE_SIDE:
                    raise refuse(f"is larger than {MAX_IMAGE_SIDE} pixels a side")
                image.load()
                mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
                pixels = image.convert(mode)
    except InvalidInputError:
        raise
    except UNREADABLE_IMAGE_ERRORS:
        raise refuse("is not a readable PNG or JPEG image") from None
    out = io.BytesIO()
    pixels.save(out, format="PNG", optimize=True)
    return out.getvalue()


class ProfileFieldError(InvalidInputError):
    """A refused value, naming its field (``name_zh``, ``logo``, ...): a form shows the message
    beside that field."""

    def __init__(self, field: str, error: InvalidInputError) -> None:
        super().__init__(str(error), code=error.code)
        self.field = field
        self.refused = error


@dataclass(frozen=True)
class ProfileChange:
    """Fields to set; ``None`` leaves a field as it is. ``clear`` names images to remove."""

    name_zh: str | None = None
    name_en: str | None = None
    contact: str | None = None
    time_zone: str | None = None
    colour: str | None = None
    logo: bytes | None = None
    seal: bytes | None = None
    clear: tuple[str, ...] = ()


def _clean_text(value: str, what: str, limit: int, *, note: bool = False) -> str:
    cleaned = clean_note(value, what) if note else clean_name(value, what)
    if not cleaned:
        raise InvalidInputError(f"{what} is empty")
    if len(cleaned) > limit:
        raise InvalidInputError(f"{what} is longer than {limit} characters")
    return cleaned


def check_time_zone(value: str) -> str:
    """An IANA time zone name (``Asia/Shanghai``); ``InvalidInputError`` otherwise."""
    name = value.strip()
    try:
        if not name or name not in zoneinfo.available_timezones():
            raise ValueError(name)
    except ValueError:
        raise InvalidInputError(
            "the time zone is not an IANA time zone name such as Asia/Shanghai"
        ) from None
    return name


def set_profile(
    session: Session, change: ProfileChange, *, fallback_name: str, actor: Actor, now: dt.datetime
) -> IssuerProfile:
    """Apply ``change`` (every value checked first, images re-encoded); audited as
    ``issuer.profile_set`` with what changed (images by SHA-256). Nothing changed: no event."""
    values: dict[str, Any] = {}
    try:
        if change.name_zh is not None:
            field = "name_zh"
            values[field] = _clean_text(change.name_zh, "the Chinese name", 200)
        if change.name_en is not None:
            field = "name_en"
            values[field] = _clean_text(change.name_en, "the English name", 200)
        if change.contact is not None:
            field = "contact"
            values[field] = _clean_text(change.contact, "the contact", 500, note=True)
        if change.time_zone is not None:
            field = "time_zone"
            values[field] = check_time_zone(change.time_zone)
        if change.colour is not None:
            field = "colour"
            values[field] = check_colour(change.colour)
        for kind, data in (("logo", change.logo), ("seal", change.seal)):
            if data is not None:
                field = kind
                values[f"{kind}_png"] = clean_image(data, kind)
    except InvalidInputError as error:
        raise ProfileFieldError(field, error) from None
    for kind in change.clear:
        if kind not in CLEARABLE:
            raise InvalidInputError(f"only {', '.join(CLEARABLE)} can be cleared")
        values[kind if kind == "colour" else f"{kind}_png"] = None
    before = current_profile(session, fallback_name)
    row = session.scalar(
        select(IssuerProfileRecord).where(IssuerProfileRecord.id == PROFILE_ROW).with_for_update()
    )
    if row is None:
        row = IssuerProfileRecord(id=PROFILE_ROW, time_zone=DEFAULT_TIME_ZONE, updated_at=now)
        session.add(row)
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed and before.stored:
        return before
    for name in changed:
        setattr(row, name, values[name])
    row.updated_at = now
    session.flush()
    after = current_profile(session, fallback_name)
    record_event(
        session,
        actor,
        AuditAction.ISSUER_PROFILE_SET,
        "issuer",
        now=now,
        details={"changed": sorted(changed), "before": before.summary(), "after": after.summary()},
    )
    return after
