"""Batch verification: ``POST /api/v1/verify/batch`` and the page ``/verify/batch``.

The API reads ``application/json`` (a list of items), ``text/csv`` or ``text/plain`` (rows of
certificate number and name, or one credential or link a line) and ``multipart/form-data``
(``files``: CSVs, JSON, PDF certificates, badges, QR images, ``.jwt``; ``text``: pasted
lines). It answers the report as JSON, CSV (``?format=csv`` or ``Accept: text/csv``) or PDF
(``?format=pdf`` or ``Accept: application/pdf``). 413 over ``TESSERA_VERIFY_BATCH_MAX_BYTES``,
422 ``too_many_items`` over 5,000 items, 429 over ``TESSERA_VERIFY_BATCH_RATE_LIMIT``; an item
that cannot be read is an ``unreadable`` row, never a failed batch (docs/verifier-api.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final, Literal

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import FormData, UploadFile

from issuer.campaigns.csv_export import render_csv
from issuer.documents.batch_report import render_batch_report_pdf
from issuer.errors import IssuerErrorCode
from issuer.web.batch_verifier import BatchVerifier
from verifier.batch import REPORT_COLUMNS, BatchReport, report_table
from verifier.batch_items import (
    MAX_ITEMS,
    BatchItem,
    BatchRequestError,
    check_count,
    file_item,
    items_from_csv,
    items_from_json,
)
from verifier.errors import ParseError
from verifier.holder_files import MAX_FILE_BYTES
from verifier.strict_json import loads_strict
from verifier.web.api import request_lang
from verifier.web.batch_page import PAGE_PATH, render_batch_page
from verifier.web.problem_response import problem_response

API_PATH: Final = "/api/v1/verify/batch"
BATCH_PAGE_PATH: Final = PAGE_PATH
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
PDF_MEDIA_TYPE: Final = "application/pdf"
_TEXT_TYPES: Final = frozenset({"text/csv", "text/plain"})
_CODES: Final = {
    "too_many_items": IssuerErrorCode.TOO_MANY_ITEMS,
    "no_items": IssuerErrorCode.NO_ITEMS,
    "malformed_file": IssuerErrorCode.MALFORMED_FILE,
    "invalid_request": IssuerErrorCode.INVALID_REQUEST,
}
Format = Literal["json", "csv", "pdf"]

router = APIRouter(tags=["verify"])


def _batch(request: Request) -> BatchVerifier:
    batch: BatchVerifier = request.app.state.batch_verifier
    return batch


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _format(requested: str | None, accept: str) -> Format:
    if requested in ("json", "csv", "pdf"):
        return requested  # type: ignore[return-value]
    if "text/csv" in accept:
        return "csv"
    if PDF_MEDIA_TYPE in accept:
        return "pdf"
    return "json"


def _request_problem(exc: BatchRequestError) -> JSONResponse:
    code = _CODES.get(exc.code, IssuerErrorCode.INVALID_REQUEST)
    return problem_response(422, "Unprocessable Content", str(exc), code)


def _rate_limited(request: Request) -> Response | None:
    client = request.client.host if request.client else "unknown"
    wait = _batch(request).retry_after(client)
    if wait <= 0:
        return None
    seconds = max(1, math.ceil(wait))
    return problem_response(
        429,
        "Too many requests",
        f"batches are rate-limited: retry in {seconds} s",
        IssuerErrorCode.RATE_LIMITED,
        headers={"Retry-After": str(seconds)},
    )


def _items_of_upload(name: str | None, media_type: str, data: bytes) -> list[BatchItem]:
    lowered = (name or "").lower()
    if lowered.endswith((".csv", ".txt")) or media_type in _TEXT_TYPES:
        return items_from_csv(data)
    if lowered.endswith(".json") or media_type == "application/json":
        return _items_of_json(data)
    return [file_item(name, data)]


def _items_of_json(data: bytes) -> list[BatchItem]:
    try:
        document: Any = loads_strict(data)
    except ParseError:
        raise BatchRequestError("the JSON is not strict JSON", "invalid_request") from None
    return items_from_json(document)


async def _read_form(form: FormData) -> Callable[[], Sequence[BatchItem]]:
    """Read the uploads' bytes on the event loop; decoding them waits for the worker thread."""
    uploads: list[tuple[str | None, str, bytes]] = []
    text = ""
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read(MAX_FILE_BYTES + 1)
            if data:
                uploads.append((value.filename, _media_type(value.content_type), data))
        elif key == "text":
            text = value

    def read() -> Sequence[BatchItem]:
        items: list[BatchItem] = []
        for name, media_type, data in uploads:
            items.extend(_items_of_upload(name, media_type, data))
            if len(items) > MAX_ITEMS:
                break
        if text.strip():
            items.extend(items_from_csv(text))
        return check_count(items)

    return read


async def _read_request(request: Request) -> Callable[[], Sequence[BatchItem]] | Response:
    media_type = _media_type(request.headers.get("content-type"))
    if media_type == "multipart/form-data":
        limit = _batch(request).max_bytes
        form = await request.form(
            max_files=MAX_ITEMS, max_fields=MAX_ITEMS + 16, max_part_size=limit
        )
        try:
            return await _read_form(form)
        finally:
            await form.close()
    if media_type == "application/json" or media_type in _TEXT_TYPES:
        body = await request.body()
        if media_type == "application/json":
            return lambda: check_count(_items_of_json(body))
        return lambda: check_count(items_from_csv(body))
    return problem_response(
        415,
        "Unsupported Media Type",
        "send application/json, text/csv, text/plain or multipart/form-data",
        IssuerErrorCode.UNSUPPORTED_MEDIA_TYPE,
    )


