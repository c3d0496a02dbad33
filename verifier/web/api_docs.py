"""The API page ``/docs``: Swagger UI from this server's own files, under the strict CSP.

FastAPI's own ``/docs`` and ``/redoc`` load their scripts from a CDN (unreachable offline and
unreliable in some networks: a blank page) and run an inline initialiser, which a
Content-Security-Policy without ``'unsafe-inline'`` refuses. Here the page is plain HTML with
no inline script or style; it loads Swagger UI's files, vendored unchanged from the npm
package ``swagger-ui-dist`` (``static/swagger-ui/``, provenance and digests in its README),
and ``api-docs.js``, which reads the OpenAPI document's address from the page and starts
Swagger UI with the validator badge off (it would call validator.swagger.io). ReDoc is not
offered: it needs inline styles and a blob: worker (decision 0037).

The vendored files are served from a versioned path, so browsers keep them for a year; a
client that accepts gzip gets them compressed (the bundle: 1.7 MB, 0.46 MB gzipped),
compressed once, in a worker thread. Only the fixed list of files in ``ASSETS`` is read.
"""

from __future__ import annotations

import gzip
import html
from importlib import resources
from typing import Final

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

SWAGGER_UI_VERSION: Final = "5.35.0"
DOCS_PATH: Final = "/docs"
ASSET_PATH: Final = f"{DOCS_PATH}/swagger-ui-{SWAGGER_UI_VERSION}"
INITIALISER_PATH: Final = f"{DOCS_PATH}/api-docs.js"
ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
"""The vendored files served under ``ASSET_PATH``: a fixed list, nothing else is read."""
_STATIC: Final = resources.files("verifier.web").joinpath("static")
_FOREVER: Final = "public, max-age=31536000, immutable"
_HOUR: Final = "public, max-age=3600"
_LOADED: dict[str, tuple[bytes, bytes]] = {}


def _load(name: str) -> tuple[bytes, bytes]:
    """The file's bytes, and the same gzipped (the bundle: about 150 ms, once)."""
    body = _STATIC.joinpath("swagger-ui", name).read_bytes()
    return _LOADED.setdefault(name, (body, gzip.compress(body, compresslevel=9, mtime=0)))


async def _asset(name: str) -> tuple[bytes, bytes]:
    """``_load(name)``, in a worker thread the first time: the event loop never waits."""
    loaded = _LOADED.get(name)
    return loaded if loaded is not None else await anyio.to_thread.run_sync(_load, name)


def _accepts_gzip(request: Request) -> bool:
    for coding in request.headers.get("accept-encoding", "").lower().split(","):
        name, _, params = coding.partition(";")
        if name.strip() == "gzip":
            weight = params.replace(" ", "").removeprefix("q=")
            return not (weight and weight.strip("0.") == "")  # q=0, q=0.0: refused
    return False


def docs_page(title: str, *, root_path: str = "", openapi_url: str = "/openapi.json") -> str:
    """The HTML of ``/docs``: no inline script or style, every URL on this server."""
    assets = html.escape(root_path + ASSET_PATH)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - API</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{html.escape(root_path + openapi_url)}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{html.escape(root_path + INITIALISER_PATH)}"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its files on ``app`` (built with ``docs_url=None, redoc_url=None``)."""
    openapi_url = app.openapi_url or "/openapi.json"
    initialiser = _STATIC.joinpath("api-docs.js").read_bytes()

    @app.get(DOCS_PATH, include_in_schema=False)
    async def api_docs(request: Request) -> HTMLResponse:
        root_path = str(request.scope.get("root_path", "")).rstrip("/")
        return HTMLResponse(docs_page(app.title, root_path=root_path, openapi_url=openapi_url))

    @app.get(INITIALISER_PATH, include_in_schema=False)
    async def api_docs_initialiser() -> Response:
        return Response(
            initialiser,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": _HOUR},
        )

    @app.get(ASSET_PATH + "/{name}", include_in_schema=False)
    async def api_docs_asset(name: str, request: Request) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(status_code=404)
        body, compressed = await _asset(name)
        headers = {"Cache-Control": _FOREVER, "Vary": "Accept-Encoding"}
        if media_type.startswith("text/") and _accepts_gzip(request):
            headers["Content-Encoding"] = "gzip"
            body = compressed
        return Response(body, media_type=media_type, headers=headers)
