"""Which console user a single sign-on identity is (docs/decisions/0041-single-sign-on.md).

A person is found by the provider's subject (``"<issuer> <sub>"``) once linked. The first
time, the link is made by e-mail, and only when the provider says the address is verified,
a console user has it and that user is not linked to another subject yet (audited as
``user.sso_link``). Nobody is created here: an admin creates console users, so an identity
without one is refused. A disabled person is refused; a password lock-out does not apply.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.access.oidc import Identity
from issuer.access.sign_in import person_actor
from issuer.access.users import find_user
from issuer.errors import IssuerErrorCode, PermissionDeniedError
from issuer.store.audit import record_event
from issuer.store.models import PrincipalRecord
from issuer.vocabulary import AuditAction, PrincipalKind

NO_ACCOUNT = "there is no console account for this identity; ask an admin to create one"


def _usable(person: PrincipalRecord) -> PrincipalRecord:
    if person.kind != PrincipalKind.PERSON or person.email is None:
        raise PermissionDeniedError(NO_ACCOUNT, code=IssuerErrorCode.SSO_NO_ACCOUNT)
    if person.disabled_at is not None:
        raise PermissionDeniedError(
            "this console account is disabled; ask an admin",
            code=IssuerErrorCode.PRINCIPAL_DISABLED,
        )
    return person


def person_for(
    session: Session, identity: Identity, *, now: dt.datetime, request_id: str | None = None
) -> PrincipalRecord:
    """The console user ``identity`` signs in as, linked on first use by verified e-mail;
    ``PermissionDeniedError`` when there is none or it is disabled."""
    linked = session.scalars(
        select(PrincipalRecord).where(PrincipalRecord.oidc_subject == identity.subject)
    ).one_or_none()
    if linked is not None:
        return _usable(linked)
    verified = identity.email if identity.email_verified else None
    person = find_user(session, verified) if verified is not None else None
    if person is None or person.oidc_subject is not None:
        raise PermissionDeniedError(NO_ACCOUNT, code=IssuerErrorCode.SSO_NO_ACCOUNT)
    _usable(person)
    person.oidc_subject = identity.subject
    record_event(
        session,
        person_actor(person, request_id),
        AuditAction.USER_SSO_LINK,
        f"principal:{person.id}",
        now=now,
        details={"issuer": identity.issuer},
    )
    session.flush()
    return person
