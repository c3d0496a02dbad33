"""The console's second factor: time-based one-time codes (TOTP, RFC 6238).

A person enrols by scanning a new secret and typing a current code; only then is the secret
stored, sealed with a key derived from the key passphrase (``issuer.keys.sealed``) and bound
to the person's row. Codes are six digits over 30-second steps (the authenticator apps'
defaults); one step of drift either way is accepted, for phones whose clocks run a little
off. The step of every accepted code is recorded (``principals.totp_last_step``) and no code
of that step or an earlier one is accepted again, so a code seen over a shoulder or in a
proxy's log is worth nothing once used. Wrong codes at sign-in count toward the lock-out
like wrong passwords (docs/decisions/0040-second-factor-and-console-tokens.md).
"""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from issuer.access.sign_in import Lockout, count_failure
from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode
from issuer.keys.sealed import seal, unseal
from issuer.store.audit import Actor, record_event
from issuer.store.models import PrincipalRecord
from issuer.vocabulary import AuditAction

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
SECRET_PURPOSE = "tessera totp secret"  # noqa: S105 - a key label, not a secret
PENDING_PURPOSE = "tessera totp enrolment"


class WrongCodeError(InvalidInputError):
    """The one-time code is not the current one, or was used already."""

    code = IssuerErrorCode.WRONG_ONE_TIME_CODE


def new_secret() -> str:
    """160 random bits in base32 (RFC 4226's recommended length), for a new enrolment."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, email: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=issuer
    )


def _bound_to(person_id: int) -> str:
    return f"principal:{person_id}"


def seal_secret(passphrase: bytes, person_id: int, secret: str) -> str:
    return seal(passphrase, SECRET_PURPOSE, secret, bound_to=_bound_to(person_id))


def open_secret(passphrase: bytes, person: PrincipalRecord) -> str | None:
    """The person's TOTP secret in plain, or ``None`` when they have none."""
    if person.totp_secret is None:
        return None
    return unseal(passphrase, SECRET_PURPOSE, person.totp_secret, bound_to=_bound_to(person.id))


def seal_pending(passphrase: bytes, person_id: int, session_id: int, secret: str) -> str:
    """A secret being enrolled, carried by the enrolment form and not stored until confirmed;
    sealed to this person's session, so it cannot be swapped for one of the sender's own."""
    return seal(passphrase, PENDING_PURPOSE, secret, bound_to=f"{person_id}:{session_id}")


def open_pending(passphrase: bytes, person_id: int, session_id: int, value: str) -> str:
    return unseal(passphrase, PENDING_PURPOSE, value[:400], bound_to=f"{person_id}:{session_id}")


def current_step(now: dt.datetime) -> int:
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return int(now.timestamp()) // STEP_SECONDS


def clean_code(value: str) -> str | None:
    """Six digits, spaces allowed between them (apps show ``123 456``); else ``None``."""
    digits = "".join(value[:20].split())
    return digits if len(digits) == DIGITS and digits.isascii() and digits.isdigit() else None


def matching_step(secret: str, code: str, now: dt.datetime, *, after: int | None) -> int | None:
    """The time step within the drift window whose code is ``code`` and which comes after
    ``after`` (the last one accepted); ``None`` if there is none."""
    cleaned = clean_code(code)
    if cleaned is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    step = current_step(now)
    found = None
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        expected = totp.at(candidate * STEP_SECONDS)
        if hmac.compare_digest(expected, cleaned) and (after is None or candidate > after):
            found = candidate
    return found


def _claim_step(session: Session, person: PrincipalRecord, step: int) -> bool:
    """Record ``step`` as used, unless it (or a later one) already is: one conditional
    UPDATE, so of two requests with the same code at once only one succeeds."""
    claimed = session.execute(
        update(PrincipalRecord)
        .where(PrincipalRecord.id == person.id)
        .where(or_(PrincipalRecord.totp_last_step.is_(None), PrincipalRecord.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return False
    person.totp_last_step = step
    return True


def use_code(
    session: Session, person: PrincipalRecord, code: str, *, passphrase: bytes, now: dt.datetime
) -> bool:
    """Whether ``code`` is a current code of the person's secret not used before; if so its
    step is used up."""
    secret = open_secret(passphrase, person)
    if secret is None:
        return False
    step = matching_step(secret, code, now, after=person.totp_last_step)
    return step is not None and _claim_step(session, person, step)


def enable_totp(
    session: Session,
    person: PrincipalRecord,
    *,
    secret: str,
    code: str,
    passphrase: bytes,
    now: dt.datetime,
    actor: Actor,
) -> None:
    """Store ``secret`` once ``code`` shows the person's app holds it; audited."""
    if person.totp_secret is not None:
        raise ConflictError(
            "a second factor is already set up; turn it off first",
            code=IssuerErrorCode.TOTP_ALREADY_ENABLED,
        )
    step = matching_step(secret, code, now, after=None)
    if step is None:
        raise WrongCodeError("the code does not match; type the code the app shows now")
    person.totp_secret = seal_secret(passphrase, person.id, secret)
    person.totp_last_step = step
    record_event(session, actor, AuditAction.USER_TOTP_ENABLE, f"principal:{person.id}", now=now)
    session.flush()


def disable_totp(
    session: Session,
    person: PrincipalRecord,
    *,
    code: str,
    passphrase: bytes,
    now: dt.datetime,
    actor: Actor,
) -> None:
    """Remove the second factor; the person proves they still hold it with a current code."""
    if person.totp_secret is None:
        raise ConflictError("no second factor is set up", code=IssuerErrorCode.TOTP_NOT_ENABLED)
    if not use_code(session, person, code, passphrase=passphrase, now=now):
        raise WrongCodeError("the code does not match or was used already")
    _clear(session, person, actor=actor, now=now, details=None)


def reset_totp(
    session: Session, person: PrincipalRecord, *, actor: Actor, now: dt.datetime
) -> bool:
    """The operator removes a person's second factor (a lost phone); ``False`` if there was
    none. The person signs in with the password alone and enrols again."""
    if person.totp_secret is None:
        return False
    _clear(session, person, actor=actor, now=now, details={"reset": True})
    return True


def _clear(
    session: Session,
    person: PrincipalRecord,
    *,
    actor: Actor,
    now: dt.datetime,
    details: dict[str, object] | None,
) -> None:
    person.totp_secret = None
    record_event(
        session,
        actor,
        AuditAction.USER_TOTP_DISABLE,
        f"principal:{person.id}",
        now=now,
        details=details,
    )
    session.flush()


def pass_second_factor(
    session: Session,
    person: PrincipalRecord,
    code: str,
    *,
    passphrase: bytes,
    now: dt.datetime,
    lockout: Lockout,
    request_id: str | None = None,
) -> bool:
    """The sign-in's second step. A right code resets the failure count; a wrong one counts
    toward the lock-out (the caller commits either way). A locked-out person's code is
    refused, right or not."""
    if person.locked_until is not None and person.locked_until > now:
        return False
    if use_code(session, person, code, passphrase=passphrase, now=now):
        person.failed_sign_ins = 0
        session.flush()
        return True
    count_failure(session, person, now=now, lockout=lockout, request_id=request_id)
    return False
