"""Signed checkpoints of the audit chain show a truncated tail and a rewritten chain; audit
events carry the server's request id, never the client's ``X-Request-ID``."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from issuer.app import create_app
from issuer.config import Settings
from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode
from issuer.keys.audit_checkpoints import (
    CHECKPOINT_TYP,
    check_checkpoints,
    create_checkpoint,
    stored,
    stored_checkpoints,
)
from issuer.keys.keystore import generate_private_key
from issuer.keys.signer import Signer
from issuer.services import Services
from issuer.store.audit import GENESIS_HASH, Actor, event_hash, hashed_fields, record_event
from issuer.store.engine import session_scope
from issuer.store.models import AuditCheckpoint, AuditEvent, AuditHead
from issuer.vocabulary import AuditAction
from issuer.web.checkpoints import PeriodicCheckpoints
from tests.issuer.helpers import invoke_cli, load_catalog
from tests.issuer.lifecycle_helpers import issue


def _events(services: Services, count: int) -> None:
    with session_scope(services.sessions) as session:
        for n in range(count):
            record_event(
                session,
                Actor("cli:test", f"req-{n}"),
                AuditAction.TOKEN_CREATE,
                f"token:{n}",
                now=services.clock(),
                details={"n": n},
            )


def _checkpointed(services: Services, settings: Settings, tmp_path: Path) -> Path:
    """Five events, a checkpoint, exported to a file kept elsewhere; three events more."""
    _events(services, 5)
    made = invoke_cli(settings, "audit", "checkpoint")
    assert made.exit_code == 0, made.output
    assert "at event" in made.output
    kept = tmp_path / "elsewhere" / "checkpoints.jwt"
    kept.parent.mkdir()
    exported = invoke_cli(settings, "audit", "checkpoints", "export", str(kept))
    assert exported.exit_code == 0, exported.output
    assert "exported 1 checkpoints" in exported.output
    _events(services, 3)
    return kept


def _truncate_tail(session: Session) -> None:
    """Delete the newest events and set the head back: the chain itself still verifies."""
    ids = list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
    session.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": ids[3]})
    last = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == ids[2]))
    session.execute(update(AuditHead).values(hash=last))


def _rewrite(session: Session) -> None:
    """Edit the first event and recompute every hash and the head: a consistent forgery."""
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    previous = GENESIS_HASH
    for event in events:
        if event == events[0]:
            event.details = {"n": 0, "role": "admin"}
        fields = hashed_fields(
            event.occurred_at,
            Actor(event.actor, event.request_id),
            event.action,
            event.target,
            event.reason,
            event.details,
        )
        digest = event_hash(previous, fields)
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.id == event.id)
            .values(details=event.details, prev_hash=previous, hash=digest)
        )
        previous = digest
    session.expire_all()
    session.execute(update(AuditHead).values(hash=previous))


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_truncate_tail, "which the chain no longer holds (events at the end were deleted)"),
        (_rewrite, "with another hash (the chain was rewritten)"),
    ],
    ids=["truncated tail", "full rewrite"],
)
def test_kept_checkpoints_show_a_truncated_or_rewritten_chain(
    services: Services, settings: Settings, tmp_path: Path, tamper: object, message: str
) -> None:
    kept = _checkpointed(services, settings, tmp_path)
    intact = invoke_cli(settings, "audit", "verify", "--checkpoints", str(kept))
    assert intact.exit_code == 0, intact.output
    assert "1 kept checkpoints match" in intact.output
    with session_scope(services.sessions) as session:
        assert callable(tamper)
        tamper(session)
        session.execute(text("DELETE FROM audit_checkpoints"))  # the attacker's tidy-up
    fooled = invoke_cli(settings, "audit", "verify")
    assert fooled.exit_code == 0, "the chain alone cannot show this"
    caught = invoke_cli(settings, "audit", "verify", "--checkpoints", str(kept))
    assert caught.exit_code == 1
    (line,) = caught.output.strip().splitlines()
    assert line.startswith("audit log BROKEN: the checkpoint of ")
    assert message in line


def test_stored_checkpoints_show_a_truncated_tail_too(
    services: Services, settings: Settings, tmp_path: Path
) -> None:
    _checkpointed(services, settings, tmp_path)
    with session_scope(services.sessions) as session:
        _truncate_tail(session)
    caught = invoke_cli(settings, "audit", "verify")
    assert caught.exit_code == 1
    assert "events at the end were deleted" in caught.output


def test_a_checkpoint_is_a_signed_jws_over_event_hash_and_time(services: Services) -> None:
    _events(services, 2)
    with session_scope(services.sessions) as session:
        record = create_checkpoint(
            session, services.signer(session), issuer="https://x.example", now=services.clock()
        )
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None
        assert (record.event_id, record.head_hash) == (last.id, last.hash)
    assert record.token.count(".") == 2


@pytest.mark.parametrize(
    "forge", ["garbage", "edited payload", "stranger's key", "wrong typ"], ids=str
)
def test_forged_checkpoint_files_are_refused_with_one_clear_error(
    services: Services, settings: Settings, tmp_path: Path, forge: str
) -> None:
    kept = _checkpointed(services, settings, tmp_path)
    token = kept.read_text(encoding="utf-8").strip()
    header, payload, signature = token.split(".")
    stranger = Signer("stranger", "ES256", generate_private_key("ES256"))
    with services.read_sessions() as session:
        own_kid = services.signer(session).kid
    forged = {
        "garbage": "not a checkpoint",
        "edited payload": f"{header}.{payload[:-4]}AAAA.{signature}",
        "stranger's key": stranger.sign({"event_id": 1, "hash": "0" * 64, "time": "t"}),
        "wrong typ": Signer(own_kid, "ES256", generate_private_key("ES256")).sign(
            {"event_id": 1, "hash": "0" * 64, "time": "t"}, typ="vc+jwt"
        ),
    }[forge]
    kept.write_text(forged + "\n", encoding="utf-8")
    refused = invoke_cli(settings, "audit", "verify", "--checkpoints", str(kept))
    assert refused.exit_code != 0
    assert isinstance(refused.exception, InvalidInputError)
    assert refused.exception.code == IssuerErrorCode.INVALID_CHECKPOINT
    assert CHECKPOINT_TYP in str(refused.exception) or "not a valid audit checkpoint" in str(
        refused.exception
    )


@pytest.mark.parametrize("content", [None, "", "\n\n"], ids=["missing", "empty", "blank lines"])
def test_unreadable_or_empty_checkpoint_files_are_refused(
    services: Services, settings: Settings, tmp_path: Path, content: str | None
) -> None:
    _events(services, 1)
    path = tmp_path / "kept.jwt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    refused = invoke_cli(settings, "audit", "verify", "--checkpoints", str(path))
    assert isinstance(refused.exception, InvalidInputError)
    assert refused.exception.code == IssuerErrorCode.INVALID_CHECKPOINT


def test_checkpoint_refuses_an_empty_log_and_a_broken_chain(services: Services) -> None:
    with services.read_sessions() as session:
        signer = services.signer(session)
    now = services.clock()
    with session_scope(services.sessions) as session, pytest.raises(ConflictError) as empty:
        create_checkpoint(session, signer, issuer="https://x.example", now=now)
    assert empty.value.code == IssuerErrorCode.AUDIT_LOG_EMPTY
    _events(services, 3)
    with session_scope(services.sessions) as session:
        session.execute(
            text(
                "UPDATE audit_events SET reason = 'x' WHERE id = (SELECT MIN(id) FROM audit_events)"
            )
        )
    with session_scope(services.sessions) as session, pytest.raises(ConflictError) as broken:
        create_checkpoint(session, signer, issuer="https://x.example", now=now)
    assert broken.value.code == IssuerErrorCode.AUDIT_CHAIN_BROKEN
    with services.sessions() as session:
        assert session.scalars(select(AuditCheckpoint)).all() == []


def test_client_request_id_is_not_trusted_as_the_audit_request_id(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    forged = "req-of-another-admin"
    issued = issue(client, {**admin_headers, "X-Request-ID": forged})
    answer = client.post(
        f"/api/v1/credentials/{issued['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers={**admin_headers, "X-Request-ID": forged},
    )
    assert answer.status_code == 200
    server_id = answer.headers["x-request-id"]
    assert server_id != forged
    with services.sessions() as session:
        rows = session.execute(select(AuditEvent.action, AuditEvent.request_id)).all()
        request_ids = {row.action: row.request_id for row in rows}
    assert forged not in request_ids.values()
    assert request_ids[AuditAction.CREDENTIAL_REVOKE] == server_id


def test_checkpoint_times_are_utc(services: Services) -> None:
    _events(services, 1)
    moment = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with session_scope(services.sessions) as session:
        record = create_checkpoint(
            session, services.signer(session), issuer="https://x.example", now=moment
        )
    assert record.created_at == moment


def _checkpoints(services: Services) -> list[int]:
    with services.sessions() as session:
        return [row.event_id for row in stored_checkpoints(session)]


def test_the_periodic_checkpoint_signs_only_a_moved_head_and_checks_what_is_new(
    services: Services,
) -> None:
    periodic = PeriodicCheckpoints(services, interval=3600)
    assert not periodic.make_checkpoint()  # an empty log: nothing to sign
    _events(services, 4)
    assert periodic.make_checkpoint()
    assert not periodic.make_checkpoint()  # the head has not moved
    _events(services, 2)
    assert periodic.make_checkpoint()
    with services.sessions() as session:
        newest = session.scalar(select(func.max(AuditEvent.id)))
    assert _checkpoints(services)[-1] == newest
    assert len(_checkpoints(services)) == 2
    _events(services, 2)
    with session_scope(services.sessions) as session:  # an event after the newest checkpoint
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.id == session.scalar(select(func.max(AuditEvent.id))))
            .values(reason="edited")
        )
    with pytest.raises(ConflictError) as broken:
        periodic.make_checkpoint()
    assert broken.value.code == IssuerErrorCode.AUDIT_CHAIN_BROKEN
    assert len(_checkpoints(services)) == 2


def test_a_running_server_signs_checkpoints_on_its_own(
    settings: Settings, services: Services
) -> None:
    """With a short interval, the server's own thread signs the head as events arrive."""
    _events(services, 3)
    quick = settings.model_copy(update={"audit_checkpoint_interval_seconds": 1})
    with TestClient(create_app(quick, services=services)):
        deadline = time.monotonic() + 30
        while not _checkpoints(services) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _checkpoints(services)
    with services.sessions() as session:
        assert check_checkpoints(session, stored(session)) == []
