"""The SD-JWT VC type (``vct``): its metadata document, public (decision 0056)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from issuer.credentials.sd_jwt_vc_type import sd_jwt_vc_type_metadata
from issuer.web.deps import ServicesDep

router = APIRouter(tags=["public"])

_HEADERS = {"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}


@router.get("/types/skill-certificate")
def sd_jwt_vc_type(services: ServicesDep) -> JSONResponse:
    """The SD-JWT VC Type Metadata of Tessera's certificate: display names in Chinese and
    English, and each claim's labels and whether it is selectively disclosable."""
    return JSONResponse(sd_jwt_vc_type_metadata(services.base_url), headers=_HEADERS)


@router.get("/.well-known/vct/types/skill-certificate", include_in_schema=False)
def sd_jwt_vc_type_well_known(services: ServicesDep) -> JSONResponse:
    """The same document where earlier drafts look for it (``/.well-known/vct`` + path)."""
    return JSONResponse(sd_jwt_vc_type_metadata(services.base_url), headers=_HEADERS)
