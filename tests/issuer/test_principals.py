"""Maker-checker means two people: tokens belong to principals, approvals compare principals,
rights pass down and never up, and the batch threshold is a limit per principal per window.

Each test is named after the attack it stops (the outside review, items 3 and 4).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.store.audit import verify_chain
from issuer.store.models import ApiToken, AuditEvent, Credential, PrincipalRecord, SigningKey
from tests.helpers import make_token
from tests.issuer.helpers import load_catalog, run_cli
from tests.issuer.lifecycle_helpers import bearer, issue, post

REVOKE = {"reason": "exam_misconduct"}


@dataclasses.dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))


@pytest.fixture
def limited(settings: Settings, services: Services, clock: Clock) -> Iterator[TestClient]:
    """The app on a settable clock, with the catalog loaded and the default threshold (50)."""
    load_catalog(services)
    timed = dataclasses.replace(services, clock=clock)
    with TestClient(create_app(settings, services=timed)) as client:
        yield client


def _count(services: Services, model: Any) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _states(services: Services) -> dict[str, int]:
    with services.sessions() as session:
        rows = session.execute(
            select(Credential.state, func.count()).group_by(Credential.state)
        ).all()
    return {str(state): int(count) for state, count in rows}


def _own_token(client: TestClient, headers: dict[str, str], **body: Any) -> str:
    """Another token of the caller's own principal, through the API."""
    created = post(client, "/api/v1/tokens", headers, {"name": "second", **body})
    assert created.status_code == 201, created.text
    token: str = created.json()["token"]
    return token


def _issue(client: TestClient, headers: dict[str, str], count: int) -> list[str]:
    return [
        issue(client, headers, holder={"name": f"考生{n}", "employee_number": f"W-{n}"})["id"]
        for n in range(count)
    ]


# --- item 3: maker-checker means two people ---------------------------------------------------


def test_admin_cannot_approve_a_request_filed_with_another_token_of_the_same_principal(
    client: TestClient, services: Services
) -> None:
    maker = bearer(make_token(services))
    same_person = bearer(_own_token(client, maker))
    filed = post(client, "/api/v1/keys/rotate", maker)
    assert filed.status_code == 202
    approved = post(client, f"/api/v1/approvals/{filed.json()['id']}/approve", same_person)
    assert approved.status_code == 403
    assert approved.json()["code"] == "own_request"
    rejected = post(client, f"/api/v1/approvals/{filed.json()['id']}/reject", same_person)
    assert rejected.json()["code"] == "own_request"
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SigningKey)) == 1
    checker = bearer(make_token(services))
    assert post(client, f"/api/v1/approvals/{filed.json()['id']}/approve", checker).is_success


def test_admin_token_cannot_mint_an_admin_principal_without_approval(
    client: TestClient, services: Services
) -> None:
    maker = bearer(make_token(services))
    principals = _count(services, PrincipalRecord)
    filed = post(
        client,
        "/api/v1/principals",
        maker,
        {"name": "accomplice", "kind": "person", "role": "admin"},
    )
    assert filed.status_code == 202, filed.text
    assert filed.json()["action"] == "principal.create"
    assert _count(services, PrincipalRecord) == principals  # nothing created yet
    own = post(client, f"/api/v1/approvals/{filed.json()['id']}/approve", maker)
    assert own.json()["code"] == "own_request"

    checker = bearer(make_token(services))
    done = post(client, f"/api/v1/approvals/{filed.json()['id']}/approve", checker)
    assert done.status_code == 200
    new_admin = bearer(done.json()["token"])  # shown once, to the approver
    assert client.get("/api/v1/tokens", headers=new_admin).status_code == 200
    again = client.get(f"/api/v1/approvals/{filed.json()['id']}", headers=checker).json()
    assert again["token"] is None  # never stored
    assert again["decided_by_principal_id"] is not None


