"""Operations endpoints: liveness, readiness and Prometheus metrics (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from issuer.errors import IssuerError, IssuerErrorCode
from issuer.keys.keystore import key_path
from issuer.services import SIGNER_MAX_AGE_HOT_PATH, Services
from issuer.store import migration
from issuer.web.deps import ServicesDep
from issuer.web.error_handlers import problem
from issuer.web.metrics import METRICS_MEDIA_TYPE, Metrics

router = APIRouter(tags=["operations"])

_PROBLEM_JSON: dict[str, Any] = {"application/problem+json": {}}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


def readiness(services: Services) -> dict[str, str]:
    """``ok`` or a short reason for each of: database, migrations, signing key."""
    checks = {"database": "not checked", "migrations": "not checked", "signing_key": "not checked"}
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
        at_head = migration.is_at_head(services.engine)
        checks["migrations"] = "ok" if at_head else "not at head: run `tessera db upgrade`"
        with services.read_sessions() as session:
            signer = services.signer(session, max_age=SIGNER_MAX_AGE_HOT_PATH)
        key_path(services.settings.keys_dir, signer.kid).read_bytes()
        checks["signing_key"] = "ok"
    except SQLAlchemyError as exc:
        failed = "database" if checks["database"] != "ok" else "migrations"
        checks[failed] = f"unreachable ({type(exc).__name__})"
    except (IssuerError, OSError) as exc:
        # Key errors name the key id and the file at most, never key bytes (issuer/keys/).
        checks["signing_key"] = str(exc) if isinstance(exc, IssuerError) else "key file unreadable"
    return checks


@router.get(
    "/readyz",
    responses={503: {"description": "Not ready (problem+json)", "content": _PROBLEM_JSON}},
)
def readyz(services: ServicesDep) -> Response:
    """Readiness: the database answers, its schema is at head, the signing key loads."""
    checks = readiness(services)
    failing = [name for name, state in checks.items() if state != "ok"]
    if not failing:
        return JSONResponse({"status": "ready", "checks": checks})
    response = problem(
        503,
        IssuerErrorCode.NOT_READY,
        f"not ready: {', '.join(failing)}",
        checks=checks,
        failing=failing,
    )
    response.headers["Retry-After"] = "5"
    return response


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {METRICS_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    """Prometheus metrics in the text exposition format."""
    registry: Metrics = request.app.state.metrics
    body: Any = registry.render()
    return Response(body, media_type=METRICS_MEDIA_TYPE)
