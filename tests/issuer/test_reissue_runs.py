"""Bulk re-issue after a key compromise as a run of chunks, in-process (SQLite, and the
in-process runner on PostgreSQL): each credential re-issued once, chunk by chunk; a chunk
run again does nothing; a credential replaced or revoked meanwhile is skipped; a cancelled
run stops. The workers' path: tests/issuer/test_reissue_workers.py."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.config import Settings
from issuer.credentials.lifecycle import revoke_credential, suspend_credential
from issuer.credentials.reissue_runs import cancel_reissue, reissue_progress
from issuer.errors import ConfigurationError, ConflictError
from issuer.keys.keystore import key_path
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import (
    AuditEvent,
    Credential,
    ReissueChunk,
    ReissueRun,
    StatusAllocation,
    StatusList,
)
from issuer.tasks.reissue import run_reissue, run_reissue_chunk
from issuer.vocabulary import AuditAction
from tests.helpers import make_token
from tests.issuer.helpers import load_catalog, run_cli
from tests.issuer.lifecycle_helpers import bearer, post
from tests.issuer.reissue_helpers import (
    ACTOR,
    compromise_active_key,
    issue_many,
    outcome,
    plan,
)


@pytest.fixture(autouse=True)
def _catalog(services: Services) -> None:
    load_catalog(services)


def _run(services: Services, run_id: str) -> ReissueRun:
    with services.read_sessions() as session:
        return session.get_one(ReissueRun, run_id)


def _revisions(services: Services) -> dict[int, int]:
    with services.read_sessions() as session:
        return {row.id: row.revision for row in session.scalars(select(StatusList))}


def _credentials(services: Services) -> int:
    with services.read_sessions() as session:
        return session.scalar(select(func.count()).select_from(Credential)) or 0


def test_a_run_reissues_every_active_or_suspended_credential_once_chunk_by_chunk(
    services: Services,
) -> None:
    ids = issue_many(services, 8)
    with session_scope(services.sessions) as session:
        now = services.clock()
        suspend_credential(
            session, ids[2], reason="holder_request", note=None, actor=ACTOR, now=now
        )
        revoke_credential(
            session, ids[5], reason="exam_misconduct", note=None, actor=ACTOR, now=now
        )
    old_kid, new_kid = compromise_active_key(services)
    revisions = _revisions(services)

    planned = plan(services, old_kid, chunk_size=3)
    assert (planned.credentials, planned.chunks) == (7, 3)  # the revoked one is left alone
    assert _run(services, planned.run_id).state == "queued"
    run_reissue(services, planned)

    done = outcome(services, ids)
    assert done.states == {cid: "revoked" if cid == ids[5] else "superseded" for cid in ids}
    replacements = [done.replaced_by[cid] for cid in ids if cid != ids[5]]
    assert len(set(replacements)) == 7
    assert set(done.replacement_kids.values()) == {new_kid}
    assert dict(done.events) == {cid: 1 for cid in ids if cid != ids[5]}
    with services.read_sessions() as session:
        suspended_new = session.get_one(Credential, str(done.replaced_by[ids[2]]))
        assert suspended_new.state == "suspended"  # the suspension is inherited
        run = session.get_one(ReissueRun, planned.run_id)
        progress = reissue_progress(session, run)
    assert (run.state, run.credentials, run.chunks) == ("done", 7, 3)
    assert run.started_at is not None
    assert run.finished_at is not None
    assert (progress.reissued, progress.skipped, progress.chunks_done) == (7, 0, 3)
    with services.read_sessions() as session:
        bits = dict(
            session.execute(
                select(StatusAllocation.credential_id, StatusAllocation.set_at).where(
                    StatusAllocation.credential_id.in_(ids)
                )
            ).all()
        )
    # Every replaced credential's revocation bit is set (the revoked one's already was), and
    # each list touched has a new revision for publishers to notice.
    assert all(bits[cid] is not None for cid in ids)
    after = _revisions(services)
    assert all(after[list_id] > revision for list_id, revision in revisions.items())
    total = _credentials(services)
    assert total == 8 + 7

    # A chunk's job run again (a retry after a crash past its commit) does nothing.
    assert run_reissue_chunk(services, planned.run_id, 1) is False
    assert _credentials(services) == total


def test_a_credential_revoked_after_planning_is_skipped_and_counted(services: Services) -> None:
    ids = issue_many(services, 5)
    old_kid, _new = compromise_active_key(services)
    planned = plan(services, old_kid, chunk_size=2)
    with session_scope(services.sessions) as session:
        revoke_credential(
            session, ids[3], reason="exam_misconduct", note=None, actor=ACTOR, now=services.clock()
        )
    run_reissue(services, planned)
    with services.read_sessions() as session:
        progress = reissue_progress(session, session.get_one(ReissueRun, planned.run_id))
    assert (progress.reissued, progress.skipped, progress.done) == (4, 1, 5)
    assert outcome(services, ids).states[ids[3]] == "revoked"


def test_a_cancelled_run_stops_and_a_second_cancel_is_refused(services: Services) -> None:
    ids = issue_many(services, 6)
    old_kid, _new = compromise_active_key(services)
    planned = plan(services, old_kid, chunk_size=2)
    assert run_reissue_chunk(services, planned.run_id, 0) is True
    assert _run(services, planned.run_id).state == "running"
    with session_scope(services.sessions) as session:
        cancelled = cancel_reissue(session, old_kid, actor=ACTOR, now=services.clock())
        assert cancelled.state == "cancelled"
    run_reissue(services, planned)  # the chunks left see the cancellation
    states = outcome(services, ids).states
    assert sorted(states.values()) == ["active"] * 4 + ["superseded"] * 2
    with services.read_sessions() as session:
        done = session.scalar(
            select(func.count())
            .select_from(ReissueChunk)
            .where(ReissueChunk.run_id == planned.run_id, ReissueChunk.done_at.is_not(None))
        )
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.KEY_REISSUE_CANCEL)
        ).one()
    assert done == 1
    assert (event.target, event.details["done"], event.details["credentials"]) == (old_kid, 2, 6)
    with session_scope(services.sessions) as session, pytest.raises(ConflictError) as refused:
        cancel_reissue(session, old_kid, actor=ACTOR, now=services.clock())
    assert refused.value.code == "reissue_not_running"

    # A new run re-issues the rest, once.
    rest = plan(services, old_kid, chunk_size=2)
    assert rest.credentials == 4
    run_reissue(services, rest)
    assert set(outcome(services, ids).states.values()) == {"superseded"}
    assert dict(outcome(services, ids).events) == dict.fromkeys(ids, 1)


def test_a_second_run_of_a_key_is_refused_while_one_is_unfinished(services: Services) -> None:
    issue_many(services, 2)
    old_kid, _new = compromise_active_key(services)
    plan(services, old_kid, chunk_size=5)
    with pytest.raises(ConflictError) as refused:
        plan(services, old_kid, chunk_size=5)
    assert refused.value.code == "reissue_running"


def test_the_api_follows_and_cancels_a_run(client: TestClient, services: Services) -> None:
    issue_many(services, 3)
    maker, checker = bearer(make_token(services)), bearer(make_token(services))
    old_kid, _new = compromise_active_key(services)
    progress = f"/api/v1/keys/{old_kid}/reissue"
    before = client.get(progress, headers=checker)
    assert before.status_code == 404
    # Planned but not run yet (as on PostgreSQL before a worker takes it): it can be stopped.
    planned = plan(services, old_kid, chunk_size=1)
    queued = client.get(progress, headers=checker).json()
    assert (queued["state"], queued["credentials_done"], queued["credentials_total"]) == (
        "queued",
        0,
        3,
    )
    again = post(client, progress, maker)  # a second request while it is unfinished
    assert again.status_code == 409
    assert again.json()["code"] == "reissue_running"
    auditor = bearer(make_token(services, role="auditor"))
    assert post(client, f"{progress}/cancel", auditor).status_code == 403
    cancelled = post(client, f"{progress}/cancel", checker)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["run_id"], body["state"], body["cancelled_by"]) == (
        planned.run_id,
        "cancelled",
        body["cancelled_by"],
    )
    assert body["cancelled_by"]
    assert post(client, f"{progress}/cancel", checker).json()["code"] == "reissue_not_running"
    assert client.get("/api/v1/keys/no-such-key/reissue", headers=checker).status_code == 404

    # Approved through maker-checker: planned in the approval, run after the answer.
    request = post(client, progress, maker)
    assert request.status_code == 202
    approved = post(client, f"/api/v1/approvals/{request.json()['id']}/approve", checker)
    assert approved.status_code == 200, approved.text
    result = approved.json()["result"]
    assert (result["credentials"], result["chunks"]) == (3, 1)  # TESSERA_REISSUE_CHUNK_SIZE 200
    run = client.get(result["progress"], headers=checker).json()
    assert (run["run_id"], run["state"], run["credentials_done"]) == (result["run_id"], "done", 3)
    assert run["approval_id"] == request.json()["id"]
    assert _credentials(services) == 6


def test_the_cli_reissues_here_and_refuses_the_active_key(
    services: Services, settings: Settings
) -> None:
    ids = issue_many(services, 4)
    with services.read_sessions() as session:
        active = session.get_one(Credential, ids[0]).kid
    code, output = run_cli(settings, "keys", "reissue", active)
    assert code == 1
    assert "active key" in output
    old_kid, _new = compromise_active_key(services)
    code, output = run_cli(settings, "keys", "reissue", old_kid)
    assert code == 0, output
    assert f"re-issued 4 credentials signed by {old_kid}" in output
    assert set(outcome(services, ids).states.values()) == {"superseded"}
    with services.read_sessions() as session:
        run = session.scalars(select(ReissueRun).where(ReissueRun.kid == old_kid)).one()
    assert (run.state, run.credentials, run.approval_id) == ("done", 4, None)


def test_a_chunk_that_fails_leaves_the_run_failed_and_nothing_of_it_written(
    services: Services, settings: Settings
) -> None:
    ids = issue_many(services, 4)
    old_kid, new_kid = compromise_active_key(services)
    planned = plan(services, old_kid, chunk_size=2)
    assert run_reissue_chunk(services, planned.run_id, 0) is True
    # The active key's file is gone: a process that has not loaded it yet cannot sign.
    moved = key_path(settings.keys_dir, new_kid).rename(settings.keys_dir / "aside.pem")
    fresh = Services.from_settings(settings)
    try:
        with pytest.raises(ConfigurationError):
            run_reissue(fresh, planned)
    finally:
        fresh.engine.dispose()
        moved.rename(key_path(settings.keys_dir, new_kid))
    run = _run(services, planned.run_id)
    assert (run.state, run.finished_at is not None) == ("failed", True)
    states = outcome(services, ids).states
    assert sorted(states.values()) == ["active", "active", "superseded", "superseded"]
    # A failed run is over: nothing to cancel.
    with pytest.raises(ConflictError), session_scope(services.sessions) as session:
        cancel_reissue(session, old_kid, actor=ACTOR, now=services.clock())
    # A new request re-issues the rest.
    rest = plan(services, old_kid, chunk_size=2)
    run_reissue(services, rest)
    assert set(outcome(services, ids).states.values()) == {"superseded"}
