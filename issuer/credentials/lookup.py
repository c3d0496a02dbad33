"""Look-up by certificate number and holder name: how employers in China check a certificate.

Both must match: the number printed on the certificate (``TS…``, decision 0005) and the
holder's name, compared after normalisation (``holder_name_key``). A number that names no
credential and a name that does not match give the same answer, ``None``, after the same
work: one query by number, one constant-time comparison of names (against a stand-in when
no row came back). Callers keep the sameness going: the verify API and page verify a token
on every path, the found one or a stand-in (issuer/web/lookup.py; decision 0027).
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.text import refused_character
from issuer.store.models import Credential

MAX_NUMBER_LENGTH: Final = 64
MAX_NAME_LENGTH: Final = 200
_SPACES: Final = re.compile(r"\s+")
# The middle dots that separate the parts of a name (阿依古丽·买买提): people type any of
# them, and an input method's choice is not a different name.
_MIDDLE_DOTS: Final = str.maketrans(dict.fromkeys("・•‧∙⋅●.．", "·"))
_STAND_IN_NAME: Final = "\x00 no holder \x00"  # no key of a typed name can equal it


def certificate_number_key(text: str) -> str:
    """The printed number as stored: NFKC (full-width letters and digits folded), no spaces
    or hyphens, upper case; ``""`` for text no number can be (too long, invisible characters)."""
    if len(text) > MAX_NUMBER_LENGTH * 4:
        return ""
    text = unicodedata.normalize("NFKC", text)
    if refused_character(text):
        return ""
    key = _SPACES.sub("", text).replace("-", "").upper()
    return key if len(key) <= MAX_NUMBER_LENGTH else ""


def holder_name_key(text: str) -> str:
    """A name as compared: NFKC, case-folded, without spaces, every middle dot one ``·``;
    ``""`` for text no name can be (too long, invisible characters)."""
    if len(text) > MAX_NAME_LENGTH * 4:
        return ""
    text = unicodedata.normalize("NFKC", text)
    if refused_character(text):
        return ""
    key = _SPACES.sub("", text).translate(_MIDDLE_DOTS).casefold()
    return key if len(key) <= MAX_NAME_LENGTH else ""


@dataclass(frozen=True)
class CertificateMatch:
    """A credential whose number and holder name both matched."""

    credential_id: str
    number: str
    token: str


def match_certificate(
    session: Session, certificate_number: str, holder_name: str
) -> CertificateMatch | None:
    """The credential with this number and holder name, else ``None``: the same query and
    the same comparison whether the number is unknown or the name does not match."""
    number = certificate_number_key(certificate_number)
    typed = holder_name_key(holder_name)
    row = session.execute(
        select(Credential.id, Credential.holder_name, Credential.jws).where(
            Credential.number == number
        )
    ).first()
    stored = holder_name_key(row.holder_name) if row is not None else _STAND_IN_NAME
    same = hmac.compare_digest(stored.encode(), typed.encode())
    if row is None or not same or not typed:
        return None
    return CertificateMatch(credential_id=row.id, number=number, token=row.jws)


def lookup_credential(
    session: Session, certificate_number: str, holder_name: str
) -> Credential | None:
    """The credential printed with ``certificate_number`` for ``holder_name``, else ``None``
    (no such number and a name that does not match are the same answer)."""
    match = match_certificate(session, certificate_number, holder_name)
    return session.get(Credential, match.credential_id) if match is not None else None
