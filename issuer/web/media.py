"""Media types shared by the routes: 415 for bodies that are not JSON, content negotiation."""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request

from verifier.format import VC_JWT_MEDIA_TYPE


def _require_json(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise HTTPException(415, "send the body as application/json")


require_json = Depends(_require_json)  # after authentication: 401 comes before 415


def wants_jwt(request: Request) -> bool:
    """True when the client asked for the token itself (``Accept: application/vc+jwt``)."""
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip() == VC_JWT_MEDIA_TYPE for part in accept.split(","))