def test_admin_token_cannot_mint_a_token_for_another_admin_without_approval(
    client: TestClient, services: Services
) -> None:
    maker = bearer(make_token(services))
    other_admin = bearer(make_token(services))
    other_id = client.get("/api/v1/tokens", headers=other_admin).json()[-1]["principal_id"]
    tokens = _count(services, ApiToken)
    filed = post(client, "/api/v1/tokens", maker, {"name": "borrowed", "principal_id": other_id})
    assert filed.status_code == 202, filed.text
    assert filed.json()["action"] == "token.create"
    assert _count(services, ApiToken) == tokens
    done = post(client, f"/api/v1/approvals/{filed.json()['id']}/approve", other_admin)
    assert done.status_code == 200
    assert done.json()["token"].startswith("tsr_")
    assert _count(services, ApiToken) == tokens + 1


def test_admin_token_minted_through_the_api_is_the_same_principal_and_cannot_approve(
    client: TestClient, services: Services
) -> None:
    """The review's exact path: POST /api/v1/tokens with role admin, then approve."""
    maker = bearer(make_token(services))
    minted = bearer(_own_token(client, maker, role="admin"))
    filed = post(client, "/api/v1/keys/rotate", maker)
    assert (
        post(client, f"/api/v1/approvals/{filed.json()['id']}/approve", minted).status_code == 403
    )


def test_admin_cannot_approve_a_request_filed_by_a_principal_it_created(
    limited: TestClient, services: Services
) -> None:
    """A stooge: the admin creates a registrar and its token, files as it, approves."""
    admin = bearer(make_token(services))
    stooge = post(
        limited,
        "/api/v1/principals",
        admin,
        {"name": "stooge", "kind": "service", "role": "registrar", "units": ["U01"]},
    )
    assert stooge.status_code == 201, stooge.text
    token = post(
        limited, "/api/v1/tokens", admin, {"name": "stooge", "principal_id": stooge.json()["id"]}
    )
    assert token.status_code == 201, token.text
    registrar = bearer(token.json()["token"])
    _issue(limited, admin, 3)
    small = services.settings.model_copy(update={"batch_approval_threshold": 2})
    strict = TestClient(create_app(small, services=dataclasses.replace(services, settings=small)))
    filed = post(
        strict,
        "/api/v1/credentials/batch-revoke",
        registrar,
        {"exam_session": "2026-Q4-D3-R05", "reason": "exam_misconduct"},
    )
    assert filed.status_code == 202
    url = f"/api/v1/approvals/{filed.json()['approval']['id']}/approve"
    assert post(strict, url, admin).json()["code"] == "own_request"
    assert _states(services) == {"active": 3}
    assert post(strict, url, bearer(make_token(services))).status_code == 200


def test_admin_cannot_approve_for_a_principal_whose_token_it_minted(
    client: TestClient, services: Services
) -> None:
    admin = bearer(make_token(services))
    registrar = bearer(make_token(services, "registrar", ["U01"]))
    load_catalog(services)
    registrar_id = client.get("/api/v1/tokens", headers=admin).json()[-1]["principal_id"]
    minted = post(
        client, "/api/v1/tokens", admin, {"name": "borrowed", "principal_id": registrar_id}
    )
    assert minted.status_code == 201
    small = services.settings.model_copy(update={"batch_approval_threshold": 0})
    strict = TestClient(create_app(small, services=dataclasses.replace(services, settings=small)))
    credential = issue(client, admin)["id"]
    filed = post(
        strict, f"/api/v1/credentials/{credential}/revoke", bearer(minted.json()["token"]), REVOKE
    )
    assert filed.status_code == 202
    url = f"/api/v1/approvals/{filed.json()['id']}/approve"
    assert post(strict, url, admin).json()["code"] == "own_request"
    assert post(strict, url, registrar).status_code == 403  # registrars never decide
    assert post(strict, url, bearer(make_token(services))).status_code == 200


