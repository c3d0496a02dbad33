"""The one file a person posts to the verify page, taken out of its ``multipart/form-data`` body.

The page's file form sends a single field, ``file``: a photo or screenshot of the QR code, the
PDF certificate, a baked badge or a ``.jwt`` file. The route reads the body itself, counting
bytes as they stream in, up to ``MAX_UPLOAD_BYTES`` (the holder-file limit plus room for the
multipart framing), so the standalone verifier, which has no body-size middleware, is bounded
too. The bytes read are then parsed by Starlette's multipart parser with at most one file and
a few fields; nothing is written to disk beyond the parser's own spooling, and nothing is kept
once the request is answered.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

from verifier.holder_files import MAX_FILE_BYTES

MAX_UPLOAD_BYTES: Final = MAX_FILE_BYTES + 64 * 1024
"""Largest verify-page upload read: one holder file and its multipart framing."""
FILE_FIELD: Final = "file"
MAX_FORM_FIELDS: Final = 8


class UploadError(ValueError):
    """The body is not a multipart form this page sends (malformed, or too many parts): the
    route answers 400 ``invalid_form_body``."""


async def file_in_form(body: bytes, content_type: str) -> bytes | None:
    """The bytes of the form's ``file`` field, ``None`` when no file was chosen."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-type", content_type.encode("latin-1", errors="replace"))],
    }
    try:
        form = await Request(scope, receive).form(
            max_files=1, max_fields=MAX_FORM_FIELDS, max_part_size=64 * 1024
        )
    except (MultiPartException, ValueError, KeyError) as exc:
        raise UploadError("the form cannot be read") from exc
    try:
        upload = form.get(FILE_FIELD)
        if not isinstance(upload, UploadFile):
            return None
        data = await upload.read()
        if not data and not upload.filename:
            return None  # the form was sent with no file chosen
        return data
    finally:
        await form.close()
