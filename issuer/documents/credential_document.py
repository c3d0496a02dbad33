"""What a holder's documents show, as plain data: picklable, so render workers need no database.

The PDF certificate, the baked badges and the bundle manifest are all rendered from a
``CredentialDocument``; its QR text is exactly what ``CredentialResponse.qr_text`` says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from issuer.credentials.catalog import achievement_name
from issuer.credentials.profile import IssuerProfile
from issuer.store.models import Credential
from verifier.urls import IssuerUrls


@dataclass(frozen=True)
class CredentialDocument:
    """Everything printed on a certificate or a badge for one credential."""

    credential_id: str
    number: str
    issuer_zh: str
    issuer_en: str
    holder_name: str
    employee_number: str
    occupation_code: str
    occupation_zh: str
    occupation_en: str
    level_code: str
    level_zh: str
    level_en: str
    unit_zh: str
    unit_en: str
    achievement_name: str
    exam_date: dt.date
    issued_at: dt.datetime
    valid_until: dt.datetime | None
    state: str
    verify_url: str
    qr_text: str
    jws: str
    seal_png: bytes | None = None  # the issuer's seal, drawn on the certificate if set
    logo_png: bytes | None = None  # the issuer's logo, at the top of the certificate if set
    colour: str | None = None  # "#rrggbb" of the frame and headings; None: the house colour
    photo_jpeg: bytes | None = None  # the holder's photo (decision 0052); never in a badge


def split_bilingual(text: str) -> tuple[str, str]:
    """``"中文 / English"`` -> (``中文``, ``English``); a single-language text goes in both."""
    zh, sep, en = text.partition(" / ")
    return (zh.strip(), en.strip()) if sep else (text.strip(), text.strip())


def credential_document(
    row: Credential,
    *,
    base_url: str,
    issuer_name: str,
    seal_png: bytes | None = None,
    logo_png: bytes | None = None,
    colour: str | None = None,
    photo_jpeg: bytes | None = None,
) -> CredentialDocument:
    issuer_zh, issuer_en = split_bilingual(issuer_name)
    urls = IssuerUrls(base_url)
    return CredentialDocument(
        credential_id=row.id,
        number=row.number,
        issuer_zh=issuer_zh,
        issuer_en=issuer_en,
        holder_name=row.holder_name,
        employee_number=row.holder.employee_number,
        occupation_code=row.occupation.code,
        occupation_zh=row.occupation.name_zh,
        occupation_en=row.occupation.name_en,
        level_code=row.level.code,
        level_zh=row.level.name_zh,
        level_en=row.level.name_en,
        unit_zh=row.unit.name_zh,
        unit_en=row.unit.name_en,
        achievement_name=achievement_name(row.occupation, row.level),
        exam_date=row.exam_date,
        issued_at=row.issued_at,
        valid_until=row.valid_until,
        state=row.state,
        verify_url=urls.verify_page(row.id),
        qr_text=urls.packed_link(row.jws),
        jws=row.jws,
        seal_png=seal_png,
        logo_png=logo_png,
        colour=colour,
        photo_jpeg=photo_jpeg,
    )


def profile_document(
    row: Credential, *, base_url: str, profile: IssuerProfile, photo_jpeg: bytes | None = None
) -> CredentialDocument:
    """``row``'s document dressed by the issuer's profile: names, logo, seal and colour."""
    return credential_document(
        row,
        base_url=base_url,
        issuer_name=profile.name,
        seal_png=profile.seal_png,
        logo_png=profile.logo_png,
        colour=profile.colour,
        photo_jpeg=photo_jpeg,
    )


def document_filename(document: CredentialDocument, suffix: str) -> str:
    """``<certificate number>-<employee number>.<suffix>``: ASCII-safe and unique per import."""
    safe = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in document.employee_number
    )
    return f"{document.number}-{safe}.{suffix}"
