"""The OpenAPI document states every problem a route can answer (RFC 9457, docs/errors.md).

Handlers and middleware answer problem documents that the route decorators do not list:
401/403 from authentication, 404 for unknown ids, 413 from the body limit, 429 from the rate
limit, 503 when the database is gone, and 400/422 as problem documents rather than FastAPI's
``HTTPValidationError``. ``document_problems`` adds them to each operation once, when the
schema is first built, so clients (and schemathesis, in the tests) see what really comes back.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from issuer.web.middleware.rate_limit import is_rate_limited
from issuer.web.routes.vc_api import ISSUE_PATH, STATUS_PATH
from verifier.web.problem_response import PROBLEM_MEDIA_TYPE

PROBLEM_SCHEMA: Final = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Tessera's stable error code"},
    },
}
_DESCRIPTIONS: Final = {
    "400": "Malformed request",
    "401": "No valid bearer token",
    "403": "The token's role or units do not allow this",
    "404": "Not found",
    "409": "Conflicts with what is stored",
    "413": "Request body too large",
    "415": "Unsupported media type",
    "422": "The request does not match the schema",
    "429": "Too many requests (Retry-After)",
    "503": "Database unavailable (Retry-After)",
}
_BODY_METHODS: Final = frozenset({"post", "put", "patch"})


def _codes_for(path: str, method: str) -> list[str]:
    codes = ["400", "404", "422", "503"]
    public = ("/api/v1/verify", "/api/v1/verify/batch")
    if path.startswith("/api/v1/") and not (
        path in public or path.startswith("/api/v1/presentation-requests")  # decision 0058
    ):
        codes += ["401", "403"]
    if path in (ISSUE_PATH, STATUS_PATH):  # the VC-API's issuing side: admins only
        codes += ["401", "403"]
    if method in _BODY_METHODS:
        codes += ["409", "413", "415"]
    if is_rate_limited(path):
        codes.append("429")
    return codes


def _with_problems(schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = PROBLEM_SCHEMA
    reference = {"$ref": "#/components/schemas/ProblemDetails"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _codes_for(path, method):
                entry = responses.setdefault(code, {"description": _DESCRIPTIONS[code]})
                content = entry.setdefault("content", {})
                if code == "422":
                    content.pop("application/json", None)  # problem documents, not FastAPI's
                if not content or code in ("400", "422", "503"):
                    content[PROBLEM_MEDIA_TYPE] = {"schema": reference}
    return schema


def document_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` list the problem responses of every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_problems(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
