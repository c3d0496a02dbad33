"""The reissue form: the credential's fields as they are, and what the registrar changed.

The form shows every field the API's reissue takes, filled in with the credential's values;
a field left as it was is not a correction. What changed is checked by the API's own model
(``ReissueRequest``), so the console accepts exactly what the API accepts. The validity's end
is typed in the issuer's time zone (``datetime-local``) and stored in UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.datastructures import FormData

from issuer.store.models import Credential
from issuer.vocabulary import ReasonCode
from issuer.web.console.words import Words
from issuer.web.schemas.credentials import ReissueRequest
from verifier import labels
from verifier.i18n import both

CHANGEABLE: dict[str, labels.Label] = {
    "holder_name": labels.HOLDER_NAME,
    "occupation": labels.OCCUPATION_CODE,
    "level": labels.LEVEL,
    "unit": labels.UNIT,
    "exam_date": labels.EXAM_DATE,
    "exam_session": labels.EXAM_SESSION,
    "score": labels.SCORE,
    "valid_until": labels.VALID_UNTIL,
    "holder_email": labels.HOLDER_EMAIL,
}
"""The fields a reissue may change, in the form's order, named as everywhere else."""


def current_values(row: Credential, time_zone: str) -> dict[str, str]:
    """The form's starting values: the credential as it is (no e-mail: it is never shown)."""
    until = row.valid_until
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    return {
        "holder_name": row.holder_name,
        "occupation": row.occupation.code,
        "level": row.level.code,
        "unit": row.unit.code,
        "exam_date": row.exam_date.isoformat(),
        "exam_session": row.exam_session,
        "score": "" if row.score is None else f"{row.score:g}",
        "valid_until": (
            f"{until.astimezone(ZoneInfo(time_zone)):%Y-%m-%dT%H:%M}" if until is not None else ""
        ),
        "holder_email": "",
    }


@dataclass(frozen=True)
class Change:
    label: labels.Label
    old: str
    new: str


@dataclass(frozen=True)
class ReissueForm:
    """A submitted reissue form: what was typed, and either the request or the problems."""

    typed: dict[str, str]
    request: ReissueRequest | None
    changes: list[Change]
    errors: dict[str, Words]


def _typed(form: FormData) -> dict[str, str]:
    names = [*CHANGEABLE, "reason", "note"]
    return {
        name: value.strip() if isinstance(value := form.get(name), str) else "" for name in names
    }


def _local(value: str, time_zone: str) -> dt.datetime | str:
    """A ``datetime-local`` value in the issuer's zone, in UTC; left as typed if unreadable
    (the model then names the field)."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(time_zone))
    return moment.astimezone(dt.UTC)


_MESSAGES = {
    "reason": Words(*both("console.credential.choose_reason")),
    "holder_name": Words(*both("console.reissue.error.holder_name")),
    "score": Words(*both("console.reissue.error.score")),
    "exam_date": Words(*both("console.reissue.error.exam_date")),
    "valid_until": Words(*both("console.reissue.error.valid_until")),
    "holder_email": Words(*both("console.reissue.error.holder_email")),
    "note": Words(*both("console.note.too_long")),
}
_INVALID = Words(*both("console.reissue.error.invalid"))


def read_reissue_form(form: FormData, row: Credential, time_zone: str) -> ReissueForm:
    """The corrections in ``form``: only the fields whose value differs from the credential's."""
    typed = _typed(form)
    before = current_values(row, time_zone)
    body: dict[str, Any] = {"reason": typed["reason"], "note": typed["note"] or None}
    changes: list[Change] = []
    for name, label in CHANGEABLE.items():
        value = typed[name]
        if not value or value == before[name]:
            continue  # left as it was (an emptied field is not a correction either)
        body[name] = _local(value, time_zone) if name == "valid_until" else value
        old = "—" if name == "holder_email" else before[name] or "—"
        changes.append(Change(label, old, value))
    errors: dict[str, Words] = {}
    request = None
    try:
        request = ReissueRequest.model_validate(body)
    except ValidationError as error:
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "reason"
            errors.setdefault(field, _MESSAGES.get(field, _INVALID))
    if request is not None and request.reason == ReasonCode.DATA_CORRECTION and not changes:
        errors["reason"] = Words(*both("console.reissue.error.no_change"))
        request = None
    return ReissueForm(typed, request, changes, errors)
