"""A larger body limit for the import upload than for every other request.

``TESSERA_MAX_BODY_BYTES`` (1 MiB) keeps ordinary requests small; an exam campaign's results
file may be larger, up to ``TESSERA_IMPORT_MAX_BYTES`` (20 MiB), on its one path only.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from issuer.web.middleware.body_limit import BodySizeLimit


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
