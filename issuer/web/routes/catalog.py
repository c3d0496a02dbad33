"""Registrar API: the catalog of units, occupations and levels (read by every role, changed
by admins), the catalog file import, and the issuer's profile (decision 0036)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from issuer.campaigns.catalog_file import CatalogReport, import_catalog
from issuer.credentials.catalog import list_levels, list_occupations, list_units
from issuer.credentials.catalog_admin import (
    OccupationEntry,
    UnitEntry,
    apply_entries,
    check_occupation,
    check_unit,
)
from issuer.credentials.profile import ProfileChange, set_profile
from issuer.errors import IssuerErrorCode
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.web.deps import ActorDep, AdminDep, PrincipalDep, ReadSessionDep, ServicesDep
from issuer.web.error_handlers import problem
from issuer.web.routes.imports import _spool
from issuer.web.schemas.catalog import (
    CatalogImportResponse,
    LevelResponse,
    OccupationRequest,
    OccupationResponse,
    ProfileRequest,
    ProfileResponse,
    UnitRequest,
    UnitResponse,
)

router = APIRouter(prefix="/api/v1", tags=["catalog"])
ImageKind = Literal["logo", "seal"]


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


def _put(services: Services, actor: Actor, entry: UnitEntry | OccupationEntry) -> None:
    units = [entry] if isinstance(entry, UnitEntry) else []
    occupations = [entry] if isinstance(entry, OccupationEntry) else []
    with session_scope(services.sessions) as session:
        apply_entries(session, units, occupations, actor=actor, now=services.clock())


@router.put("/units/{code}", response_model=UnitResponse)
def put_unit(
    code: str, body: UnitRequest, _admin: AdminDep, actor: ActorDep, services: ServicesDep
) -> UnitResponse:
    """Create or update a unit (admins). Unchanged values record nothing."""
    entry = check_unit({"code": code, **body.model_dump()})
    _put(services, actor, entry)
    return UnitResponse(**asdict(entry))


@router.put("/occupations/{code}", response_model=OccupationResponse)
def put_occupation(
    code: str, body: OccupationRequest, _admin: AdminDep, actor: ActorDep, services: ServicesDep
) -> OccupationResponse:
    """Create or update an occupation by its national code (admins)."""
    values = body.model_dump()
    levels = " ".join(body.levels) if body.levels else None
    with services.read_sessions() as session:
        entry = check_occupation({**values, "code": code, "levels": levels}, list_levels(session))
    _put(services, actor, entry)
    return OccupationResponse(**asdict(entry))


def import_catalog_file(
    services: Services, path: Path, actor: Actor, dry_run: bool
) -> CatalogReport:
    with session_scope(services.sessions) as session:
        return import_catalog(session, path, actor=actor, now=services.clock(), dry_run=dry_run)


@router.post(
    "/catalog/import",
    response_model=CatalogImportResponse,
    responses={422: {"description": "`invalid_catalog`: `problems` lists row, column, message"}},
)
async def catalog_import(
    request: Request,
    _admin: AdminDep,
    actor: ActorDep,
    services: ServicesDep,
    dry_run: Annotated[bool, Query(description="check only; change nothing")] = False,
) -> Response | CatalogImportResponse:
    """Import a catalog file (CSV or XLSX, multipart field ``file`` or the raw body): every
    row is checked, then all are applied or none (admins)."""
    path, _name = await _spool(request)
    try:
        report = await run_in_threadpool(import_catalog_file, services, path, actor, dry_run)
    finally:
        path.unlink(missing_ok=True)
    if report.problem_count:
        return problem(
            422,
            IssuerErrorCode.INVALID_CATALOG,
            f"{report.problem_count} problems in {report.rows} rows: nothing changed",
            problems=[
                {"row": p.row, "column": p.column, "message": p.message} for p in report.problems
            ],
        )
    changes = asdict(report.changes)
    return CatalogImportResponse(rows=report.rows, applied=report.applied, **changes)


def _profile_response(services: Services) -> ProfileResponse:
    with services.read_sessions() as session:
        return ProfileResponse(**services.profile(session).summary())


def _set_profile(services: Services, actor: Actor, change: ProfileChange) -> ProfileResponse:
    with session_scope(services.sessions) as session:
        profile = set_profile(
            session,
            change,
            fallback_name=services.settings.issuer_name,
            actor=actor,
            now=services.clock(),
        )
        return ProfileResponse(**profile.summary())


@router.get("/profile", response_model=ProfileResponse)
def get_profile(_principal: PrincipalDep, services: ServicesDep) -> ProfileResponse:
    """The issuer's profile in force; images by SHA-256 (``TESSERA_ISSUER_NAME`` stands in for
    names not set)."""
    return _profile_response(services)


@router.put("/profile", response_model=ProfileResponse)
def put_profile(
    body: ProfileRequest, _admin: AdminDep, actor: ActorDep, services: ServicesDep
) -> ProfileResponse:
    """Set the names, contact, time zone or colour (admins); fields left out stay as they are.
    An empty colour goes back to the house colour."""
    values = body.model_dump()
    clear: tuple[str, ...] = ()
    if values["colour"] == "":
        values["colour"], clear = None, ("colour",)
    return _set_profile(services, actor, ProfileChange(**values, clear=clear))


@router.put(
    "/profile/{kind}",
    response_model=ProfileResponse,
    openapi_extra={
        "requestBody": {"content": {"image/png": {}, "image/jpeg": {}}, "required": True}
    },
)
async def put_profile_image(
    kind: ImageKind, request: Request, _admin: AdminDep, actor: ActorDep, services: ServicesDep
) -> ProfileResponse:
    """Set the logo or the seal (admins): a PNG or JPEG body up to 1 MiB and 2,000 pixels a
    side, stored re-encoded as PNG."""
    data = await request.body()
    change = ProfileChange(logo=data) if kind == "logo" else ProfileChange(seal=data)
    return await run_in_threadpool(_set_profile, services, actor, change)


@router.delete("/profile/{kind}", response_model=ProfileResponse)
def delete_profile_image(
    kind: ImageKind, _admin: AdminDep, actor: ActorDep, services: ServicesDep
) -> ProfileResponse:
    """Remove the logo or the seal (admins)."""
    return _set_profile(services, actor, ProfileChange(clear=(kind,)))
