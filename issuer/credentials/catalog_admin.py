"""Changing the catalog: units and occupations checked field by field, then created or updated
by code, every change audited (decision 0036).

The API (one unit or occupation), the catalog file (many) and the ``tessera catalog``
command all pass through ``check_unit`` / ``check_occupation`` and ``apply_entries``, so a
value refused by one is refused by all, in the same words. An entry equal to what is stored
changes nothing and records nothing: importing the same file twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.text import clean_identifier, clean_name, clean_note
from issuer.errors import InvalidInputError
from issuer.store.audit import Actor, record_events
from issuer.store.models import Level, Occupation, Unit
from issuer.vocabulary import AuditAction

# The skill levels credentials name (national vocational skill levels 5 to 3). Every database
# has them: `tessera init` and `tessera db upgrade` add those missing, in every environment.
STANDARD_LEVELS: tuple[dict[str, Any], ...] = (
    {"code": "junior", "name_zh": "初级工", "name_en": "Junior", "rank": 1},
    {"code": "intermediate", "name_zh": "中级工", "name_en": "Intermediate", "rank": 2},
    {"code": "senior", "name_zh": "高级工", "name_en": "Senior", "rank": 3},
)
UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
# A national occupation code (GB/T 6565, 2022 edition): ``6-17-05-01``.
OCCUPATION_CODE = re.compile(r"^[0-9]-[0-9]{2}-[0-9]{2}-[0-9]{2}$")
MAX_NAME = 200
MAX_TEXT = 4000
_LEVEL_SEPARATORS = re.compile(r"[\s,;，；、/|]+")


class FieldError(InvalidInputError):
    """A value refused, naming its field (``column``) in plain words.

    ``message`` is English, for the API and the CLI; ``reason`` (with ``values``) is the
    stable code the console turns into words in both languages."""

    def __init__(self, column: str, message: str, *, reason: str, **values: object) -> None:
        super().__init__(f"{column}: {message}")
        self.column = column
        self.message = message
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class UnitEntry:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class OccupationEntry:
    code: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    criteria_zh: str
    criteria_en: str
    levels: list[str] | None  # None: every level


@dataclass
class KindChanges:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass
class CatalogChanges:
    """What ``apply_entries`` did (or, in a dry run, would do), by code."""

    units: KindChanges = field(default_factory=KindChanges)
    occupations: KindChanges = field(default_factory=KindChanges)

    @property
    def changed(self) -> int:
        return sum(len(k.created) + len(k.updated) for k in (self.units, self.occupations))


def ensure_levels(session: Session) -> int:
    """Add the standard levels that are missing; how many were added."""
    existing = set(session.scalars(select(Level.code)))
    missing = [row for row in STANDARD_LEVELS if row["code"] not in existing]
    for row in missing:
        session.add(Level(**row))
    session.flush()
    return len(missing)


def _text(values: Mapping[str, str | None], column: str, limit: int, *, note: bool = False) -> str:
    raw = values.get(column) or ""
    try:
        value = clean_note(raw, column) if note else clean_name(raw, column)
    except InvalidInputError:
        raise FieldError(
            column, "holds control, format or invisible characters", reason="invisible_characters"
        ) from None
    if not value:
        raise FieldError(column, "is empty", reason="empty")
    if len(value) > limit:
        raise FieldError(
            column, f"is longer than {limit:,} characters", reason="too_long", limit=f"{limit:,}"
        )
    return value


def _code(
    values: Mapping[str, str | None], pattern: re.Pattern[str], shape: str, reason: str
) -> str:
    try:
        code = clean_identifier(values.get("code") or "", "code")
    except InvalidInputError:
        raise FieldError(
            "code", "holds control, format or invisible characters", reason="invisible_characters"
        ) from None
    if not code:
        raise FieldError("code", "is empty", reason="empty")
    if not pattern.fullmatch(code):
        raise FieldError("code", f"is not {shape}", reason=reason)
    return code


def check_unit(values: Mapping[str, str | None]) -> UnitEntry:
    """A unit from its fields (``code``, ``name_zh``, ``name_en``); ``FieldError`` otherwise."""
    return UnitEntry(
        code=_code(
            values, UNIT_CODE, "1 to 32 letters, digits, - or _ (such as U01)", "bad_unit_code"
        ),
        name_zh=_text(values, "name_zh", MAX_NAME),
        name_en=_text(values, "name_en", MAX_NAME),
    )


def parse_levels(text: str | None, levels: Sequence[Level]) -> list[str] | None:
    """Level codes from ``junior, senior`` or ``初级工、高级工``; empty: every level (None)."""
    words = [w for w in _LEVEL_SEPARATORS.split(text or "") if w]
    if not words:
        return None
    aliases = {
        alias.casefold(): level.code
        for level in levels
        for alias in (level.code, level.name_zh, level.name_en)
    }
    codes: set[str] = set()
    for word in words:
        code = aliases.get(word.casefold())
        if code is None:
            known = ", ".join(level.code for level in levels)
            raise FieldError(
                "levels",
                f"{word!r} is not a level (one of {known})",
                reason="unknown_level",
                word=word,
                known=known,
            )
        codes.add(code)
    rank = {level.code: level.rank for level in levels}
    return sorted(codes, key=rank.__getitem__)


def check_occupation(values: Mapping[str, str | None], levels: Sequence[Level]) -> OccupationEntry:
    """An occupation from its fields; ``levels`` is the text of the levels offered."""
    return OccupationEntry(
        code=_code(
            values,
            OCCUPATION_CODE,
            "a national occupation code such as 6-17-05-01",
            "bad_occupation_code",
        ),
        name_zh=_text(values, "name_zh", MAX_NAME),
        name_en=_text(values, "name_en", MAX_NAME),
        description_zh=_text(values, "description_zh", MAX_TEXT, note=True),
        description_en=_text(values, "description_en", MAX_TEXT, note=True),
        criteria_zh=_text(values, "criteria_zh", MAX_TEXT, note=True),
        criteria_en=_text(values, "criteria_en", MAX_TEXT, note=True),
        levels=parse_levels(values.get("levels"), levels),
    )


def _stored_fields(row: Unit | Occupation, entry: UnitEntry | OccupationEntry) -> dict[str, Any]:
    return {name: getattr(row, name) for name in asdict(entry)}


class _Kind(NamedTuple):
    changes: KindChanges
    create: AuditAction
    update: AuditAction


def apply_entries(
    session: Session,
    units: Sequence[UnitEntry],
    occupations: Sequence[OccupationEntry],
    *,
    actor: Actor,
    now: dt.datetime,
    dry_run: bool = False,
) -> CatalogChanges:
    """Create or update each entry by code, in the caller's transaction; audit each change.

    Units never disappear this way: credentials point at them (and their public pages).
    """
    changes, A = CatalogChanges(), AuditAction  # noqa: N806
    kinds: list[tuple[type[Unit | Occupation], Sequence[UnitEntry | OccupationEntry], _Kind]] = [
        (Unit, units, _Kind(changes.units, A.CATALOG_UNIT_CREATE, A.CATALOG_UNIT_UPDATE)),
        (
            Occupation,
            occupations,
            _Kind(changes.occupations, A.CATALOG_OCCUPATION_CREATE, A.CATALOG_OCCUPATION_UPDATE),
        ),
    ]
    for model, entries, (kind, create, update) in kinds:
        rows = cast(Sequence[Unit | Occupation], session.scalars(select(model)).all())
        stored = {row.code: row for row in rows}
        created: list[tuple[str | None, dict[str, Any]]] = []
        updated: list[tuple[str | None, dict[str, Any]]] = []
        for entry in entries:
            fields = asdict(entry)
            row = stored.get(entry.code)
            if row is None:
                kind.created.append(entry.code)
                created.append((entry.code, fields))
                if not dry_run:
                    stored[entry.code] = model(**fields)
                    session.add(stored[entry.code])
                continue
            before = _stored_fields(row, entry)
            changed = {k: v for k, v in fields.items() if before[k] != v}
            if not changed:
                kind.unchanged.append(entry.code)
                continue
            kind.updated.append(entry.code)
            updated.append((entry.code, {"changed": sorted(changed), "before": before}))
            if not dry_run:
                for name, value in changed.items():
                    setattr(row, name, value)
        if not dry_run:
            session.flush()
            for action, events in ((create, created), (update, updated)):
                if events:
                    record_events(session, actor, action, events, now=now)
    return changes
