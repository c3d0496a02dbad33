"""Registrar API: the catalog of units, occupations and levels (read)."""

from __future__ import annotations

from fastapi import APIRouter

from issuer.credentials.catalog import list_levels, list_occupations, list_units
from issuer.web.deps import PrincipalDep, ReadSessionDep
from issuer.web.schemas.catalog import LevelResponse, OccupationResponse, UnitResponse

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get("/units", response_model=list[UnitResponse])
def units(_principal: PrincipalDep, session: ReadSessionDep) -> list[UnitResponse]:
    return [UnitResponse.model_validate(u, from_attributes=True) for u in list_units(session)]


@router.get("/occupations", response_model=list[OccupationResponse])
def occupations(_principal: PrincipalDep, session: ReadSessionDep) -> list[OccupationResponse]:
    return [
        OccupationResponse.model_validate(o, from_attributes=True)
        for o in list_occupations(session)
    ]


@router.get("/levels", response_model=list[LevelResponse])
def levels(_principal: PrincipalDep, session: ReadSessionDep) -> list[LevelResponse]:
    return [LevelResponse.model_validate(lv, from_attributes=True) for lv in list_levels(session)]
