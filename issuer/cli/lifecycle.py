"""``tessera`` lifecycle commands: suspend, reinstate, reissue, revoke-session, key compromise,
approvals and the audit log.

The CLI runs as the operator, with the database and the key store in hand: it acts directly
and every action is audited as ``cli:<user>`` (docs/decisions/0011-maker-checker.md).
Domain errors end in one line on stderr and exit status 1 (``issuer.cli.main:main``).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Annotated

import orjson
import typer

from issuer.access.approvals import Operator, approve, list_approvals, reject
from issuer.credentials.lifecycle import (
    REASON_CODES,
    find_credential,
    reinstate_credential,
    revoke_session,
    suspend_credential,
)
from issuer.credentials.reissue import Corrections, reissue_credential, reissue_signed_by
from issuer.keys.signing import compromise_key
from issuer.services import Services
from issuer.store.audit import Actor, event_record, iter_events, record_event, verify_chain
from issuer.store.engine import session_scope
from verifier.urls import IssuerUrls

approvals_app = typer.Typer(help="Maker-checker requests (approve as the operator).")
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
REASONS_HELP = f"one of: {', '.join(REASON_CODES)}"


def _actor() -> Actor:
    return Actor(name=f"cli:{os.environ.get('USER', 'operator')}")


def _services(ctx: typer.Context) -> Services:
    return Services.from_settings(ctx.obj)


def suspend(
    ctx: typer.Context,
    credential: Annotated[str, typer.Argument(help="credential id or certificate number")],
    reason: Annotated[str, typer.Option(help=REASONS_HELP)],
    note: Annotated[str | None, typer.Option(help="free text for the record only")] = None,
) -> None:
    """Suspend a credential (reversible): verifiers see `suspended`."""
    services = _services(ctx)
    with session_scope(services.sessions) as session:
        row = find_credential(session, credential)
        suspend_credential(
            session, row.id, reason=reason, note=note, actor=_actor(), now=services.clock()
        )
        done = f"suspended {row.id} ({row.number}): {reason}"
    typer.echo(done)


def reinstate(
    ctx: typer.Context,
    credential: Annotated[str, typer.Argument(help="credential id or certificate number")],
    note: Annotated[str | None, typer.Option(help="free text for the record only")] = None,
) -> None:
    """Lift a suspension: the credential is valid again."""
    services = _services(ctx)
    with session_scope(services.sessions) as session:
        row = find_credential(session, credential)
        reinstate_credential(session, row.id, note=note, actor=_actor(), now=services.clock())
        done = f"reinstated {row.id} ({row.number})"
    typer.echo(done)


def reissue(
    ctx: typer.Context,
    credential: Annotated[str, typer.Argument(help="credential id or certificate number")],
    reason: Annotated[str, typer.Option(help=REASONS_HELP)],
    note: Annotated[str | None, typer.Option(help="free text for the record only")] = None,
    holder_name: Annotated[str | None, typer.Option(help="corrected full name")] = None,
    occupation: Annotated[str | None, typer.Option()] = None,
    level: Annotated[str | None, typer.Option(help="e.g. an upgrade to senior")] = None,
    unit: Annotated[str | None, typer.Option()] = None,
    exam_session: Annotated[str | None, typer.Option()] = None,
    score: Annotated[float | None, typer.Option()] = None,
) -> None:
    """Issue a corrected or upgraded replacement; the old credential becomes `superseded`."""
    services = _services(ctx)
    corrections = Corrections(
        holder_name=holder_name,
        occupation=occupation,
        level=level,
        unit=unit,
        exam_session=exam_session,
        score=score,
    )
    with session_scope(services.sessions) as session:
        old = find_credential(session, credential)
        new = reissue_credential(
            session,
            old.id,
            corrections,
            reason=reason,
            note=note,
            issuer=services.issuer(session),
            actor=_actor(),
            now=services.clock(),
        )
        done = [
            f"superseded {old.id} ({old.number})",
            f"issued {new.id} ({new.number})",
            f"verify: {IssuerUrls(services.settings.base_url).verify_page(new.id)}",
        ]
    typer.echo("\n".join(done))


def revoke_exam_session(
    ctx: typer.Context,
    exam_session: Annotated[str, typer.Argument(help="the exam session, e.g. 2026-Q4-D3-R05")],
    reason: Annotated[str, typer.Option(help=REASONS_HELP)],
    note: Annotated[str | None, typer.Option(help="free text for the record only")] = None,
) -> None:
    """Revoke every active or suspended credential of one exam session, in one transaction."""
    services = _services(ctx)
    with session_scope(services.sessions) as session:
        revoked = revoke_session(
            session, exam_session, reason=reason, note=note, actor=_actor(), now=services.clock()
        )
    typer.echo(f"revoked {len(revoked)} credentials of exam session {exam_session}: {reason}")


def keys_compromise(
    ctx: typer.Context,
    kid: Annotated[str, typer.Argument(help="the key id (thumbprint)")],
    at: Annotated[
        dt.datetime, typer.Option(help="when the key leaked (UTC)", formats=["%Y-%m-%dT%H:%M:%S"])
    ],
) -> None:
    """Mark a key compromised: everything it signed fails verification (`key_compromised`).
    If it is the active key, a new active key is made first."""
    services = _services(ctx)
    settings, now = services.settings, services.clock()
    with services.key_transaction() as session:
        key, replacement = compromise_key(
            session,
            kid,
            compromised_at=at.replace(tzinfo=dt.UTC),
            keys_dir=settings.keys_dir,
            passphrase=settings.read_passphrase(),
            algorithm=settings.key_algorithm,
            now=now,
        )
        if replacement is not None:
            record_event(session, _actor(), "key.create", replacement.kid, now=now)
        record_event(
            session,
            _actor(),
            "key.compromise",
            key.kid,
            now=now,
            details={"compromised_at": at.replace(tzinfo=dt.UTC).isoformat()},
        )
    typer.echo(f"key {kid} marked compromised; it is gone from the JWKS")
    if replacement is not None:
        typer.echo(f"active key is now {replacement.kid}")
    typer.echo(f"next: tessera keys reissue {kid}")


def keys_reissue(
    ctx: typer.Context, kid: Annotated[str, typer.Argument(help="the compromised key id")]
) -> None:
    """Re-issue every active or suspended credential signed by a key, with the active key."""
    services = _services(ctx)
    with session_scope(services.sessions) as session:
        replaced = reissue_signed_by(
            session, kid, issuer=services.issuer(session), actor=_actor(), now=services.clock()
        )
    typer.echo(f"re-issued {len(replaced)} credentials signed by {kid}")


@approvals_app.command("list")
def approvals_list(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="pending, approved or rejected")] = "pending",
) -> None:
    """Requests waiting for (or given) a second admin's decision."""
    services = _services(ctx)
    with services.sessions() as session:
        rows, total = list_approvals(session, state=state, limit=500, offset=0)
        for row in rows:
            typer.echo(
                f"{row.id}  {row.state:8}  {row.action:24}  by {row.requested_by}  "
                f"{orjson.dumps(row.params).decode()}"
            )
    typer.echo(f"{total} request(s)")


