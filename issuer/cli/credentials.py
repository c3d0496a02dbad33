"""Credential commands: issue one, revoke, suspend, reinstate, reissue, revoke an exam session."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from issuer.cli.context import actor, services_of
from issuer.credentials.holder_email import clean_email
from issuer.credentials.issuance import IssueRequest, issue_credentials
from issuer.credentials.lifecycle import (
    find_credential,
    get_credential,
    reinstate_credential,
    revoke_credential,
    revoke_session,
    suspend_credential,
)
from issuer.credentials.national_id import check_national_id
from issuer.credentials.reissue import Corrections, reissue_credential
from issuer.store.engine import session_scope
from issuer.vocabulary import ReasonCode
from issuer.web.schemas.credentials import CredentialResponse

REASONS_HELP = f"one of: {', '.join(ReasonCode)}"


def issue(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="holder's full name")],
    employee_number: Annotated[str, typer.Option()],
    occupation: Annotated[str, typer.Option(help="national occupation code")],
    level: Annotated[str, typer.Option(help="junior, intermediate or senior")],
    unit: Annotated[str, typer.Option(help="unit code")],
    exam_date: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    exam_session: Annotated[str, typer.Option()],
    score: Annotated[float | None, typer.Option()] = None,
    national_id: Annotated[
        str | None,
        typer.Option(
            help="18 characters with a valid check digit; kept in the database only, "
            "never in the credential"
        ),
    ] = None,
    birth_date: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="kept in the database only"),
    ] = None,
    valid_until: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    holder_email: Annotated[
        str | None, typer.Option(help="where notices about the credential go (not signed)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full record as JSON")] = False,
) -> None:
    """Issue one credential and print its id, number, verify URL and token."""
    services = services_of(ctx)
    now = services.clock()
    request = IssueRequest(
        holder_name=name,
        employee_number=employee_number,
        occupation=occupation,
        level=level,
        unit=unit,
        exam_date=exam_date.date(),
        exam_session=exam_session,
        score=score,
        national_id=check_national_id(national_id) if national_id else None,
        birth_date=birth_date.date() if birth_date else None,
        valid_until=valid_until.replace(tzinfo=dt.UTC) if valid_until else None,
        holder_email=holder_email,
    )
    with session_scope(services.sessions) as session:
        [credential_id] = issue_credentials(
            session,
            [request],
            issuer=services.issuer(session),
            actor=actor(),
            now=now,
            exactly_once=True,  # the exam's credential already issued: refused, named
        )
        session.flush()
        row = get_credential(session, credential_id)
        response = CredentialResponse.of(row, services.base_url)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    typer.echo(f"issued {response.id} ({response.number})")
    typer.echo(f"verify: {response.qr_text}")
    typer.echo(response.credential)


def revoke(
    ctx: typer.Context,
    credential: Annotated[str, typer.Argument(help="credential id or certificate number")],
    reason: Annotated[str, typer.Option(help=REASONS_HELP)],
    note: Annotated[str | None, typer.Option(help="free text for the record")] = None,
) -> None:
    """Revoke a credential for good; verifiers see `revoked` with the reason category."""
    services = services_of(ctx)
    with session_scope(services.sessions) as session:
        row = find_credential(session, credential)
        revoke_credential(
            session, row.id, reason=reason, note=note, actor=actor(), now=services.clock()
        )
        number = row.number
    typer.echo(f"revoked {row.id} ({number}): {reason}")


def suspend(
    ctx: typer.Context,
    credential: Annotated[str, typer.Argument(help="credential id or certificate number")],
    reason: Annotated[str, typer.Option(help=REASONS_HELP)],
    note: Annotated[str | None, typer.Option(help="free text for the record only")] = None,
) -> None:
    """Suspend a credential (reversible): verifiers see `suspended`."""
    services = services_of(ctx)
    with session_scope(services.sessions) as session:
        row = find_credential(session, credential)
        suspend_credential(
            session, row.id, reason=reason, note=note, actor=actor(), now=services.clock()
        )
        done = f"suspended {row.id} ({row.number}): {reason}"
    typer.echo(done)


def reinstate(
    ctx: typer.Context,
    credential: Annotated[str, typer.Argument(help="credential id or certificate number")],
    note: Annotated[str | None, typer.Option(help="free text for the record only")] = None,
) -> None:
    """Lift a suspension: the credential is valid again."""
    services = services_of(ctx)
    with session_scope(services.sessions) as session:
        row = find_credential(session, credential)
        reinstate_credential(session, row.id, note=note, actor=actor(), now=services.clock())
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
    holder_email: Annotated[str | None, typer.Option(help="a new address for notices")] = None,
) -> None:
    """Issue a corrected or upgraded replacement; the old credential becomes `superseded`."""
    services = services_of(ctx)
    corrections = Corrections(
        holder_name=holder_name,
        occupation=occupation,
        level=level,
        unit=unit,
        exam_session=exam_session,
        score=score,
        holder_email=clean_email(holder_email) if holder_email else None,
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
            actor=actor(),
            now=services.clock(),
        )
        done = [
            f"superseded {old.id} ({old.number})",
            f"issued {new.id} ({new.number})",
            f"verify: {services.urls.verify_page(new.id)}",
        ]
    typer.echo("\n".join(done))


def revoke_exam_session(
    ctx: typer.Context,
    exam_session: Annotated[str, typer.Argument(help="the exam session, e.g. 2026-Q4-D3-R05")],
    reason: Annotated[str, typer.Option(help=REASONS_HELP)],
    note: Annotated[str | None, typer.Option(help="free text for the record only")] = None,
) -> None:
    """Revoke every active or suspended credential of one exam session, in one transaction."""
    services = services_of(ctx)
    with session_scope(services.sessions) as session:
        revoked = revoke_session(
            session, exam_session, reason=reason, note=note, actor=actor(), now=services.clock()
        )
    typer.echo(f"revoked {len(revoked)} credentials of exam session {exam_session}: {reason}")


def register(app: typer.Typer) -> None:
    """Add the credential commands to the ``tessera`` app."""
    app.command()(issue)
    app.command()(revoke)
    app.command("suspend")(suspend)
    app.command("reinstate")(reinstate)
    app.command("reissue")(reissue)
    app.command("revoke-session")(revoke_exam_session)
