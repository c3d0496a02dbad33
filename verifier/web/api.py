"""HTTP: ``POST /api/v1/verify`` and the verify page (``GET``/``POST /verify``).

The routes are thin: read a bounded body, pick the submitted text out of it, call
``Verifier.verify_submission``, map the result. Limits and media types are in
docs/verifier-api.md. Anything the verifier can evaluate answers 200 with a result (garbage
included); 4xx only when the request itself cannot be read: 413 over ``MAX_BODY_BYTES``
(counted while reading, not trusted from ``Content-Length``), 415 for other media types,
400/422 for a JSON body that is not ``{"credential": "<string>"}`` nor a look-up
``{"certificate_number": "<TS…>", "holder_name": "<name>"}`` (look-ups: only with a
``CertificateLookup``, which also sets their stricter rate limit: 429). Never 5xx.

The page's ``POST /verify`` also takes one file as ``multipart/form-data`` (a photo of the QR
code, the PDF certificate, a badge: ``verifier.web.upload``, read by
``verifier.holder_files``, up to ``MAX_UPLOAD_BYTES``); what holds nothing to verify gets the
landing again (``verifier.web.landing``) with the reason in words, 422 (413 over the bound).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from importlib import resources
from typing import Any, Final, TypeVar
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute

from verifier.holder_files import (
    MAX_FILE_BYTES,
    HolderFileCode,
    HolderFileError,
    read_handed_over,
)
from verifier.i18n import Lang, choose_lang
from verifier.local_time import DEFAULT_TIME_ZONE, UnknownTimeZoneError
from verifier.local_time import time_zone as zone_named
from verifier.qr_packing import DICTIONARIES
from verifier.result import VerificationResult
from verifier.sources.keys import DEFAULT_KEYS_MAX_AGE
from verifier.verification import Verifier
from verifier.web.landing import (
    CAMERA_POLICY,
    IssuerCard,
    LandingError,
    file_error,
    render_landing_page,
)
from verifier.web.landing_files import create_landing_files_router
from verifier.web.page import render_packed_page, render_verify_page
from verifier.web.phone import create_phone_router
from verifier.web.problem_response import problem_response
from verifier.web.requests import (
    LOOKUP_FIELDS,
    CertificateLookup,
    LookupRequest,
    RequestError,
    lookup_fields,
    parse_json_request,
    request_schema,
)
from verifier.web.upload import MAX_UPLOAD_BYTES, UploadError, file_in_form

MAX_BODY_BYTES: Final = 96 * 1024
"""Largest request body read: a 64 KiB token wrapped in JSON or a form, with room to spare."""
MAX_VERIFY_THREADS: Final = 16
"""Verifications running in worker threads at once; more wait, without holding a thread."""
VERIFY_PAGE_PATH: Final = "/verify"
TOKEN_MEDIA_TYPES: Final = frozenset({"application/vc+jwt", "text/plain"})
_T = TypeVar("_T")
LANG_PARAMETER: Final = {
    "name": "lang",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["zh", "en", "both"]},
    "description": "The page's language; without it, Accept-Language, else both",
}
_VERIFY_SCRIPT: Final = resources.files("verifier.web").joinpath("static/verify.js").read_bytes()
_VERIFY_STYLESHEET: Final = (
    resources.files("verifier.web").joinpath("static/verify.css").read_bytes()
)


class _BodyTooLargeError(Exception):
    """Internal: the body passed ``MAX_BODY_BYTES`` while it was being read."""


class RequestRoute(APIRoute):
    """A route whose endpoint takes the ``Request`` and returns the ``Response`` itself.

    Documented in the OpenAPI like any route (``response_model``, ``responses``,
    ``openapi_extra``), but served without FastAPI's per-request dependency solving, body
    handling and response validation, none of which such an endpoint uses: on the busiest
    public route that machinery cost more than the route's own reading of the request
    (docs/performance.md, decision 0063). Exceptions still reach the app's handlers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLargeError
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise _BodyTooLargeError
    return bytes(body)


def _too_large() -> JSONResponse:
    return problem_response(
        413, "Content Too Large", f"the body exceeds {MAX_BODY_BYTES} bytes", "body_too_large"
    )


def _unsupported(allowed: str) -> JSONResponse:
    return problem_response(
        415, "Unsupported Media Type", f"send {allowed}", "unsupported_media_type"
    )


def _refused(error: RequestError) -> JSONResponse:
    title = "Bad Request" if error.status == 400 else "Unprocessable Content"
    return problem_response(error.status, title, error.detail, error.code)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


