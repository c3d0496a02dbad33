"""The register's counts (migration 0019, issuer/credentials/register_counts.py): exact after
every change a credential goes through, after concurrent changes, after a fold and a
recount, and the dashboard and the search's totals read them instead of the credentials."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text, update

from issuer.config import Settings
from issuer.credentials.register_counts import count_in, fold_counts, recount, unit_counts
from issuer.credentials.search import CredentialFilter, TallyBy, tally
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Credential, RegisterCount, Unit
from issuer.vocabulary import CredentialState
from tests.helpers import make_token
from tests.issuer.helpers import load_catalog, run_cli
from tests.issuer.lifecycle_helpers import issue, post
from tests.issuer.register_count_helpers import assert_counts_exact, counted, grouped


def _states(services: Services) -> dict[str, int]:
    figures: dict[str, int] = {}
    for (_u, _lv, state), n in counted(services).items():
        figures[state] = figures.get(state, 0) + n
    return figures


def test_every_change_a_credential_goes_through_keeps_the_counts_exact(
    services: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    assert counted(services) == {}
    issued = [issue(client, admin_headers, holder={"name": f"王{n}", "employee_number": f"E{n}"})
              for n in range(6)]  # fmt: skip
    assert _states(services) == {"active": 6}
    base = "/api/v1/credentials"
    body = {"reason": "exam_misconduct"}
    assert post(client, f"{base}/{issued[0]['id']}/revoke", admin_headers, body).status_code == 200
    suspend = {"reason": "holder_request"}
    assert post(client, f"{base}/{issued[1]['id']}/suspend", admin_headers, suspend).is_success
    assert _states(services) == {"active": 4, "revoked": 1, "suspended": 1}
    assert post(client, f"{base}/{issued[1]['id']}/reinstate", admin_headers).is_success
    assert _states(services) == {"active": 5, "revoked": 1}
    reissue = {"reason": "data_correction", "unit": "U02"}
    response = post(client, f"{base}/{issued[2]['id']}/reissue", admin_headers, reissue)
    assert response.status_code == 201, response.text
    assert _states(services) == {"active": 5, "revoked": 1, "superseded": 1}
    session_code = issued[3]["exam_session"]
    batch = {"exam_session": session_code, "reason": "exam_misconduct"}
    revoked = post(client, f"{base}/batch-revoke", admin_headers, batch)
    assert revoked.status_code == 200, revoked.text
    assert_counts_exact(services)
    states = _states(services)
    assert sum(states.values()) == 7
    assert states["revoked"] == 1 + revoked.json()["revoked"]
    # A change of unit alone moves a credential from one group to another.
    with session_scope(services.sessions) as session:
        other = session.scalar(select(Unit.id).where(Unit.code == "U03"))
        session.execute(update(Credential).where(Credential.id == issued[4]["id"]).values(
            unit_id=other))  # fmt: skip
    assert_counts_exact(services)
    assert sum(_states(services).values()) == 7


def test_a_rolled_back_change_leaves_the_counts_as_they_were(
    services: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = issue(client, admin_headers)
    before = counted(services)
    with services.sessions() as session:
        session.execute(
            update(Credential)
            .where(Credential.id == issued["id"])
            .values(state=CredentialState.REVOKED.value)
        )
        session.rollback()
    assert counted(services) == before == grouped(services)


def test_fold_merges_the_rows_and_recount_repairs_them(
    services: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    for n in range(4):
        issue(client, admin_headers, holder={"name": f"李{n}", "employee_number": f"F{n}"})
    with services.read_sessions() as session:
        rows_before = session.scalar(select(func.count()).select_from(RegisterCount))
    assert rows_before is not None
    assert rows_before >= 4
    with session_scope(services.sessions) as session:
        assert fold_counts(session) == rows_before
    with services.read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(RegisterCount)) == len(
            grouped(services)
        )
    assert_counts_exact(services)
    # Damage (a change made with the triggers' deltas lost), then the repair.
    with session_scope(services.sessions) as session:
        session.execute(delete(RegisterCount))
        session.add(RegisterCount(unit_id=999, level_id=999, state="active", n=5))
    assert counted(services) != grouped(services)
    with session_scope(services.sessions) as session:
        recount(session)
    assert_counts_exact(services)


def test_tessera_recount_rebuilds_the_counts(
    services: Services, settings: Settings, client: TestClient, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issue(client, admin_headers)
    with session_scope(services.sessions) as session:
        session.execute(delete(RegisterCount))
    code, output = run_cli(settings, "recount")
    assert code == 0, output
    assert "hold 1 credentials" in output
    assert_counts_exact(services)
    code, output = run_cli(settings, "recount", "--fold-only")
    assert code == 0, output
    assert_counts_exact(services)


def test_counts_within_a_scope_and_a_state(
    services: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    for n, unit in enumerate(("U01", "U01", "U02")):
        holder = {"name": f"张{n}", "employee_number": f"G{n}"}
        issue(client, admin_headers, unit=unit, holder=holder)
    with services.read_sessions() as session:
        u01 = session.scalar(select(Unit.id).where(Unit.code == "U01"))
        assert u01 is not None
        assert count_in(session, unit_ids=[u01], state=None) == 2
        assert count_in(session, unit_ids=[u01], state=CredentialState.REVOKED) == 0
        assert count_in(session, unit_ids=None, state=CredentialState.ACTIVE) == 3
        assert count_in(session, unit_ids=[], state=None) == 0
        rows = unit_counts(session, unit_ids=[u01], by_level=False)
    assert rows == [("U01", "active", 2)]


def _change_many(services: Services, ids: list[str], state: CredentialState, barrier: Any) -> None:
    with session_scope(services.sessions) as session:
        barrier.wait(timeout=30)
        for credential_id in ids:
            session.execute(
                update(Credential).where(Credential.id == credential_id).values(state=state.value)
            )


# Two writers at once: PostgreSQL (SQLite has one writer at a time).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_changes_on_two_connections_keep_the_counts_exact(
    services: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    ids = [
        issue(client, admin_headers, holder={"name": f"赵{n}", "employee_number": f"H{n}"})["id"]
        for n in range(12)
    ]
    barrier = threading.Barrier(2)
    # Two transactions at once, each changing credentials of the same groups.
    threads = [
        threading.Thread(
            target=_change_many, args=(services, ids[:6], CredentialState.REVOKED, barrier)
        ),
        threading.Thread(
            target=_change_many, args=(services, ids[6:], CredentialState.SUSPENDED, barrier)
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert _states(services) == {"revoked": 6, "suspended": 6}
    assert_counts_exact(services)
    # A fold while another transaction's deltas are still uncommitted leaves them be.
    with services.sessions() as writer:
        writer.execute(
            update(Credential)
            .where(Credential.id.in_(ids[:3]))
            .values(state=CredentialState.ACTIVE.value)
        )
        with session_scope(services.sessions) as folding:
            fold_counts(folding)
        writer.commit()
    assert_counts_exact(services)
    assert _states(services) == {"active": 3, "revoked": 3, "suspended": 6}


def test_the_dashboard_and_the_totals_read_the_counts(
    services: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    for n in range(3):
        issue(client, admin_headers, holder={"name": f"孙{n}", "employee_number": f"K{n}"})
    # Counts that disagree with the rows show where the figures come from.
    with session_scope(services.sessions) as session:
        unit_id = _unit(services, "U01")
        session.add(RegisterCount(unit_id=unit_id, level_id=1, state="active", n=1000))
    page = client.get("/api/v1/credentials", params={"unit": "U01"}, headers=admin_headers).json()
    assert page["total"] == 1003
    assert page["total_exact"] is True
    with session_scope(services.sessions) as session:
        session.execute(text("DELETE FROM register_counts WHERE n = 1000"))
    assert_counts_exact(services)


def _unit(services: Services, code: str) -> int:
    with services.read_sessions() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == code))
    assert unit_id is not None
    return unit_id


def test_a_registrars_totals_and_dashboard_count_their_units_only(
    services: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    for n, unit in enumerate(("U01", "U02", "U02")):
        holder = {"name": f"周{n}", "employee_number": f"R{n}"}
        issue(client, admin_headers, unit=unit, holder=holder)
    registrar = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U01'])}"}
    page = client.get("/api/v1/credentials", headers=registrar).json()
    assert (page["total"], page["total_exact"]) == (1, True)
    assert [item["unit"]["code"] for item in page["items"]] == ["U01"]
    active = client.get("/api/v1/credentials", params={"state": "active"}, headers=registrar)
    assert active.json()["total"] == 1
    refused = client.get("/api/v1/credentials", params={"unit": "U02"}, headers=registrar)
    assert refused.status_code == 403
    with services.read_sessions() as session:
        mine = tally(session, CredentialFilter(), scope=("U01",), by=TallyBy.UNIT)
        everyone = tally(session, CredentialFilter(), scope=None, by=TallyBy.UNIT)
    assert mine == [("U01", "active", 1)]
    assert sorted(everyone) == [("U01", "active", 1), ("U02", "active", 2)]
