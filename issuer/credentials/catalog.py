"""The catalog: units, occupations and levels, and the public Open Badges ``Achievement``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import NotFoundError
from issuer.store.models import Level, Occupation, Unit
from verifier.format import OPEN_BADGE_CONTEXTS
from verifier.urls import IssuerUrls


@dataclass(frozen=True)
class Catalog:
    """Every unit, occupation and level by code: loaded once per batch."""

    units: dict[str, Unit]
    occupations: dict[str, Occupation]
    levels: dict[str, Level]


def load_catalog(session: Session) -> Catalog:
    return Catalog(
        units={u.code: u for u in session.scalars(select(Unit))},
        occupations={o.code: o for o in session.scalars(select(Occupation))},
        levels={lv.code: lv for lv in session.scalars(select(Level))},
    )


def achievement_code(occupation: Occupation, level: Level) -> str:
    """``<national occupation code>-<level>``, e.g. ``6-17-05-01-senior``."""
    return f"{occupation.code}-{level.code}"


def achievement_name(occupation: Occupation, level: Level) -> str:
    return f"{occupation.name_zh}（{level.name_zh}） / {occupation.name_en} ({level.name_en})"


def achievement(base_url: str, occupation: Occupation, level: Level) -> dict[str, Any]:
    """The Open Badges 3.0 ``Achievement`` embedded in every credential: one per occupation
    and level, kept short (it travels in the QR code); ``id`` dereferences to the full
    definition with the occupation's description and criteria.
    """
    url = IssuerUrls(base_url).achievement(achievement_code(occupation, level))
    return {
        "id": url,
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": achievement_name(occupation, level),
        "description": (
            f"职业技能等级证书：{occupation.name_zh}（{level.name_zh}）。"
            f"Vocational skill level certificate: {occupation.name_en}, {level.name_en} level."
        ),
        "criteria": {"id": url},
        "humanCode": occupation.code,
    }


def achievement_definition(base_url: str, occupation: Occupation, level: Level) -> dict[str, Any]:
    """The public, full ``Achievement``: what ``/achievements/{code}`` serves."""
    embedded = achievement(base_url, occupation, level)
    return {
        "@context": list(OPEN_BADGE_CONTEXTS),
        **embedded,
        "description": f"{occupation.description_zh}\n\n{occupation.description_en}",
        "criteria": {
            "id": embedded["id"],
            "narrative": f"{occupation.criteria_zh}\n\n{occupation.criteria_en}",
        },
        "fieldOfStudy": occupation.name_en,
        "specialization": level.name_en,
    }


def unit_profile(base_url: str, unit: Unit) -> dict[str, Any]:
    """The unit (branch, plant) that assessed the candidate, as an Open Badges ``Profile``."""
    return {
        "id": IssuerUrls(base_url).unit(unit.code),
        "type": ["Profile"],
        "name": f"{unit.name_zh} / {unit.name_en}",
    }


def find_achievement(session: Session, base_url: str, code: str) -> dict[str, Any]:
    """The public JSON-LD document for ``/achievements/{code}``."""
    occupation_code, _, level_code = code.rpartition("-")
    occupation = session.scalars(
        select(Occupation).where(Occupation.code == occupation_code)
    ).first()
    level = session.scalars(select(Level).where(Level.code == level_code)).first()
    if occupation is None or level is None:
        raise NotFoundError("no such achievement")
    return achievement_definition(base_url, occupation, level)


def find_unit_profile(session: Session, base_url: str, code: str) -> dict[str, Any]:
    """The public JSON-LD ``Profile`` for ``/units/{code}``."""
    unit = session.scalars(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        raise NotFoundError("no such unit")
    return {"@context": list(OPEN_BADGE_CONTEXTS), **unit_profile(base_url, unit)}


def list_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.code)))


def list_occupations(session: Session) -> list[Occupation]:
    return list(session.scalars(select(Occupation).order_by(Occupation.code)))


def list_levels(session: Session) -> list[Level]:
    return list(session.scalars(select(Level).order_by(Level.rank)))
