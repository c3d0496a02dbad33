"""Look-up by what a certificate prints: its number and the holder's name.

An employer who holds a paper certificate (or a list of them) asks: does this number belong
to a credential of this issuer, held by this person? Names are compared in the normal form
every name is stored in (``issuer.credentials.text.clean_name``), so a name typed with other
spaces or in a decomposed Unicode form still matches; a number is compared as an identifier
(full-width digits fold). A miss and a name that does not match are the same answer
(``None``), so the look-up cannot be used to learn who holds a number.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from issuer.credentials.text import UnsafeTextError, clean_identifier, clean_name
from issuer.store.models import Credential

MAX_NUMBER_CHARS = 64
MAX_NAME_CHARS = 200


def lookup_credential(
    session: Session, certificate_number: str, holder_name: str
) -> Credential | None:
    """The credential with this certificate number whose holder has this name, else ``None``."""
    if len(certificate_number) > MAX_NUMBER_CHARS or len(holder_name) > MAX_NAME_CHARS:
        return None
    try:
        number = clean_identifier(certificate_number, "the certificate number").upper()
        name = clean_name(holder_name, "the holder's name")
    except UnsafeTextError:
        return None
    if not number or not name:
        return None
    # Only the credential's own columns: a batch looks up thousands, and none needs the
    # holder, occupation, level or unit rows that are otherwise joined in.
    query = select(Credential).options(lazyload("*")).where(Credential.number == number)
    row = session.scalars(query).first()
    if row is None or clean_name(row.holder_name) != name:
        return None
    return row
