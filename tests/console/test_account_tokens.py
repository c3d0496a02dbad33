"""API tokens under My account: created once and shown once, used as Bearer tokens, revoked,
and never with more rights than the person's own."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from issuer.services import Services
from issuer.store.models import ApiToken, AuditEvent
from tests.console.helpers import csrf_of, make_user, signed_in
from tests.console.second_factor_helpers import form_token_of
from tests.helpers import make_token
from tests.issuer.helpers import load_catalog

_TOKEN = re.compile(r'<code id="new-token"[^>]*>(tsr_[A-Za-z0-9_-]+)</code>')


def _create(client: TestClient, data: dict[str, object]) -> Response:
    """Open My account and send its token form with ``data``."""
    account = client.get("/console/account")
    form = {"csrf_token": csrf_of(account.text), "form_token": form_token_of(account.text)}
    return client.post("/console/account/tokens", data={**form, **data}, follow_redirects=False)


def _actions(services: Services) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_token_made_in_the_console_works_once_shown_and_stops_when_revoked(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    principal_id = make_user(services, "admin@example.com")
    signed_in(console, "admin@example.com")
    created = _create(console, {"name": "夜间同步 nightly sync", "role": "auditor"})
    assert created.status_code == 201, created.text
    assert "只显示这一次" in created.text
    match = _TOKEN.search(created.text)
    assert match is not None
    plain = match.group(1)
    bearer = {"Authorization": f"Bearer {plain}"}
    assert console.get("/api/v1/credentials", headers=bearer).status_code == 200

    account = console.get("/console/account")
    assert "夜间同步 nightly sync" in account.text
    assert plain not in account.text  # never shown again
    assert plain[:10] in account.text  # its prefix is
    assert "审计员" in account.text
    assert "有效" in account.text
    with services.sessions() as session:
        token = session.scalars(select(ApiToken)).one()
    assert token.principal_id == principal_id
    assert token.role == "auditor"
    assert token.created_by_principal_id is None  # the owner's own

    revoked = console.post(
        f"/console/account/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_of(account.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/console/account?done=token_revoked"
    after = console.get(revoked.headers["location"])
    assert "令牌已撤销" in after.text
    assert "已撤销" in after.text
    assert console.get("/api/v1/credentials", headers=bearer).status_code == 401
    assert _actions(services)[-2:] == ["token.create", "token.revoke"]


def test_the_same_form_sent_twice_creates_one_token(
    console: TestClient, services: Services
) -> None:
    make_user(services, "admin@example.com")
    signed_in(console, "admin@example.com")
    account = console.get("/console/account")
    data = {
        "csrf_token": csrf_of(account.text),
        "form_token": form_token_of(account.text),
        "name": "reports",
        "role": "auditor",
    }
    first = console.post("/console/account/tokens", data=data, follow_redirects=False)
    second = console.post("/console/account/tokens", data=data, follow_redirects=False)
    assert first.status_code == 201
    assert second.status_code == 409
    assert "form_already_submitted" in second.text
    with services.sessions() as session:
        assert len(session.scalars(select(ApiToken)).all()) == 1


def test_a_registrar_gets_tokens_within_its_units_and_role_only(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    make_user(services, "registrar@example.com", role="registrar", units=["U01"])
    signed_in(console, "registrar@example.com")
    account = console.get("/console/account")
    assert '<option value="admin"' not in account.text
    assert 'value="U02"' not in account.text
    other_unit = _create(console, {"name": "x", "role": "registrar", "units": ["U02"]})
    assert other_unit.status_code == 403
    assert "rights_exceeded" in other_unit.text
    admin = _create(console, {"name": "x", "role": "admin"})
    assert admin.status_code == 403
    own = _create(console, {"name": "import script", "role": "registrar", "units": ["U01"]})
    assert own.status_code == 201, own.text
    with services.sessions() as session:
        tokens = session.scalars(select(ApiToken)).all()
    assert [(t.role, t.units) for t in tokens] == [("registrar", ["U01"])]


def test_bad_input_draws_the_form_again_with_what_was_typed(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    make_user(services, "admin@example.com")
    signed_in(console, "admin@example.com")
    past = _create(console, {"name": "old", "role": "auditor", "expires": "2001-01-01"})
    assert past.status_code == 422
    assert "无法创建令牌" in past.text
    assert 'value="old"' in past.text
    no_units = _create(console, {"name": "units?", "role": "registrar"})
    assert no_units.status_code == 422
    not_a_date = _create(console, {"name": "when?", "role": "auditor", "expires": "soon"})
    assert not_a_date.status_code == 422
    dated = _create(console, {"name": "dated", "role": "auditor", "expires": "2099-12-31"})
    assert dated.status_code == 201
    with services.sessions() as session:
        token = session.scalars(select(ApiToken)).one()  # the refused forms made none
    assert token.expires_at is not None
    assert token.expires_at.date().isoformat() == "2099-12-31"  # the day's end in Shanghai


def test_an_auditor_holds_auditor_tokens_and_no_one_revokes_anothers_here(
    console: TestClient, services: Services
) -> None:
    make_user(services, "auditor@example.com", role="auditor")
    other = make_token(services)  # someone else's token
    signed_in(console, "auditor@example.com")
    refused_role = _create(console, {"name": "read", "role": "registrar", "units": ["U01"]})
    assert refused_role.status_code == 403
    assert _create(console, {"name": "read", "role": "auditor"}).status_code == 201
    with services.sessions() as session:
        theirs = session.scalars(select(ApiToken).where(ApiToken.name != "read")).one()
    csrf = csrf_of(console.get("/console/account").text)
    refused = console.post(
        f"/console/account/tokens/{theirs.id}/revoke",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 404
    assert "text/html" in refused.headers["content-type"]
    bearer = {"Authorization": f"Bearer {other}"}
    assert console.get("/api/v1/credentials", headers=bearer).status_code == 200