def test_registrar_cannot_create_a_token_with_more_units_or_a_higher_role(
    limited: TestClient, services: Services
) -> None:
    registrar = bearer(make_token(services, "registrar", ["U01"]))
    tokens = _count(services, ApiToken)
    for body in (
        {"units": ["U01", "U02"]},
        {"units": ["U02"]},
        {"role": "admin", "units": []},
        {"role": "auditor", "units": []},
    ):
        refused = post(limited, "/api/v1/tokens", registrar, {"name": "more", **body})
        assert refused.status_code == 403, body
        assert refused.json()["code"] == "rights_exceeded"
    refused = post(
        limited,
        "/api/v1/principals",
        registrar,
        {"name": "more", "kind": "person", "role": "registrar", "units": ["U01"]},
    )
    assert refused.status_code == 403
    assert _count(services, ApiToken) == tokens
    narrower = post(limited, "/api/v1/tokens", registrar, {"name": "same", "units": ["U01"]})
    assert narrower.status_code == 201
    assert narrower.json()["units"] == ["U01"]


def test_token_cannot_carry_more_rights_than_its_principal(
    client: TestClient, services: Services
) -> None:
    admin = bearer(make_token(services))
    load_catalog(services)
    make_token(services, "registrar", ["U01"])
    registrar_id = client.get("/api/v1/tokens", headers=admin).json()[-1]["principal_id"]
    for body in ({"role": "admin"}, {"units": ["U01", "U02"]}):
        refused = post(
            client, "/api/v1/tokens", admin, {"name": "x", "principal_id": registrar_id, **body}
        )
        assert refused.json()["code"] == "rights_exceeded", body


def test_disabled_principal_tokens_stop_at_once(client: TestClient, services: Services) -> None:
    admin = bearer(make_token(services))
    victim = bearer(make_token(services, "auditor"))
    victim_id = client.get("/api/v1/tokens", headers=admin).json()[-1]["principal_id"]
    assert client.get("/api/v1/audit", headers=victim).status_code == 200
    done = post(client, f"/api/v1/principals/{victim_id}/disable", admin)
    assert done.status_code == 200
    assert done.json()["disabled_at"] is not None
    assert client.get("/api/v1/audit", headers=victim).status_code == 401
    refused = post(client, "/api/v1/tokens", admin, {"name": "x", "principal_id": victim_id})
    assert refused.status_code == 409
    assert refused.json()["code"] == "principal_disabled"


def test_audit_names_the_principal_and_the_token_and_the_chain_verifies(
    client: TestClient, services: Services
) -> None:
    admin = bearer(make_token(services))
    second = _own_token(client, admin)
    with services.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "token.create")).one()
        token = session.scalars(select(ApiToken).where(ApiToken.name == "second")).one()
        assert event.actor.startswith(f"principal:{token.principal_id}:")
        assert event.details["token_id"] != token.id  # the token that acted, not the new one
        assert event.details["principal_id"] == token.principal_id
        assert verify_chain(session).ok
    assert second.startswith("tsr_")


# --- item 4: the batch threshold is a real limit ----------------------------------------------


def test_51st_single_revocation_in_the_window_becomes_an_approval_request(
    limited: TestClient, services: Services, clock: Clock
) -> None:
    maker = bearer(make_token(services))
    ids = _issue(limited, maker, 52)
    for credential_id in ids[:50]:
        done = post(limited, f"/api/v1/credentials/{credential_id}/revoke", maker, REVOKE)
        assert done.status_code == 200, done.text
    filed = post(limited, f"/api/v1/credentials/{ids[50]}/revoke", maker, REVOKE)
    assert filed.status_code == 202, filed.text
    assert filed.json()["action"] == "credential.revoke"
    assert _states(services) == {"revoked": 50, "active": 2}  # nothing changed
    suspend = post(limited, f"/api/v1/credentials/{ids[51]}/suspend", maker, REVOKE)
    assert suspend.status_code == 202  # suspensions count too

    checker = bearer(make_token(services))
    approved = post(limited, f"/api/v1/approvals/{filed.json()['id']}/approve", checker)
    assert approved.status_code == 200, approved.text
    assert approved.json()["result"] == {"credential_id": ids[50], "state": "revoked"}
    assert _states(services) == {"revoked": 51, "active": 1}
    # the approver's own count is untouched by what it approved
    assert post(limited, f"/api/v1/approvals/{suspend.json()['id']}/reject", checker).is_success
    assert post(limited, f"/api/v1/credentials/{ids[51]}/suspend", checker, REVOKE).is_success

    clock.now += dt.timedelta(seconds=services.settings.batch_approval_window_seconds + 1)
    assert post(limited, f"/api/v1/credentials/{ids[51]}/revoke", maker, REVOKE).is_success


