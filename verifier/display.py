"""Display fields of a credential whose signature verified (never of an unverified one).

Open Badges fields first (subject ``identifier`` objects for the holder's name and employee
number, ``achievement`` with its description and criteria, ``source`` for the unit), falling
back on generic VC fields.
Language value objects and arrays of them are joined with `` / ``; every text is trimmed to
``MAX_TEXT`` characters.
"""

from __future__ import annotations

from typing import Any, Final

from verifier.credential import types_of
from verifier.result import CredentialDisplay

MAX_TEXT: Final = 500


def display_text(value: object) -> str | None:
    """A plain string from a string, a ``{"@value": ...}`` object, or a list of those."""
    if isinstance(value, str):
        return value[:MAX_TEXT] or None
    if isinstance(value, dict):
        return display_text(value.get("@value"))
    if isinstance(value, list):
        parts = [text for text in (display_text(item) for item in value) if text]
        return " / ".join(parts)[:MAX_TEXT] or None
    return None


def _identity(subject: dict[str, Any], identity_types: tuple[str, ...]) -> str | None:
    identifiers = subject.get("identifier")
    if not isinstance(identifiers, list):
        return None
    for item in identifiers:
        if (
            isinstance(item, dict)
            and item.get("identityType") in identity_types
            and item.get("hashed") is False
        ):
            return display_text(item.get("identityHash"))
    return None


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def extract_display(payload: dict[str, Any], *, key_id: str | None) -> CredentialDisplay:
    """The fields a person is shown, from a verified payload."""
    issuer = payload.get("issuer")
    issuer_object = _object(issuer)
    subject_value = payload.get("credentialSubject")
    subject = _object(
        subject_value[0] if isinstance(subject_value, list) and subject_value else subject_value
    )
    achievement = _object(subject.get("achievement"))
    source = _object(subject.get("source"))
    criteria = _object(achievement.get("criteria"))
    return CredentialDisplay(
        credential_id=display_text(payload.get("id")),
        credential_name=display_text(payload.get("name")),
        credential_types=types_of(payload.get("type"))[:10],
        issuer_id=display_text(issuer_object.get("id") if issuer_object else issuer),
        issuer_name=display_text(issuer_object.get("name")),
        holder_id=display_text(subject.get("id")),
        holder_name=_identity(subject, ("name",)) or display_text(subject.get("name")),
        employee_number=_identity(subject, ("identifier", "employeeId", "studentId")),
        achievement_id=display_text(achievement.get("id")),
        achievement_name=display_text(achievement.get("name")),
        achievement_code=display_text(achievement.get("humanCode")),
        achievement_type=display_text(achievement.get("achievementType")),
        achievement_description=display_text(achievement.get("description")),
        criteria_narrative=display_text(criteria.get("narrative")),
        criteria_url=display_text(criteria.get("id")),
        unit_id=display_text(source.get("id")),
        unit_name=display_text(source.get("name")),
        valid_from=display_text(payload.get("validFrom")),
        valid_until=display_text(payload.get("validUntil")),
        awarded_date=display_text(payload.get("awardedDate")),
        exam_date=display_text(subject.get("activityEndDate")),
        key_id=key_id,
    )
