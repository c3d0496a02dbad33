"""The users page: admins create people (a new admin through a second admin's approval),
disable them, reset passwords, unlock and sign them out; no one else may."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.access.approvals import Operator, approve
from issuer.access.users import find_user
from issuer.errors import PermissionDeniedError
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import Approval, AuditEvent, ConsoleSession, Unit
from tests.console.helpers import PASSWORD, csrf_of, make_user, sign_in, signed_in
from tests.helpers import make_token

NEW_PASSWORD = "a brand new passphrase"
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _units(services: Services) -> None:
    with session_scope(services.sessions) as session:
        session.add(Unit(code="U01", name_zh="冶炼厂", name_en="Smelting Plant"))
        session.add(Unit(code="U02", name_zh="分离厂", name_en="Separation Plant"))


def _admin(console: TestClient, services: Services) -> str:
    _units(services)
    make_user(services, "admin@example.com", name="周敏")
    return signed_in(console, "admin@example.com")


def _new_user_form(console: TestClient, **values: str | list[str]) -> dict[str, str | list[str]]:
    page = console.get("/console/users")
    assert page.status_code == 200
    match = _FORM_TOKEN.search(page.text)
    assert match is not None
    form: dict[str, str | list[str]] = {
        "csrf_token": csrf_of(page.text),
        "form_token": match.group(1),
        "email": "li.na@example.com",
        "name": "李娜",
        "role": "registrar",
        "units": ["U01"],
        "sign_in": "password",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    form.update(values)
    return form


def _person(services: Services, email: str) -> tuple[int, str, list[str], str | None] | None:
    with services.sessions() as session:
        record = find_user(session, email)
        if record is None:
            return None
        return record.id, record.role, list(record.units), record.name


def test_a_created_registrar_signs_in_with_the_password(
    console: TestClient, services: Services
) -> None:
    _admin(console, services)
    form = _new_user_form(console)
    answer = console.post("/console/users", data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/users?done=created"
    listed = console.get("/console/users?done=created")
    assert "li.na@example.com" in listed.text
    assert "用户已创建" in listed.text
    assert listed.text.count("(Asia/Shanghai)</td>") == 1  # the admin's last sign-in
    person = _person(services, "li.na@example.com")
    assert person is not None
    assert person[1:] == ("registrar", ["U01"], "李娜")
    with services.sessions() as session:
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "user.create")
            .where(AuditEvent.target == f"principal:{person[0]}")
        ).one()
        assert event.actor.endswith(":周敏")
        assert NEW_PASSWORD not in str(event.details)
    again = console.post("/console/users", data=form, follow_redirects=False)
    assert again.status_code == 409  # the same form twice: refused, not a second user
    assert "form_already_submitted" in again.text
    assert sign_in(console, "li.na@example.com", NEW_PASSWORD).status_code == 303
    assert 'href="/console/users"' not in console.get("/console/").text
    listed = console.get("/console/users")
    assert listed.status_code == 403


def test_a_single_sign_on_user_has_no_password(console: TestClient, services: Services) -> None:
    _admin(console, services)
    form = _new_user_form(console, sign_in="sso", password="", password_again="", role="auditor")
    form["units"] = []
    assert console.post("/console/users", data=form).status_code == 200
    with services.sessions() as session:
        record = find_user(session, "li.na@example.com")
        assert record is not None
        assert record.password_hash is None
        assert record.role == "auditor"


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"password_again": "something else"}, "password_again", "the two passwords differ"),
        ({"password": "short", "password_again": "short"}, "password", "10 to 256 characters"),
        ({"email": "not an address"}, "email", "e-mail"),
        ({"units": []}, "units", "a registrar needs at least one unit"),
        ({"units": ["U99"]}, "units", "unknown unit code"),
        ({"email": "admin@example.com"}, "email", "a user with this e-mail exists"),
    ],
)
def test_a_refused_user_is_shown_beside_its_field_with_the_input_kept(
    console: TestClient,
    services: Services,
    values: dict[str, str | list[str]],
    field: str,
    words: str,
) -> None:
    _admin(console, services)
    form = _new_user_form(console, **values)
    answer = console.post("/console/users", data=form)
    assert answer.status_code == 422
    assert f'id="{field}-error"' in answer.text
    assert words in answer.text
    assert f'value="{form["email"]}"' in answer.text  # the input is kept
    assert 'value="李娜"' in answer.text
    assert NEW_PASSWORD not in answer.text  # but never a password
    assert f'value="{form["form_token"]}"' in answer.text  # still unused: it may be sent again
    if form["email"] != "admin@example.com":
        assert _person(services, str(form["email"])) is None
    fixed = {**form, **_new_user_form(console), "form_token": form["form_token"]}
    assert console.post("/console/users", data=fixed).status_code == 200


def test_a_new_admin_waits_for_a_second_admin_and_keeps_only_the_hash(
    console: TestClient, services: Services
) -> None:
    _admin(console, services)
    form = _new_user_form(console, role="admin", email="boss@example.com")
    form["units"] = []
    answer = console.post("/console/users", data=form, follow_redirects=False)
    assert answer.headers["location"] == "/console/users?done=requested"
    assert _person(services, "boss@example.com") is None
    with services.sessions() as session:
        approval = session.scalars(select(Approval)).one()
        assert approval.action == "user.create"
        assert approval.params["password_hash"].startswith("$argon2id$")
        events = session.scalars(select(AuditEvent)).all()
        assert all("$argon2id$" not in str(e.details) for e in events)
        assert all(NEW_PASSWORD not in str(e.details) for e in events)
    headers = {"Authorization": f"Bearer {make_token(services)}"}
    shown = console.get(f"/api/v1/approvals/{approval.id}", headers=headers).json()
    assert "password_hash" not in shown["params"]
    assert shown["params"]["email"] == "boss@example.com"
    decided = console.post(f"/api/v1/approvals/{approval.id}/approve", headers=headers)
    assert decided.status_code == 200, decided.text
    assert decided.json()["token"] is None
    person = _person(services, "boss@example.com")
    assert person is not None
    assert person[1] == "admin"
    with services.sessions() as session:
        assert "password_hash" not in session.get(Approval, approval.id).params  # type: ignore[union-attr]
    assert sign_in(console, "boss@example.com", NEW_PASSWORD).status_code == 303


def test_the_requester_cannot_approve_the_admin_they_asked_for(
    console: TestClient, services: Services
) -> None:
    _admin(console, services)
    form = _new_user_form(console, role="admin", email="boss@example.com")
    form["units"] = []
    console.post("/console/users", data=form)
    with services.sessions() as session:
        approval_id = session.scalars(select(Approval.id)).one()
        requester = find_user(session, "admin@example.com")
        assert requester is not None
    with session_scope(services.sessions) as session:
        actor = Actor(name=f"principal:{requester.id}:周敏", principal_id=requester.id)
        operator = Operator(services.settings.keys_dir, lambda: b"", "ES256", services.issuer)
        with pytest.raises(PermissionDeniedError):
            approve(session, approval_id, actor=actor, operator=operator, now=services.clock())


def _cookie(console: TestClient) -> str:
    value = console.cookies.get("tessera_console")
    assert value
    return value


def _use_cookie(console: TestClient, value: str) -> None:
    """Come back as the browser holding session ``value``."""
    console.cookies.clear()
    console.cookies.set("tessera_console", value)


def test_a_disabled_user_s_session_ends(console: TestClient, services: Services) -> None:
    _units(services)
    person = make_user(services, "li.na@example.com", "registrar", ["U01"], name="李娜")
    make_user(services, "admin@example.com", name="周敏")
    signed_in(console, "li.na@example.com")
    registrar_cookie = _cookie(console)
    csrf = signed_in(console, "admin@example.com")
    page = console.get(f"/console/users/{person}")
    assert "停用用户" in page.text
    answer = console.post(
        f"/console/users/{person}/disable", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answer.headers["location"] == f"/console/users/{person}?done=disabled"
    shown = console.get(f"/console/users/{person}?done=disabled").text
    assert "已停用" in shown
    assert "停用用户 <span" not in shown  # nothing more to do
    with services.sessions() as session:
        left = session.scalars(select(ConsoleSession.principal_id)).all()
        assert person not in left
    _use_cookie(console, registrar_cookie)
    answer = console.get("/console/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login")
    assert sign_in(console, "li.na@example.com").status_code == 401


def test_an_admin_resets_a_password_unlocks_and_signs_a_user_out(
    console: TestClient, services: Services
) -> None:
    _units(services)
    person = make_user(services, "li.na@example.com", "registrar", ["U01"], name="李娜")
    make_user(services, "admin@example.com", name="周敏")
    for _ in range(services.settings.console_lockout_failures):
        assert sign_in(console, "li.na@example.com", "wrong password!").status_code == 401
    csrf = signed_in(console, "admin@example.com")
    listed = console.get("/console/users").text
    assert "已锁定" in listed
    path = f"/console/users/{person}"
    assert "解除锁定" in console.get(path).text
    answer = console.post(f"{path}/unlock", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.headers["location"] == f"{path}?done=unlocked"
    mismatch = {"csrf_token": csrf, "password": NEW_PASSWORD, "password_again": "other"}
    answer = console.post(f"{path}/password", data=mismatch)
    assert answer.status_code == 422
    assert 'id="password_again-error"' in answer.text
    weak = {"csrf_token": csrf, "password": "aaaaaaaaaaaa", "password_again": "aaaaaaaaaaaa"}
    answer = console.post(f"{path}/password", data=weak)
    assert answer.status_code == 422
    assert 'id="password-error"' in answer.text
    good = {"csrf_token": csrf, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    answer = console.post(f"{path}/password", data=good, follow_redirects=False)
    assert answer.headers["location"] == f"{path}?done=password"
    with services.sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.target == f"principal:{person}")
        ).all()
        assert "user.unlock" in actions
        assert "user.password_set" in actions
    assert sign_in(console, "li.na@example.com", PASSWORD).status_code == 401
    assert sign_in(console, "li.na@example.com", NEW_PASSWORD).status_code == 303
    registrar_cookie = _cookie(console)
    csrf = signed_in(console, "admin@example.com")
    answer = console.post(f"{path}/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.headers["location"] == f"{path}?done=signed_out"
    _use_cookie(console, registrar_cookie)
    assert console.get("/console/", follow_redirects=False).status_code == 303


def test_another_admin_s_password_is_not_reset_here(
    console: TestClient, services: Services
) -> None:
    other = make_user(services, "other@example.com", name="另一位")
    csrf = _admin(console, services)
    page = console.get(f"/console/users/{other}")
    assert f'action="/console/users/{other}/password"' not in page.text
    form = {"csrf_token": csrf, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert console.post(f"/console/users/{other}/password", data=form).status_code == 403
    assert sign_in(console, "other@example.com", NEW_PASSWORD).status_code == 401


@pytest.mark.parametrize(("role", "units"), [("registrar", ["U01"]), ("auditor", [])])
def test_registrars_and_auditors_may_not_manage_users(
    console: TestClient, services: Services, role: str, units: list[str]
) -> None:
    _units(services)
    target = make_user(services, "target@example.com", "registrar", ["U01"])
    make_user(services, "someone@example.com", role, units)
    csrf = signed_in(console, "someone@example.com")
    assert console.get("/console/users").status_code == 403
    assert console.get(f"/console/users/{target}").status_code == 403
    form = {
        "csrf_token": csrf,
        "email": "new@example.com",
        "role": role,
        "units": units,
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    for path in ("", f"/{target}/disable", f"/{target}/password", f"/{target}/unlock"):
        answer = console.post(f"/console/users{path}", data=form)
        assert answer.status_code == 403, path
        assert "<form" not in answer.text
    assert console.post(f"/console/users/{target}/sign-out", data=form).status_code == 403
    assert _person(services, "new@example.com") is None
    assert sign_in(console, "target@example.com").status_code == 303