def test_single_revocations_and_a_batch_add_up(limited: TestClient, services: Services) -> None:
    maker = bearer(make_token(services))
    ids = _issue(limited, maker, 3)
    small = services.settings.model_copy(update={"batch_approval_threshold": 2})
    strict = TestClient(create_app(small, services=dataclasses.replace(services, settings=small)))
    assert post(strict, f"/api/v1/credentials/{ids[0]}/revoke", maker, REVOKE).is_success
    batch = post(
        strict,
        "/api/v1/credentials/batch-revoke",
        maker,
        {"exam_session": "2026-Q4-D3-R05", "reason": "exam_misconduct"},
    )
    assert batch.status_code == 202  # a batch of 2 fits 2, but not after one single revocation
    assert batch.json()["approval"]["params"]["count"] == 2
    assert _states(services) == {"revoked": 1, "active": 2}


def test_new_principals_do_not_multiply_the_limit(limited: TestClient, services: Services) -> None:
    admin = bearer(make_token(services))
    ids = _issue(limited, admin, 3)
    small = services.settings.model_copy(update={"batch_approval_threshold": 2})
    strict = TestClient(create_app(small, services=dataclasses.replace(services, settings=small)))
    for credential_id in ids[:2]:
        assert post(strict, f"/api/v1/credentials/{credential_id}/revoke", admin, REVOKE).is_success
    created = post(
        strict,
        "/api/v1/principals",
        admin,
        {"name": "helper", "kind": "service", "role": "registrar", "units": ["U01"]},
    ).json()
    token = post(strict, "/api/v1/tokens", admin, {"name": "h", "principal_id": created["id"]})
    helper = bearer(token.json()["token"])
    filed = post(strict, f"/api/v1/credentials/{ids[2]}/revoke", helper, REVOKE)
    assert filed.status_code == 202


# --- the operator's CLI -----------------------------------------------------------------------


def test_cli_tokens_create_makes_a_principal_and_prints_the_token_last(
    settings: Settings, services: Services
) -> None:
    load_catalog(services)
    code, output = run_cli(settings, "tokens", "create", "--role", "registrar", "--unit", "U01")
    assert code == 0, output
    token = output.strip().splitlines()[-1]
    assert token.startswith("tsr_")
    with services.sessions() as session:
        owner = session.scalars(select(PrincipalRecord)).one()
        assert (owner.role, owner.units, owner.kind) == ("registrar", ["U01"], "service")
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions == ["principal.create", "token.create"]
    code, output = run_cli(
        settings, "tokens", "create", "--principal", str(owner.id), "--name", "b"
    )
    assert code == 0, output
    assert output.strip().splitlines()[-1].startswith("tsr_")
    code, output = run_cli(settings, "principals", "list")
    assert "registrar" in output
    code, output = run_cli(settings, "principals", "create", "--name", "Ada", "--role", "admin")
    assert code == 0, output
    code, output = run_cli(settings, "principals", "disable", str(owner.id))
    assert code == 0, output
    with TestClient(create_app(settings, services=services)) as client:
        assert client.get("/api/v1/credentials", headers=bearer(token)).status_code == 401
