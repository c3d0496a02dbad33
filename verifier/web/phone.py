"""The in-page verifier's files: what a phone needs to verify a packed QR link by itself.

``<base>/c#<digits>`` loads ``verify/verify.js``, which verifies the credential in the page
(``verify-core.mjs`` and the modules it imports) against the issuer's published keys and
status lists, fetched whole; the credential never leaves the page. ``verify/page.json`` tells
the script what it must not decide for itself: the issuers it trusts, the clock skew, how old
cached keys and lists may be, and the symbol and tone of every verdict (with the server's
verdict, problem and reason words in both languages, for other readers of the file). The
words the script shows come in the page itself, in a ``<script type="application/json"
id="words">`` block (``phone_words``: data, never run, so the Content-Security-Policy holds)
read from the same catalogues as the server's page, in the language the page was asked in,
with the issuer's time zone (decisions 0047, 0049). ``/sw.js`` (scope ``/``, so it covers
``/c`` and ``/verify``) and ``verify/manifest.webmanifest`` make the page an offline web app.
Decision 0028.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any, Final

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from verifier import labels
from verifier.errors import CredentialErrorCode
from verifier.i18n import ONE_LANGUAGE, Lang, both, text
from verifier.problem import problem_kind
from verifier.result import CheckCode
from verifier.words import CHECK_OUTCOMES, REASONS, VERDICTS

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

_APP_ZH, _APP_EN = both("app.name")
MANIFEST: Final = {
    "name": f"{_APP_ZH} {_APP_EN}",
    "short_name": _APP_ZH,
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


PAGE_KEYS: Final = (
    "page.title",
    "page.reason",
    "page.labelled",
    "page.valid_until",
    "page.no_expiry",
    "page.compare_id",
    "page.criteria_link",
    "page.credential",
    "page.internal",
    "page.verification",
    "page.checked_at",
    "page.status_as_of",
    "page.another",
    "phone.kept_too_old",
    "phone.keys_as_of",
    "phone.how",
    "phone.offline",
    "phone.in_phone",
    "phone.no_credential",
    "phone.cannot_start",
    "zone.beijing",
    "zone.named",
)
"""The page's own words the script shows (besides field names, verdicts, checks, problems)."""


def phone_words(lang: Lang, time_zone: str) -> dict[str, Any]:
    """What the ``words`` block of the packed-link page holds: the page's language, the
    issuer's time zone, and each key's text in that language (both: ``[中文, English]``)."""
    keys = [*PAGE_KEYS]
    keys += [label.key for label in vars(labels).values() if isinstance(label, labels.Label)]
    keys += [f"verdict.{status.value}" for status in VERDICTS]
    keys += [f"reason.{code}" for code in REASONS]
    keys += [f"problem.{code.value}" for code in CredentialErrorCode]
    keys += [f"check.{code.value}.{outcome}" for code in CheckCode for outcome in CHECK_OUTCOMES]
    languages = ONE_LANGUAGE if lang is Lang.BOTH else (lang,)
    return {
        "lang": lang.value,
        "time_zone": time_zone,
        "words": {key: [text(key, one) for one in languages] for key in keys},
    }


def phone_words_json(lang: Lang, time_zone: str) -> str:
    """``phone_words`` as JSON safe inside a ``<script type="application/json">`` element."""
    words = json.dumps(phone_words(lang, time_zone), ensure_ascii=False, separators=(",", ":"))
    return words.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
