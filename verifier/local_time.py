"""Times and dates as a person reads them: in the issuer's time zone, with the zone named.

A credential's times are UTC instants (``validFrom``, ``validUntil``, the status list's
``changed_at``), but an employer in Baotou reads ``2026-11-27 20:00:00 北京时间（UTC+8）``,
not ``12:00:00 UTC``, and a ``validUntil`` of ``2028-10-27T15:59:59Z`` is the 27th there, not
whatever day UTC says. The issuer's pages use its profile's ``time_zone``; the standalone
verifier its ``TESSERA_VERIFIER_TIME_ZONE`` (both ``Asia/Shanghai`` unless set).
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from verifier.i18n import Lang, Phrase, phrase, say

DEFAULT_TIME_ZONE: Final = "Asia/Shanghai"


class UnknownTimeZoneError(ValueError):
    """A time zone name the system's zone database does not hold."""


def time_zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (an IANA name such as ``Asia/Shanghai``)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZoneError(f"unknown time zone {name!r}") from exc


def _offset(moment: dt.datetime) -> str:
    offset = moment.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    hours, rest = divmod(minutes, 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


def say_zone(zone: ZoneInfo, lang: Lang, *, at: dt.datetime) -> str:
    """``北京时间（UTC+8）`` / ``Beijing time (UTC+8)``; a zone without a name of its own in
    the catalogues is called by its IANA name."""
    offset = _offset(at.astimezone(zone))
    if zone.key == DEFAULT_TIME_ZONE:
        return say("zone.beijing", lang, offset=offset)
    return say("zone.named", lang, name=zone.key, offset=offset)


def say_moment(value: dt.datetime, zone: ZoneInfo, lang: Lang) -> str:
    """An instant to the second, where the issuer is, with the zone named."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M:%S} {say_zone(zone, lang, at=value)}"


def local_date(value: str | None, zone: ZoneInfo) -> str | None:
    """The day an ISO 8601 date or date-time falls on where the issuer is (``2028-10-27``); a
    bare date is that date, and text that is neither is cut to its first ten characters."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value[:10]
    if moment.tzinfo is None:
        return moment.date().isoformat()
    return moment.astimezone(zone).date().isoformat()


def age_phrase(age: dt.timedelta) -> Phrase:
    """How old a cached document is, in each language's units: ``3 天`` / ``3 d``."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return phrase("age.seconds", n=seconds)
    if seconds < 7200:
        return phrase("age.minutes", n=seconds // 60)
    if seconds < 172800:
        return phrase("age.hours", n=seconds // 3600)
    return phrase("age.days", n=seconds // 86400)
