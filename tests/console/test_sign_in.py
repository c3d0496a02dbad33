"""Signing in to the console: the form, Argon2id, cookies, CSRF, fixation, time-outs, lock-out."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.access.console_sessions import csrf_token
from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.store.models import AuditEvent, ConsoleSession, PrincipalRecord
from issuer.web.console.routes.sign_in import safe_next
from tests.console.helpers import PASSWORD, Clock, csrf_of, make_user, sign_in, signed_in
from tests.helpers import PASSPHRASE

EMAIL = "admin@example.com"


def _actions(services: Services) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_form_is_labelled_and_a_right_password_opens_the_console(
    console: TestClient, services: Services
) -> None:
    make_user(services, EMAIL, name="管理员")
    form = console.get("/console/login")
    assert form.status_code == 200
    assert '<label for="email">邮箱 Email</label>' in form.text
    assert '<label for="password">密码 Password</label>' in form.text
    assert form.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in form.headers["content-security-policy"]

    answer = sign_in(console, EMAIL)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/"
    cookie = next(v for k, v in answer.headers.multi_items() if v.startswith("tessera_console="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/" in flags
    assert "secure" not in flags  # development serves plain http
    page = console.get("/console/")
    assert page.status_code == 200
    assert "管理员" in page.text
    assert "user.sign_in" in _actions(services)
    with services.sessions() as session:
        stored = session.scalars(select(PrincipalRecord.password_hash)).one()
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_outside_development_the_cookie_is_secure_and_host_prefixed(
    settings: Settings, services: Services
) -> None:
    production = Settings(
        **{**settings.model_dump(), "environment": "production", "key_passphrase": PASSPHRASE}
    )
    make_user(services, EMAIL)
    served = dataclasses.replace(services, settings=production)
    with TestClient(create_app(production, services=served), base_url="https://testserver") as c:
        form = c.get("/console/login")
        answer = sign_in(c, EMAIL)
    assert answer.status_code == 303, answer.text
    # Browsers keep a __Host- cookie only with Secure, Path=/ and no Domain (RFC 6265bis).
    set_cookies = [
        value
        for response in (form, answer)
        for key, value in response.headers.multi_items()
        if key == "set-cookie"
    ]
    assert len(set_cookies) >= 3  # the form's cookie, then the session's and the form's end
    for set_cookie in set_cookies:
        name = set_cookie.split("=", 1)[0]
        flags = [part.strip().lower() for part in set_cookie.split(";")]
        assert name.startswith("__Host-tessera_"), set_cookie
        assert "secure" in flags
        assert "path=/" in flags
        assert not any(flag.startswith("domain=") for flag in flags)
    cookie = next(v for k, v in answer.headers.multi_items() if "tessera_console=" in v)
    assert cookie.startswith("__Host-tessera_console=")


def test_pages_send_a_signed_out_browser_to_the_sign_in_form_and_back(
    console: TestClient, services: Services
) -> None:
    make_user(services, EMAIL)
    answer = console.get("/console/account", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?next=/console/account"
    form = console.get(answer.headers["location"])
    assert 'name="next" value="/console/account"' in form.text
    signed = console.post(
        "/console/login",
        data={
            "csrf_token": csrf_of(form.text),
            "email": EMAIL,
            "password": PASSWORD,
            "next": "/console/account",
        },
        follow_redirects=False,
    )
    assert signed.headers["location"] == "/console/account"


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/console/credentials?q=1", "/console/credentials?q=1"),
        ("//evil.example/console/", "/console/"),
        ("https://evil.example/", "/console/"),
        ("/console//evil.example", "/console/"),
        ("/console/\\evil", "/console/"),
        ("/api/v1/credentials", "/console/"),
        (None, "/console/"),
    ],
)
def test_after_sign_in_only_console_paths_are_followed(asked: str | None, goes: str) -> None:
    assert safe_next(asked) == goes


def test_wrong_password_and_unknown_email_read_the_same(
    console: TestClient, services: Services
) -> None:
    make_user(services, EMAIL)
    wrong = sign_in(console, EMAIL, "not the password at all")
    unknown = sign_in(console, "nobody@example.com", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "邮箱或密码错误" in wrong.text
    alert = wrong.text.split('role="alert"')[1].split("</p>")[0]
    assert alert == unknown.text.split('role="alert"')[1].split("</p>")[0]
    assert "not the password" not in wrong.text  # the password is never echoed
    assert 'value="admin@example.com"' in wrong.text
    assert "tessera_console=" not in wrong.headers.get("set-cookie", "")


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    console: TestClient, services: Services, settings: Settings, clock: Clock
) -> None:
    make_user(services, EMAIL)
    for _ in range(settings.console_lockout_failures):
        assert sign_in(console, EMAIL, "wrong password, again").status_code == 401
    assert sign_in(console, EMAIL).status_code == 401  # locked: the right password too
    assert _actions(services).count("user.sign_in_locked") == 1
    clock.advance(minutes=settings.console_lockout_minutes + 1)
    assert sign_in(console, EMAIL).status_code == 303


def test_failures_are_answered_more_slowly_each_time(
    console: TestClient, services: Services
) -> None:
    make_user(services, EMAIL)
    sign_in(console, EMAIL, "wrong password, one")
    sign_in(console, EMAIL, "wrong password, two")
    # The delay grows with this browser's failures in a row, which it is told to keep.
    assert console.cookies.get("tessera_sign_in_failures") == "2"


def test_forms_without_the_csrf_token_or_from_another_site_are_refused(
    console: TestClient, services: Services
) -> None:
    make_user(services, EMAIL)
    console.get("/console/login")
    bare = console.post(
        "/console/login", data={"email": EMAIL, "password": PASSWORD}, follow_redirects=False
    )
    assert bare.status_code == 403
    assert "csrf_failed" in bare.text
    assert "text/html" in bare.headers["content-type"]
    csrf = signed_in(console, EMAIL)
    assert console.post("/console/logout", data={}, follow_redirects=False).status_code == 403
    forged = console.post("/console/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    cross = console.post(
        "/console/logout",
        data={"csrf_token": csrf},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    other_origin = console.post(
        "/console/logout",
        data={"csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert other_origin.status_code == 403
    assert console.get("/console/", follow_redirects=False).status_code == 200  # still in
    out = console.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert console.get("/console/", follow_redirects=False).status_code == 303


def test_a_session_value_planted_before_sign_in_is_never_the_signed_in_one(
    console: TestClient, services: Services
) -> None:
    make_user(services, EMAIL)
    planted = "attacker-chosen-value-0123456789abcdefghijklmn"
    console.cookies.set("tessera_console", planted)
    assert console.get("/console/", follow_redirects=False).status_code == 303
    answer = sign_in(console, EMAIL)
    assert answer.status_code == 303
    issued = answer.cookies.get("tessera_console")
    assert issued is not None
    assert issued != planted
    planted_client = TestClient(console.app)
    planted_client.cookies.set("tessera_console", planted)
    assert planted_client.get("/console/", follow_redirects=False).status_code == 303
    with services.sessions() as session:
        hashes = list(session.scalars(select(ConsoleSession.token_hash)))
    assert issued not in hashes  # only the SHA-256 is stored
    assert len(hashes) == 1


def test_sessions_end_when_idle_and_at_their_absolute_limit(
    console: TestClient, services: Services, settings: Settings, clock: Clock
) -> None:
    make_user(services, EMAIL)
    signed_in(console, EMAIL)
    clock.advance(minutes=settings.console_idle_minutes - 5)
    assert console.get("/console/", follow_redirects=False).status_code == 200  # activity
    clock.advance(minutes=settings.console_idle_minutes - 5)
    assert console.get("/console/", follow_redirects=False).status_code == 200
    clock.advance(minutes=settings.console_idle_minutes + 1)
    assert console.get("/console/", follow_redirects=False).status_code == 303  # idle

    signed_in(console, EMAIL)
    steps = int(settings.console_absolute_hours * 60 / (settings.console_idle_minutes / 2)) + 1
    statuses = []
    for _ in range(steps):
        clock.advance(minutes=settings.console_idle_minutes / 2)
        statuses.append(console.get("/console/", follow_redirects=False).status_code)
    assert statuses[0] == 200
    assert statuses[-1] == 303  # busy all along, but past the absolute limit


def test_sign_out_everywhere_ends_every_session_of_the_person(
    settings: Settings, timed_services: Services
) -> None:
    make_user(timed_services, EMAIL)
    app = create_app(settings, services=timed_services)
    with TestClient(app) as laptop, TestClient(app) as phone:
        csrf = signed_in(laptop, EMAIL)
        signed_in(phone, EMAIL)
        assert phone.get("/console/", follow_redirects=False).status_code == 200
        out = laptop.post(
            "/console/logout-everywhere", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert out.status_code == 303
        assert phone.get("/console/", follow_redirects=False).status_code == 303
        assert laptop.get("/console/", follow_redirects=False).status_code == 303
    assert "user.sign_out_everywhere" in _actions(timed_services)


def test_a_disabled_person_is_signed_out_at_the_next_request(
    console: TestClient, services: Services, clock: Clock
) -> None:
    principal_id = make_user(services, EMAIL)
    signed_in(console, EMAIL)
    with services.sessions() as session:
        person = session.get(PrincipalRecord, principal_id)
        assert person is not None
        person.disabled_at = clock()
        session.commit()
    assert console.get("/console/", follow_redirects=False).status_code == 303
    assert sign_in(console, EMAIL).status_code == 401


def test_the_csrf_token_depends_on_the_session() -> None:
    assert csrf_token("a") != csrf_token("b")
    assert len(csrf_token("a")) == 64
