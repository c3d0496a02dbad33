"""Reading a console form: text fields as plain strings, uploads as bounded bytes.

A field sent twice, as a file where text is expected, or far longer than any value the
services accept is read as what the services will then refuse in words, never as a 500.
"""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile

MAX_FIELD = 20_000  # the longest text a service accepts (an occupation's description)


def text(form: FormData, name: str) -> str:
    """The field's text (empty when absent or a file), cut at ``MAX_FIELD`` characters."""
    value = form.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def checked(form: FormData, name: str) -> list[str]:
    """The values of a group of checkboxes called ``name``."""
    return [value[:200] for value in form.getlist(name) if isinstance(value, str)]


def upload(form: FormData, name: str, limit: int) -> bytes | None:
    """The uploaded file's bytes, at most ``limit`` + 1 (so "too large" can be told); ``None``
    when no file was chosen."""
    value = form.get(name)
    if not isinstance(value, UploadFile) or (not value.filename and not value.size):
        return None
    value.file.seek(0)
    return value.file.read(limit + 1)
