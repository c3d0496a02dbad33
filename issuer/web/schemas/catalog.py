"""Registrar API models of the catalog: units, occupations and levels."""

from __future__ import annotations

from pydantic import BaseModel


class UnitResponse(BaseModel):
    code: str
    name_zh: str
    name_en: str


class OccupationResponse(UnitResponse):
    description_zh: str
    description_en: str
    criteria_zh: str
    criteria_en: str


class LevelResponse(UnitResponse):
    rank: int
