"""What the issuer publishes about its keys: the JWKS and the list of compromised keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.store.models import SigningKey
from issuer.vocabulary import KeyState


def published_jwks(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Active and retired public keys: certificates outlive the key that signed them."""
    rows = session.scalars(
        select(SigningKey)
        .where(SigningKey.state != KeyState.COMPROMISED)
        .order_by(SigningKey.created_at)
    )
    return {"keys": [dict(row.public_jwk) for row in rows]}


def compromised_keys_document(session: Session, issuer_id: str) -> dict[str, Any]:
    """The public list of compromised keys (``/compromised-keys.json``): which ``kid`` s no
    longer vouch for anything, and since when the issuer believes they leaked."""
    rows = session.scalars(
        select(SigningKey)
        .where(SigningKey.state == KeyState.COMPROMISED)
        .order_by(SigningKey.compromised_at, SigningKey.kid)
    )
    return {
        "issuer": issuer_id,
        "keys": [
            {
                "kid": row.kid,
                "compromised_at": (row.compromised_at or row.created_at)
                .astimezone(dt.UTC)
                .strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for row in rows
        ],
    }
