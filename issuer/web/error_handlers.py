"""RFC 9457 problem details: the one place errors become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from issuer.errors import (
    AlreadyIssuedError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    IssuerError,
    IssuerErrorCode,
    NotFoundError,
    PermissionDeniedError,
)
from issuer.web.console.errors import error_page, is_console
from issuer.web.middleware.request_log import route_template
from verifier.web.problem_response import problem_response

log = logging.getLogger(__name__)


_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


# The HTTP status of each class of the error tree; a subclass not listed takes its nearest
# listed ancestor's (the root's 400 at worst).
ERROR_STATUS: dict[type[IssuerError], int] = {
    IssuerError: 400,
    ConfigurationError: 503,
    NotFoundError: 404,
    InvalidInputError: 422,
    ConflictError: 409,
    AlreadyIssuedError: 409,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
}


def error_status(exc: IssuerError) -> int:
    """The HTTP status answering ``exc``."""
    for cls in type(exc).__mro__:
        status = ERROR_STATUS.get(cls)
        if status is not None:
            return status
    return ERROR_STATUS[IssuerError]


def problem(status: int, code: IssuerErrorCode, detail: str, **extra: Any) -> JSONResponse:
    """A problem document; ``code`` is Tessera's stable code (docs/errors.md)."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem_response(
        status, _TITLES.get(status, "Error"), detail, code, headers=headers, **extra
    )


def database_problem(exc: SQLAlchemyError) -> tuple[IssuerErrorCode, str]:
    """The code and a one-line detail for a database error (never its SQL or values)."""
    reason = str(getattr(exc, "orig", None) or "").lower()
    if "readonly database" in reason or "read-only" in reason:
        return IssuerErrorCode.DATABASE_READ_ONLY, "the database is read-only: writes are refused"
    if "disk is full" in reason or "no space left" in reason:
        return IssuerErrorCode.STORAGE_FULL, "the database's disk is full: writes are refused"
    return IssuerErrorCode.DATABASE_UNAVAILABLE, "the database is unavailable; retry later"


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    # Location and message only: the offending input may be personal data.
    return [
        {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"), "reason": err["msg"]}
        for err in exc.errors()[:20]
    ]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(IssuerError)
    async def _issuer_error(request: Request, exc: IssuerError) -> Response:
        if is_console(request):
            return error_page(request, error_status(exc), exc.code, str(exc))
        return problem(error_status(exc), exc.code, str(exc), **exc.extensions())

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_console(request):
            detail = "; ".join(f"{e['field']}: {e['reason']}" for e in _field_errors(exc))
            return error_page(request, 422, IssuerErrorCode.INVALID_REQUEST, detail)
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return problem(
                400, IssuerErrorCode.MALFORMED_JSON, "the request body is not valid JSON"
            )
        return problem(
            422,
            IssuerErrorCode.INVALID_REQUEST,
            "the request does not match the schema",
            errors=_field_errors(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {
            404: IssuerErrorCode.NOT_FOUND,
            405: IssuerErrorCode.METHOD_NOT_ALLOWED,
            413: IssuerErrorCode.BODY_TOO_LARGE,
            415: IssuerErrorCode.UNSUPPORTED_MEDIA_TYPE,
        }.get(exc.status_code, IssuerErrorCode.HTTP_ERROR)
        if is_console(request) and exc.status_code != 405:
            return error_page(request, exc.status_code, code, str(exc.detail))
        return problem(exc.status_code, code, str(exc.detail))

    @app.exception_handler(DataError)
    async def _data_error(_request: Request, _exc: DataError) -> JSONResponse:
        # A value the database cannot hold (a number out of range): the request's fault.
        return problem(
            422, IssuerErrorCode.VALUE_OUT_OF_RANGE, "a value in the request is out of range"
        )

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        # The database is unreachable or refused the work: fail fast, never hang or leak SQL.
        # The route template, not the path: paths carry credential ids and share tokens.
        code, detail = database_problem(exc)
        log.warning(
            "database error on %s %s: %s (%s)",
            request.method,
            route_template(request.scope),
            type(exc).__name__,
            code,
        )
        response = problem(503, code, detail)
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled error on %s %s: %s",
            request.method,
            route_template(request.scope),
            type(exc).__name__,
        )
        return problem(500, IssuerErrorCode.INTERNAL_ERROR, "an unexpected error occurred")


__all__ = [
    "ERROR_STATUS",
    "AuthenticationError",
    "error_status",
    "install_problem_handlers",
    "problem",
]