async def _render(request: Request, report: BatchReport, answer: Format) -> bytes:
    if answer == "csv":
        return render_csv(REPORT_COLUMNS, report_table(report))
    if answer == "pdf":
        issuer = request.app.state.services.settings.issuer_name
        pdf: bytes = await anyio.to_thread.run_sync(
            lambda: render_batch_report_pdf(report, issuer=issuer)
        )
        return pdf
    return report.model_dump_json().encode()


def _file_response(answer: Format, body: bytes) -> Response:
    if answer == "json":
        return Response(body, media_type="application/json")
    media_type = CSV_MEDIA_TYPE if answer == "csv" else PDF_MEDIA_TYPE
    disposition = f'attachment; filename="verification-report.{answer}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


async def _report_response(request: Request, report: BatchReport, answer: Format) -> Response:
    return _file_response(answer, await _render(request, report, answer))


@router.post(
    API_PATH,
    response_model=BatchReport,
    summary="Verify up to 5,000 credentials, links, certificate numbers or files at once",
    responses={
        200: {"content": {"text/csv": {}, PDF_MEDIA_TYPE: {}}},
        413: {"description": "Body too large (problem+json)"},
        415: {"description": "Unsupported media type (problem+json)"},
        422: {"description": "Not a batch, no items, or too many (problem+json)"},
        429: {"description": "Too many batches from this client (problem+json)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {}}},
                "text/csv": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                            "text": {"type": "string"},
                        },
                    }
                },
            },
        }
    },
)
async def verify_batch_api(
    request: Request, format: Annotated[Format | None, Query()] = None
) -> Response:
    """One report for many items; ``format`` (or ``Accept``) chooses JSON, CSV or PDF."""
    answer = _format(format, request.headers.get("accept", ""))
    limited = _rate_limited(request)
    if limited is not None:
        return limited
    read = await _read_request(request)
    if isinstance(read, Response):
        return read
    try:
        report = await _batch(request).run(read)
    except BatchRequestError as exc:
        return _request_problem(exc)
    return await _report_response(request, report, answer)


@router.get(PAGE_PATH, response_class=HTMLResponse, summary="The batch verify page (a form)")
async def batch_page(request: Request) -> HTMLResponse:
    return HTMLResponse(
        render_batch_page(None, lang=request_lang(request)), headers={"Vary": "Accept-Language"}
    )


@router.post(
    PAGE_PATH,
    response_class=HTMLResponse,
    summary="Verify many credentials from the page's form",
    responses={
        200: {"content": {"text/csv": {}, PDF_MEDIA_TYPE: {}}},
        422: {"description": "No items, or too many: the form again", "content": {"text/html": {}}},
    },
)
async def batch_page_post(request: Request) -> Response:
    if _media_type(request.headers.get("content-type")) != "multipart/form-data":
        return problem_response(
            415,
            "Unsupported Media Type",
            "send multipart/form-data",
            IssuerErrorCode.UNSUPPORTED_MEDIA_TYPE,
        )
    limited = _rate_limited(request)
    if limited is not None:
        return limited
    limit = _batch(request).max_bytes
    form = await request.form(max_files=MAX_ITEMS, max_fields=MAX_ITEMS + 16, max_part_size=limit)
    try:
        answer = form.get("format")
        read = await _read_form(form)
    finally:
        await form.close()
    try:
        report = await _batch(request).run(read)
    except BatchRequestError as exc:
        return HTMLResponse(
            render_batch_page(None, error=exc, lang=request_lang(request)), status_code=422
        )
    if answer in ("csv", "pdf"):
        return await _report_response(request, report, answer)  # type: ignore[arg-type]
    token = _batch(request).reports.put(report)
    downloads = (f"{PAGE_PATH}/{token}/report.csv", f"{PAGE_PATH}/{token}/report.pdf")
    return HTMLResponse(
        render_batch_page(report, downloads=downloads, lang=request_lang(request)),
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    PAGE_PATH + "/{token}/report.{suffix}",
    response_class=Response,
    summary="A report the page made, as CSV or PDF, for 30 minutes",
    responses={200: {"content": {"text/csv": {}, PDF_MEDIA_TYPE: {}}}},
)
async def batch_report_file(request: Request, token: str, suffix: str) -> Response:
    reports = _batch(request).reports
    report = reports.get(token) if len(token) <= 64 else None
    if report is None or suffix not in ("csv", "pdf"):
        return problem_response(
            404,
            "Not Found",
            "no such report: reports are kept for 30 minutes; verify the batch again",
            IssuerErrorCode.REPORT_EXPIRED,
        )
    answer: Format = "csv" if suffix == "csv" else "pdf"
    body = reports.rendered(token, answer)
    if body is None:
        body = await _render(request, report, answer)
        reports.keep_rendered(token, answer, body)
    return _file_response(answer, body)