PAGE_PATH: Final = "/verify"


def request_lang(request: Request) -> Lang:
    """The language a page is asked for: ``?lang=``, else ``Accept-Language`` (decision 0047)."""
    return choose_lang(request.query_params.get("lang"), request.headers.get("accept-language"))


def _dictionary_endpoint(dictionary: bytes) -> Callable[[], Awaitable[Response]]:
    """A QR packing dictionary: frozen once published, so cacheable for good."""

    async def qr_packing_dictionary() -> Response:
        return Response(
            dictionary,
            media_type="application/octet-stream",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    return qr_packing_dictionary


def create_verify_router(
    verifier: Verifier,
    *,
    run_in_thread: bool | Callable[[str], bool] = True,
    include_page: bool = True,
    on_result: Callable[[VerificationResult], None] | None = None,
    max_threads: int = MAX_VERIFY_THREADS,
    lookup: CertificateLookup | None = None,
    describe: Callable[[VerificationResult], VerificationResult] | None = None,
    page_issuers: Iterable[str] | None = None,
    offline_max_age: dt.timedelta = DEFAULT_KEYS_MAX_AGE,
    issuer_card: Callable[[], IssuerCard | None] | None = None,
    time_zone: Callable[[], str] | None = None,
) -> APIRouter:
    """The verify API (and page) for ``verifier``; ``on_result`` hears of every result.

    The packed-link page verifies in the browser (``verifier.web.phone``), trusting
    ``page_issuers`` (default: the verifier's trusted issuers) and keys and status lists it
    kept for at most ``offline_max_age``.

    ``run_in_thread=True`` runs verification in worker threads, as HTTP key and status
    sources block; an app whose sources are all in memory passes ``False`` and verifies on
    the event loop (cheaper per request); a function of the submitted text decides per
    request (``True``: a thread). At most ``max_threads`` verifications run in threads at
    once, in a pool of their own, so slow issuers cannot take the threads other routes use.
    ``lookup`` answers look-ups by certificate number (in a worker thread: it reads a
    database); without it they are refused (422 ``lookup_not_offered``). ``describe`` adds
    what the verifier's register knows to each result (the issuer: certificate numbers), in
    the same thread as the verification. ``issuer_card`` names the issuer at the top of the
    verify page (``verifier.web.landing``); it is called for each page, in a worker thread (the
    issuer's reads its profile from the database), so a changed name shows at once.
    the same thread as the verification. ``time_zone`` names the zone the page shows times in
    (an IANA name, asked for each page in a worker thread, since the issuer's profile may
    change it; default and fallback ``Asia/Shanghai``, decision 0049).
    """
    router = APIRouter()
    limiter: list[anyio.CapacityLimiter] = []  # made on first use, inside the event loop

    def needs_thread(text: str) -> bool:
        return run_in_thread(text) if callable(run_in_thread) else run_in_thread

    def verify(text: str) -> VerificationResult:
        result = verifier.verify_submission(text)
        return describe(result) if describe is not None else result

    async def page_zone() -> ZoneInfo:
        if time_zone is None:
            return ZoneInfo(DEFAULT_TIME_ZONE)
        try:
            return zone_named(await anyio.to_thread.run_sync(time_zone))
        except UnknownTimeZoneError:
            return ZoneInfo(DEFAULT_TIME_ZONE)

    async def evaluate(text: str) -> VerificationResult:
        if needs_thread(text):
            if not limiter:
                limiter.append(anyio.CapacityLimiter(max_threads))
            result = await anyio.to_thread.run_sync(verify, text, limiter=limiter[0])
        else:
            result = verify(text)
        if on_result is not None:
            on_result(result)
        return result

    async def look_up(request: Request, asked: LookupRequest) -> VerificationResult | Response:
        if lookup is None:
            return problem_response(
                422,
                "Unprocessable Content",
                "this verifier cannot look certificates up by number: send the credential",
                "lookup_not_offered",
            )
        wait = lookup.retry_after(_client(request))
        if wait > 0:
            seconds = str(max(1, math.ceil(wait)))
            return problem_response(
                429,
                "Too many requests",
                f"too many look-ups: retry in {seconds} s",
                "rate_limited",
                headers={"Retry-After": seconds},
            )
        if not limiter:
            limiter.append(anyio.CapacityLimiter(max_threads))
        result = await anyio.to_thread.run_sync(
            lookup.lookup, asked.certificate_number, asked.holder_name, limiter=limiter[0]
        )
        if on_result is not None:
            on_result(result)
        return result

    async def verify_credential(request: Request) -> Response:
        media_type = _media_type(request)
        if media_type != "application/json" and media_type not in TOKEN_MEDIA_TYPES:
            return _unsupported("application/json, application/vc+jwt or text/plain")
        try:
            body = await _read_body(request)
        except _BodyTooLargeError:
            return _too_large()
        if media_type == "application/json":
            picked = parse_json_request(body)
            if isinstance(picked, RequestError):
                return _refused(picked)
            if isinstance(picked, LookupRequest):
                answer = await look_up(request, picked)
                if isinstance(answer, Response):
                    return answer
                return Response(answer.model_dump_json(), media_type="application/json")
            text = picked
        else:
            text = body.decode("utf-8", errors="replace")
        result = await evaluate(text)
        return Response(result.model_dump_json(), media_type="application/json")

    router.add_api_route(
        "/api/v1/verify",
        verify_credential,
        methods=["POST"],
        route_class_override=RequestRoute,
        response_model=VerificationResult,
        summary="Verify a credential (compact JWS or verify URL)",
        responses={
            413: {"description": "Body too large (problem+json)"},
            415: {"description": "Unsupported media type (problem+json)"},
            422: {"description": "JSON body is neither request, or look-ups not offered"},
            429: {"description": "Too many requests or look-ups (Retry-After; problem+json)"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": request_schema()},
                    "application/vc+jwt": {"schema": {"type": "string"}},
                    "text/plain": {"schema": {"type": "string"}},
                },
            }
        },
    )

    for version, dictionary in DICTIONARIES.items():
        router.add_api_route(
            f"/qr-packing/v{version}.dict",
            _dictionary_endpoint(dictionary),
            methods=["GET"],
            response_class=Response,
            summary=f"The preset DEFLATE dictionary of QR packing version {version}",
            responses={200: {"content": {"application/octet-stream": {}}}},
            operation_id=f"qr_packing_dictionary_v{version}",
        )

    if not include_page:
        return router

    # Before the in-page verifier's routes: its /verify/{name}.mjs would take landing.mjs.
    router.include_router(create_landing_files_router())
    router.include_router(
        create_phone_router(
            verifier.trusted_issuers if page_issuers is None else page_issuers,
            clock_skew=verifier.clock_skew,
            max_age=offline_max_age,
        )
    )

    @router.get("/c", response_class=HTMLResponse, summary="The page a packed QR link opens")
    async def packed_page(request: Request) -> HTMLResponse:
        # The credential is in the fragment: this request carries nothing about it.
        return HTMLResponse(
            render_packed_page(request_lang(request), (await page_zone()).key),
            headers={"Cache-Control": "public, max-age=3600", "Vary": "Accept-Language"},
        )

    @router.get("/verify/verify.js", include_in_schema=False)
    async def verify_script() -> Response:
        return Response(
            _VERIFY_SCRIPT,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @router.get("/verify/verify.css", include_in_schema=False)
    async def verify_stylesheet() -> Response:
        return Response(
            _VERIFY_STYLESHEET,
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    async def in_thread(work: Callable[[], _T]) -> _T:
        if not limiter:
            limiter.append(anyio.CapacityLimiter(max_threads))
        return await anyio.to_thread.run_sync(work, limiter=limiter[0])

    async def landing(
        request: Request,
        *,
        status_code: int = 200,
        error: LandingError | None = None,
        looked_up: tuple[str, str] | None = None,
    ) -> HTMLResponse:
        asked = request.query_params.get("lang")
        lang = request_lang(request)
        card = await in_thread(issuer_card) if issuer_card is not None else None
        page = render_landing_page(
            lang,
            issuer=card,
            lookup=lookup is not None,
            error=error,
            looked_up=looked_up,
            chosen=(asked or "").strip().lower() == lang.value,
        )
        headers = {"Permissions-Policy": CAMERA_POLICY, "Vary": "Accept-Language"}
        if status_code == 413:
            headers["Connection"] = "close"  # the rest of the body is not read
        return HTMLResponse(page, status_code=status_code, headers=headers)

    @router.get(
        "/verify",
        response_class=HTMLResponse,
        summary="The verify page: scan, upload, paste or look up",
        openapi_extra={"parameters": [LANG_PARAMETER]},
    )
    async def verify_form(request: Request) -> HTMLResponse:
        return await landing(request)

    @router.post(
        "/verify",
        response_class=HTMLResponse,
        summary="Verify a pasted credential, an uploaded file, or a certificate number",
        responses={
            400: {"description": "Too many form fields, or a malformed form (problem+json)"},
            413: {
                "description": "Body too large: the page again, with the limit in words",
                "content": {"text/html": {}},
            },
            415: {"description": "Not a form (problem+json)"},
            422: {
                "description": "No credential given, or a file with none in it: the page "
                "again, saying why",
                "content": {"text/html": {}},
            },
        },
        openapi_extra={
            "parameters": [LANG_PARAMETER],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "oneOf": [
                                {
                                    "type": "object",
                                    "required": ["credential"],
                                    "properties": {"credential": {"type": "string"}},
                                },
                                {
                                    "type": "object",
                                    "required": list(LOOKUP_FIELDS),
                                    "properties": {
                                        name: {"type": "string"} for name in LOOKUP_FIELDS
                                    },
                                },
                            ]
                        }
                    },
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {
                                    "type": "string",
                                    "format": "binary",
                                    "description": "A photo or screenshot of the QR code "
                                    "(PNG, JPEG), the PDF certificate, a baked badge (PNG, "
                                    f"SVG) or a .jwt file; at most {MAX_FILE_BYTES} bytes",
                                }
                            },
                        }
                    },
                },
            },
        },
    )
    async def verify_form_post(request: Request) -> Response:
        media_type = _media_type(request)
        if media_type == "multipart/form-data":
            return await verify_upload(request)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return _too_large()  # too large for any form, whatever its type
        if media_type != "application/x-www-form-urlencoded":
            return _unsupported("application/x-www-form-urlencoded or multipart/form-data")
        try:
            body = await _read_body(request)
        except _BodyTooLargeError:
            return _too_large()
        try:
            fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
        except ValueError:
            return problem_response(400, "Bad Request", "too many form fields", "invalid_form_body")
        with_lookup = lookup is not None
        if any(name in fields for name in LOOKUP_FIELDS):
            return await form_lookup(request, {k: v[0] for k, v in fields.items()})
        lang = request_lang(request)
        submitted = (fields.get("credential") or [""])[0].strip()
        if not submitted:
            return await landing(
                request, status_code=422, error=LandingError("verify.landing.error.nothing")
            )
        result = await evaluate(submitted)
        return HTMLResponse(
            render_verify_page(
                result,
                show_form=True,
                submitted=submitted,
                lookup_form=with_lookup,
                lang=lang,
                time_zone=await page_zone(),
            )
        )

    async def verify_upload(request: Request) -> Response:
        try:
            body = await _read_body(request, MAX_UPLOAD_BYTES)
        except _BodyTooLargeError:
            return await landing(
                request, status_code=413, error=file_error(HolderFileCode.TOO_LARGE)
            )
        try:
            data = await file_in_form(body, request.headers.get("content-type", ""))
        except UploadError as exc:
            return problem_response(400, "Bad Request", str(exc), "invalid_form_body")
        if data is None:
            return await landing(
                request, status_code=422, error=LandingError("verify.landing.error.nothing")
            )
        try:
            handed = await in_thread(lambda: read_handed_over(data))
        except HolderFileError as exc:
            return await landing(request, status_code=422, error=file_error(exc.code))
        if handed.kind == "text":  # readable text, but neither a credential nor a link
            return await landing(
                request, status_code=422, error=file_error(HolderFileCode.NOT_A_CREDENTIAL)
            )
        result = await evaluate(handed.text)
        return HTMLResponse(
            render_verify_page(
                result,
                show_form=True,
                lookup_form=lookup is not None,
                lang=request_lang(request),
                time_zone=await page_zone(),
            )
        )

    async def form_lookup(request: Request, fields: dict[str, str]) -> Response:
        lang = request_lang(request)
        typed = (fields.get("certificate_number", ""), fields.get("holder_name", ""))
        asked = lookup_fields(fields)
        if isinstance(asked, RequestError):
            return await landing(
                request,
                status_code=422,
                error=LandingError("verify.landing.error.lookup"),
                looked_up=typed,
            )
        answer = await look_up(request, asked)
        if isinstance(answer, Response):
            return answer
        return HTMLResponse(
            render_verify_page(
                answer,
                show_form=True,
                lookup_form=True,
                looked_up=None if answer.verified else typed,
                lang=lang,
                time_zone=await page_zone(),
            )
        )

    return router
