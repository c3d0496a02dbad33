"""The in-page verifier's files: what a phone needs to verify a packed QR link by itself.

``<base>/c#<digits>`` loads ``verify/verify.js``, which verifies the credential in the page
(``verify-core.mjs`` and the modules it imports) against the issuer's published keys and
status lists, fetched whole; the credential never leaves the page. ``verify/page.json`` tells
the script what it must not decide for itself: the issuers it trusts, the clock skew, how old
cached keys and lists may be, and the words of every verdict and reason (from ``VERDICTS`` and
``PROBLEM_KINDS``, so the page and the server say the same). ``/sw.js`` (scope ``/``, so it
covers ``/c`` and ``/verify``) and ``verify/manifest.webmanifest`` make the page an offline
web app. Decision 0028.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any, Final

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from verifier.errors import CredentialErrorCode
from verifier.problem import problem_kind
from verifier.result import CheckCode
from verifier.web.page import REASONS, VERDICTS

MODULES: Final = (
    "inflate.mjs",
    "verify-checks.mjs",
    "verify-core.mjs",
    "verify-display.mjs",
    "verify-format.mjs",
)
"""The script's modules, served as ``/verify/<name>``: a fixed list, nothing else is read."""
_STATIC: Final = resources.files("verifier.web").joinpath("static")
_SOURCES: Final = {name: _STATIC.joinpath(name).read_bytes() for name in MODULES}
_WORKER: Final = _STATIC.joinpath("sw.js").read_bytes()
_ICON: Final = _STATIC.joinpath("icon.svg").read_bytes()
_JAVASCRIPT: Final = "text/javascript; charset=utf-8"
_CACHE: Final = "public, max-age=3600"

MANIFEST: Final = {
    "name": "证书核验 Tessera credential verification",
    "short_name": "证书核验",
    "lang": "zh-CN",
    "start_url": "../c",
    "scope": "../",
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": "#0b5d24",
    "icons": [{"src": "icon.svg", "sizes": "any", "type": "image/svg+xml"}],
}


def page_config(
    issuers: Iterable[str], *, clock_skew: dt.timedelta, max_age: dt.timedelta
) -> dict[str, Any]:
    """What ``verify.js`` reads from ``verify/page.json``."""
    return {
        "issuers": sorted(issuers),
        "clock_skew_seconds": int(clock_skew.total_seconds()),
        "max_age_seconds": int(max_age.total_seconds()),
        "verdicts": {
            status.value: {"symbol": v.symbol, "zh": v.zh, "en": v.en, "tone": v.tone}
            for status, v in VERDICTS.items()
        },
        "problems": {
            code.value: {"zh": kind.title_zh, "en": kind.title}
            for code in CredentialErrorCode
            for kind in [problem_kind(code.value, CheckCode.PARSE)]
        },
        "reasons": {code: {"zh": zh, "en": en} for code, (zh, en) in REASONS.items()},
    }


def create_phone_router(
    issuers: Iterable[str], *, clock_skew: dt.timedelta, max_age: dt.timedelta
) -> APIRouter:
    """The routes of the in-page verifier (none is in the OpenAPI schema: they are a page)."""
    router = APIRouter(include_in_schema=False)
    config = json.dumps(
        page_config(issuers, clock_skew=clock_skew, max_age=max_age), ensure_ascii=False
    ).encode("utf-8")
    manifest = json.dumps(MANIFEST, ensure_ascii=False).encode("utf-8")

    @router.get("/verify/{name}.mjs")
    async def module(name: str) -> Response:
        source = _SOURCES.get(f"{name}.mjs")
        if source is None:
            raise HTTPException(404, "no such file")
        return Response(source, media_type=_JAVASCRIPT, headers={"Cache-Control": _CACHE})

    @router.get("/verify/page.json")
    async def page_json() -> Response:
        return Response(
            config, media_type="application/json", headers={"Cache-Control": "no-cache"}
        )

    @router.get("/verify/manifest.webmanifest")
    async def web_manifest() -> Response:
        return Response(
            manifest, media_type="application/manifest+json", headers={"Cache-Control": _CACHE}
        )

    @router.get("/verify/icon.svg")
    async def icon() -> Response:
        return Response(_ICON, media_type="image/svg+xml", headers={"Cache-Control": _CACHE})

    @router.get("/sw.js")
    async def service_worker() -> Response:
        # Always revalidated, so a new version of the page reaches installed copies.
        return Response(_WORKER, media_type=_JAVASCRIPT, headers={"Cache-Control": "no-cache"})

    return router