@approvals_app.command("approve")
def approvals_approve(ctx: typer.Context, approval_id: str) -> None:
    """Approve a request as the operator and carry it out."""
    services = _services(ctx)
    settings = services.settings
    operator = Operator(
        settings.keys_dir, settings.read_passphrase, settings.key_algorithm, services.issuer
    )
    with services.key_transaction() as session:
        row = approve(session, approval_id, actor=_actor(), operator=operator, now=services.clock())
        done = f"approved {row.id} ({row.action}): {orjson.dumps(row.result).decode()}"
    typer.echo(done)


@approvals_app.command("reject")
def approvals_reject(ctx: typer.Context, approval_id: str) -> None:
    """Reject a request: nothing is carried out."""
    services = _services(ctx)
    with session_scope(services.sessions) as session:
        row = reject(session, approval_id, actor=_actor(), now=services.clock())
        done = f"rejected {row.id} ({row.action})"
    typer.echo(done)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Recompute the hash chain; name the first edited, deleted or reordered event."""
    services = _services(ctx)
    try:
        with services.sessions() as session:
            report = verify_chain(session)
    finally:
        services.engine.dispose()
    if not report.ok:
        typer.echo(f"audit log BROKEN at event {report.first_bad_id}: {report.problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {report.events} events, chain verified")


@audit_app.command("export")
def audit_export(ctx: typer.Context) -> None:
    """Every event as JSON lines on stdout, hashes included."""
    services = _services(ctx)
    out = sys.stdout.buffer
    with services.sessions() as session:
        for event in iter_events(session):
            out.write(orjson.dumps(event_record(event), option=orjson.OPT_SORT_KEYS) + b"\n")
    out.flush()


def register(app: typer.Typer, keys_app: typer.Typer) -> None:
    """Add the lifecycle commands to the ``tessera`` app."""
    app.command("suspend")(suspend)
    app.command("reinstate")(reinstate)
    app.command("reissue")(reissue)
    app.command("revoke-session")(revoke_exam_session)
    keys_app.command("compromise")(keys_compromise)
    keys_app.command("reissue")(keys_reissue)
    app.add_typer(approvals_app, name="approvals")
    app.add_typer(audit_app, name="audit")
