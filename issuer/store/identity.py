"""The issuer's identity: its public base URL, stored once in the database.

Every process that signs reads it from here (``issuer/services.py``), so a server and the
``tessera`` command run beside it sign with the same issuer id. ``TESSERA_BASE_URL``, when
set, must agree with it (docs/decisions/0017-issuer-identity.md).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import ConfigurationError
from issuer.store.models import StoredIdentity

IDENTITY_ROW = 1
NO_IDENTITY = (
    "this database stores no issuer identity (public base URL): run `tessera init` "
    "(or `tessera db upgrade`)"
)


def stored_base_url(session: Session) -> str | None:
    """The stored public base URL, or ``None`` before ``tessera init`` / ``db upgrade``."""
    return session.scalar(select(StoredIdentity.base_url).where(StoredIdentity.id == IDENTITY_ROW))


def store_base_url(session: Session, base_url: str, *, now: dt.datetime) -> bool:
    """Store ``base_url`` as the identity unless one is stored; True if it was stored now."""
    if stored_base_url(session) is not None:
        return False
    session.add(StoredIdentity(id=IDENTITY_ROW, base_url=base_url, created_at=now, updated_at=now))
    session.flush()
    return True


def change_base_url(session: Session, base_url: str, *, now: dt.datetime) -> str:
    """Replace the stored identity with ``base_url``; returns the old one."""
    row = session.scalar(
        select(StoredIdentity).where(StoredIdentity.id == IDENTITY_ROW).with_for_update()
    )
    if row is None:
        raise ConfigurationError(NO_IDENTITY)
    old = row.base_url
    row.base_url, row.updated_at = base_url, now
    session.flush()
    return old


def same_base_url(a: str, b: str) -> bool:
    """Whether two base URLs name the same issuer (a trailing ``/`` aside)."""
    return a.rstrip("/") == b.rstrip("/")


def identity_in_force(configured: str | None, stored: str | None) -> str:
    """The stored identity; ``ConfigurationError`` (one line) when none is stored or when the
    configured ``TESSERA_BASE_URL`` differs from it."""
    if stored is None:
        raise ConfigurationError(NO_IDENTITY)
    if configured is not None and not same_base_url(configured, stored):
        raise ConfigurationError(
            f"TESSERA_BASE_URL ({configured}) differs from this issuer's identity ({stored}); "
            f"to change the identity deliberately run: tessera identity set-base-url {configured}"
        )
    return stored
