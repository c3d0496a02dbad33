"""Request ids, one log line per request, optional JSON logs, and the request metrics.

Every request gets a new id generated here, never taken from the client: it is sent back as
``X-Request-ID``, named on every log line written while the request runs, and stored with
audit events, so a client cannot choose (or forge, or repeat) what the audit log records.
A client's own ``X-Request-ID``, when it is a plain token (letters, digits, ``.``, ``_``,
``-``; at most 64), is only logged, as ``client_request_id`` on the request's line.

The per-request line names the route *template* (``/v/{credential_id}``), never the raw
path: paths carry credential ids and share tokens, and which credential is checked when is
the holder's business (docs/security.md). ``TESSERA_LOG_FORMAT=json`` writes one JSON
object per line.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import re
import time
import uuid
from typing import Any, Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.web.metrics import Metrics

log = logging.getLogger("issuer.request")

REQUEST_ID_HEADER: Final = b"x-request-id"
_PLAIN_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tessera_request_id", default=None
)
# Fields of a per-request line that the JSON formatter copies (all plain, none personal).
_EXTRA_FIELDS: Final = ("method", "route", "status", "duration_ms", "client_request_id")


def current_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    return _request_id.get()


def route_template(scope: Scope) -> str:
    """The matched route's path template, or ``unmatched`` (never the raw path)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "unmatched"


class RequestContext:
    """Assigns the request id, logs one line per request and feeds the request metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = next((v for k, v in scope.get("headers", []) if k == REQUEST_ID_HEADER), b"")
        client_request_id = presented.decode("ascii") if _PLAIN_ID.fullmatch(presented) else None
        request_id = uuid.uuid4().hex  # ours: the client's id is only logged
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method, route = scope.get("method", ""), route_template(scope)
            self.metrics.observe_request(method, route, status, seconds)
            extra: dict[str, Any] = {
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            }
            if client_request_id is not None:
                extra["client_request_id"] = client_request_id
            log.info(
                "%s %s %d%s",
                method,
                route,
                status,
                f" client_request_id={client_request_id}" if client_request_id else "",
                extra=extra,
            )
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, request fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for name in _EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__  # the type only: messages may hold data
        return orjson.dumps(line).decode("utf-8")


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server (uvicorn's ``log_config``)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            # No access log: paths carry credential ids; the line above names the template.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
