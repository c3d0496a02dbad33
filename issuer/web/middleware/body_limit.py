"""Request body size limits, enforced while the body streams in (not only by Content-Length).

``TESSERA_MAX_BODY_BYTES`` (1 MiB) keeps ordinary requests small; an exam campaign's results
file may be larger, up to ``TESSERA_IMPORT_MAX_BYTES`` (20 MiB), on its one path only
(``PerPathBodyLimit``). The console's pages get the refusal as a page, like their other errors.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.errors import IssuerErrorCode
from issuer.web.console.errors import error_page, is_console
from verifier.web.problem_response import send_problem


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` when the streamed body passes the limit; becomes a 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request bodies are limited to {max_bytes} bytes")


class BodySizeLimit:
    """Answer 413 with a problem document when a request body exceeds ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._reject(scope, receive, send)
                    return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not response_started:
                await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        detail = f"request bodies are limited to {self.max_bytes} bytes"
        if is_console(request):
            page = error_page(request, 413, IssuerErrorCode.BODY_TOO_LARGE, detail)
            page.headers["connection"] = "close"
            await page(scope, receive, send)
            return
        await send_problem(
            send,
            413,
            "Request body too large",
            detail,
            IssuerErrorCode.BODY_TOO_LARGE,
            headers=[(b"connection", b"close")],
        )


class PerPathBodyLimit:
    """``BodySizeLimit`` with a different ``max_bytes`` for requests under given paths."""

    def __init__(self, app: ASGIApp, max_bytes: int, overrides: dict[str, int]) -> None:
        self.default = BodySizeLimit(app, max_bytes)
        self.overrides = [(path, BodySizeLimit(app, limit)) for path, limit in overrides.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        for prefix, limited in self.overrides:
            if path == prefix or path.startswith(prefix + "/"):
                await limited(scope, receive, send)
                return
        await self.default(scope, receive, send)
