"""Registrar API models of the catalog (units, occupations, levels) and the issuer's profile."""

from __future__ import annotations

from pydantic import BaseModel, Field


class UnitResponse(BaseModel):
    code: str
    name_zh: str
    name_en: str


class OccupationResponse(UnitResponse):
    description_zh: str
    description_en: str
    criteria_zh: str
    criteria_en: str
    levels: list[str] | None = Field(
        default=None, description="the level codes offered; null: every level"
    )


class LevelResponse(UnitResponse):
    rank: int


class UnitRequest(BaseModel):
    name_zh: str = Field(max_length=1000)
    name_en: str = Field(max_length=1000)


class OccupationRequest(UnitRequest):
    description_zh: str = Field(max_length=20_000)
    description_en: str = Field(max_length=20_000)
    criteria_zh: str = Field(max_length=20_000)
    criteria_en: str = Field(max_length=20_000)
    levels: list[str] | None = Field(
        default=None, max_length=20, description="level codes offered; null or absent: every level"
    )


class KindChangesResponse(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]


class CatalogProblemResponse(BaseModel):
    row: int
    column: str
    message: str


class CatalogImportResponse(BaseModel):
    rows: int
    applied: bool
    units: KindChangesResponse
    occupations: KindChangesResponse


class ProfileResponse(BaseModel):
    name_zh: str
    name_en: str
    contact: str | None
    time_zone: str
    colour: str | None
    logo_sha256: str | None
    seal_sha256: str | None


class ProfileRequest(BaseModel):
    name_zh: str | None = Field(default=None, max_length=1000)
    name_en: str | None = Field(default=None, max_length=1000)
    contact: str | None = Field(default=None, max_length=2000)
    time_zone: str | None = Field(default=None, max_length=64)
    colour: str | None = Field(
        default=None,
        max_length=16,
        description='"#rrggbb", legible on white (contrast >= 4.5:1); "" for the house colour',
    )
