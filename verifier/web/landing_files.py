"""The verify page's own files: its stylesheet, its script and the vendored QR decoder.

Served by this server, so the page's Content-Security-Policy (``script-src 'self'``,
``style-src 'self'``) holds with no exception. ``/verify/vendor/jsqr/jsQR.js`` is jsQR 1.4.0,
unchanged (``verifier/web/static/vendor/jsqr/README.md`` names its source, licence and
digest); the script loads it only in a browser with no QR-reading ``BarcodeDetector``.
Decision 0048.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response

from verifier.web.landing import LANDING_SCRIPT, LANDING_STYLESHEET, QR_DECODER

_STATIC: Final = resources.files("verifier.web").joinpath("static")
_JAVASCRIPT: Final = "text/javascript; charset=utf-8"
_CACHE: Final = "public, max-age=3600"
FILES: Final = {
    LANDING_SCRIPT: ("landing.mjs", _JAVASCRIPT),
    LANDING_STYLESHEET: ("landing.css", "text/css; charset=utf-8"),
    QR_DECODER: ("vendor/jsqr/jsQR.js", _JAVASCRIPT),
}
"""Each path served, with the file under ``static/`` and its media type: nothing else is read."""


def create_landing_files_router() -> APIRouter:
    """The routes of the files above (none is in the OpenAPI schema: they are a page's)."""
    router = APIRouter(include_in_schema=False)
    for path, (name, media_type) in FILES.items():
        router.add_api_route(path, _serve(_STATIC.joinpath(name).read_bytes(), media_type))
    return router


def _serve(content: bytes, media_type: str) -> Callable[[], Awaitable[Response]]:
    async def serve() -> Response:
        return Response(content, media_type=media_type, headers={"Cache-Control": _CACHE})

    return serve
