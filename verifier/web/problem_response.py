"""RFC 9457 problem responses for HTTP requests that cannot be evaluated (4xx).

One shape for the whole service: ``type`` is ``urn:tessera:problem:<code>``, ``code`` the
same stable code (docs/errors.md), plus ``title``, ``status`` and ``detail``. Verification
findings are not these: they travel inside a 200 result, with the W3C problem types.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from fastapi.responses import JSONResponse

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_BASE: Final = "urn:tessera:problem:"


def problem_body(status: int, title: str, detail: str, code: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_response(
    status: int,
    title: str,
    detail: str,
    code: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem document response; ``detail`` never echoes what the client sent."""
    return JSONResponse(
        problem_body(status, title, detail, code, **extra),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


async def send_problem(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    status: int,
    title: str,
    detail: str,
    code: str,
    *,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Send a problem document straight on an ASGI ``send`` (for middleware)."""
    body = json.dumps(problem_body(status, title, detail, code)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
