"""A register with credentials of a key that is then compromised, and what a re-issue did
to them: shared by the in-process and the workers' tests of bulk re-issue."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from issuer.credentials.issuance import issue_credentials
from issuer.credentials.reissue_runs import ReissuePlan, plan_reissue
from issuer.keys.keystore import active_key, compromise_key
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, Credential
from issuer.vocabulary import AuditAction
from tests.helpers import PASSPHRASE
from tests.issuer.campaign_files import campaign

ACTOR = Actor("test checker")


def issue_many(services: Services, count: int) -> list[str]:
    """``count`` credentials of the demo campaign, signed by the active key."""
    with session_scope(services.sessions) as session:
        return issue_credentials(
            session,
            campaign()[:count],
            issuer=services.issuer(session),
            actor=ACTOR,
            now=services.clock(),
        )


def compromise_active_key(services: Services) -> tuple[str, str]:
    """Mark the active key compromised (a new one becomes active); both kids."""
    now = services.clock()
    with session_scope(services.sessions) as session:
        key = active_key(session)
        assert key is not None
        _old, new = compromise_key(
            session,
            key.kid,
            compromised_at=now - dt.timedelta(hours=1),
            keys_dir=services.settings.keys_dir,
            passphrase=PASSPHRASE.encode(),
            algorithm="ES256",
            now=now,
        )
        assert new is not None
        return key.kid, new.kid


def plan(services: Services, kid: str, chunk_size: int) -> ReissuePlan:
    with session_scope(services.sessions) as session:
        return plan_reissue(
            session,
            kid,
            active_kid=services.issuer(session).signer.kid,
            actor=ACTOR,
            requested_by="test maker",
            approval_id=None,
            chunk_size=chunk_size,
            now=services.clock(),
        )


@dataclass
class Outcome:
    """Each old credential's state and replacement; the re-issue events per old id."""

    states: dict[str, str]
    replaced_by: dict[str, str | None]
    replacement_kids: dict[str, str]
    events: Counter[str]


def outcome(services: Services, ids: list[str]) -> Outcome:
    with services.read_sessions() as session:
        olds = {
            row.id: row for row in session.scalars(select(Credential).where(Credential.id.in_(ids)))
        }
        new_ids = [row.replaced_by_id for row in olds.values() if row.replaced_by_id]
        kids = {
            str(cid): str(kid)
            for cid, kid in session.execute(
                select(Credential.id, Credential.kid).where(Credential.id.in_(new_ids))
            )
        }
        events = Counter(
            str(target)
            for target in session.scalars(
                select(AuditEvent.target).where(AuditEvent.action == AuditAction.CREDENTIAL_REISSUE)
            )
        )
    return Outcome(
        states={cid: row.state for cid, row in olds.items()},
        replaced_by={cid: row.replaced_by_id for cid, row in olds.items()},
        replacement_kids=kids,
        events=events,
    )
