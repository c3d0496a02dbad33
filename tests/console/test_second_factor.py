"""The second factor: setting it up, the code step of signing in, replays, lock-out, the
admins-must-enrol setting, turning it off, the operator's reset, the secret sealed at rest."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from issuer.access.totp import open_secret
from issuer.app import create_app
from issuer.config import Settings
from issuer.errors import ConfigurationError
from issuer.keys.sealed import seal, unseal
from issuer.services import Services
from issuer.store.models import AuditEvent, ConsoleSession, PrincipalRecord
from tests.console.helpers import PASSWORD, Clock, csrf_of, make_user, sign_in, signed_in
from tests.console.second_factor_helpers import (
    code_at,
    enrol,
    pending_of,
    secret_of,
    send_code,
)
from tests.helpers import PASSPHRASE
from tests.issuer.helpers import run_cli

EMAIL = "admin@example.com"
QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _events(services: Services) -> list[tuple[str, dict[str, object] | None]]:
    with services.sessions() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.details).order_by(AuditEvent.id)
        )
        return [(action, details) for action, details in rows]


def _person(services: Services, principal_id: int) -> PrincipalRecord:
    with services.sessions() as session:
        person = session.get(PrincipalRecord, principal_id)
        assert person is not None
        session.expunge(person)
        return person


def _enrolled(console: TestClient, services: Services, clock: Clock) -> tuple[int, str]:
    """A signed-in admin who set up the second factor, then signed out."""
    principal_id = make_user(services, EMAIL, name="管理员")
    signed_in(console, EMAIL)
    secret = enrol(console, clock())
    csrf = csrf_of(console.get("/console/account").text)
    assert console.post("/console/logout", data={"csrf_token": csrf}).status_code == 200
    return principal_id, secret


def test_setting_up_shows_a_scannable_secret_and_stores_it_only_sealed_once_confirmed(
    console: TestClient, services: Services, clock: Clock
) -> None:
    principal_id = make_user(services, EMAIL)
    signed_in(console, EMAIL)
    account = console.get("/console/account")
    assert "设置动态验证码" in account.text
    form = console.get("/console/account/second-factor")
    assert form.status_code == 200
    secret = secret_of(form.text)
    assert len(secret) == 32
    data_url = form.text.split('class="totp-qr" src="')[1].split('"')[0]
    assert data_url.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    [decoded] = [found.text for found in zxingcpp.read_barcodes(image, formats=QR)]
    assert decoded.startswith("otpauth://totp/")
    assert f"secret={secret}" in decoded
    assert "admin%40example.com" in decoded
    assert _person(services, principal_id).totp_secret is None  # shown, not stored

    wrong = console.post(
        "/console/account/second-factor",
        data={
            "csrf_token": csrf_of(form.text),
            "pending": pending_of(form.text),
            "code": code_at(secret, clock(), steps=5),
        },
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert secret_of(wrong.text) == secret  # the same secret, to try again
    assert _person(services, principal_id).totp_secret is None

    right = console.post(
        "/console/account/second-factor",
        data={
            "csrf_token": csrf_of(form.text),
            "pending": pending_of(form.text),
            "code": code_at(secret, clock()),
        },
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/console/account?done=totp_enabled"
    assert "关闭动态验证码" in console.get(right.headers["location"]).text
    with services.sessions() as session:
        row = session.execute(
            select(PrincipalRecord.__table__).where(PrincipalRecord.id == principal_id)
        ).one()
    stored = row.totp_secret
    assert stored.startswith("v1:")
    assert all(secret not in str(value) for value in row)
    assert secret.lower() not in stored.lower()
    assert open_secret(PASSPHRASE.encode(), _person(services, principal_id)) == secret
    assert "user.totp_enable" in [action for action, _ in _events(services)]


def test_a_tampered_or_foreign_set_up_form_is_refused(
    console: TestClient, services: Services
) -> None:
    make_user(services, EMAIL)
    signed_in(console, EMAIL)
    form = console.get("/console/account/second-factor")
    mine = seal(PASSPHRASE.encode(), "tessera totp enrolment", "A" * 32, bound_to="999:999")
    answer = console.post(
        "/console/account/second-factor",
        data={"csrf_token": csrf_of(form.text), "pending": mine, "code": "123456"},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    assert "text/html" in answer.headers["content-type"]
    assert "invalid_form_token" in answer.text


def test_signing_in_asks_for_the_code_and_the_waiting_session_opens_nothing_else(
    console: TestClient, services: Services, clock: Clock
) -> None:
    principal_id, secret = _enrolled(console, services, clock)
    clock.advance(seconds=30)  # a new code: the set-up's step is used up
    answer = sign_in(console, EMAIL)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/second-factor?next=/console/"
    waiting = console.cookies.get("tessera_console")
    for path in ("/console/", "/console/account", "/console/account/second-factor"):
        refused = console.get(path, follow_redirects=False)
        assert refused.status_code == 303, path
        assert refused.headers["location"].startswith("/console/login")
    csrf = csrf_of(console.get("/console/second-factor").text)
    out = console.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"].startswith("/console/login?")  # not signed in: no sign-out

    page = console.get("/console/second-factor")
    label = '<label for="code">动态验证码 <span class="en" lang="en">One-time code</span></label>'
    assert label in page.text
    wrong = send_code(console, code_at(secret, clock(), steps=3))
    assert wrong.status_code == 401
    assert "验证码不正确" in wrong.text
    assert _person(services, principal_id).failed_sign_ins == 1

    right = send_code(console, code_at(secret, clock()))
    assert right.status_code == 303
    assert right.headers["location"] == "/console/"
    signed = console.cookies.get("tessera_console")
    assert signed is not None
    assert signed != waiting  # a new value after the second factor
    assert console.get("/console/", follow_redirects=False).status_code == 200
    assert _person(services, principal_id).failed_sign_ins == 0
    assert ("user.sign_in", {"method": "password+totp"}) in _events(services)
    with services.sessions() as session:
        session_row = session.scalars(select(ConsoleSession)).one()
    assert session_row.stage == "signed_in"
    assert session_row.expires_at - clock() > dt.timedelta(hours=1)  # no longer 5 minutes


def test_the_page_asked_for_keeps_its_query_through_the_code_step(
    console: TestClient, services: Services, clock: Clock
) -> None:
    _principal_id, secret = _enrolled(console, services, clock)
    clock.advance(seconds=30)
    form = console.get("/console/login")
    answer = console.post(
        "/console/login",
        data={
            "csrf_token": csrf_of(form.text),
            "email": EMAIL,
            "password": PASSWORD,
            "next": "/console/account?done=token_revoked&x=1",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == (
        "/console/second-factor?next=/console/account%3Fdone%3Dtoken_revoked%26x%3D1"
    )
    page = console.get(answer.headers["location"])
    assert 'name="next" value="/console/account?done=token_revoked&amp;x=1"' in page.text
    done = send_code(
        console, code_at(secret, clock()), next_path="/console/account?done=token_revoked&x=1"
    )
    assert done.headers["location"] == "/console/account?done=token_revoked&x=1"


def test_a_code_is_accepted_once_and_one_step_of_drift_either_way(
    settings: Settings, timed_services: Services, clock: Clock
) -> None:
    app = create_app(settings, services=timed_services)
    with TestClient(app) as console:
        _principal_id, secret = _enrolled(console, timed_services, clock)
    clock.advance(seconds=60)  # two steps after the set-up's
    with TestClient(app) as first, TestClient(app) as second, TestClient(app) as third:
        sign_in(first, EMAIL)
        assert send_code(first, code_at(secret, clock(), steps=-2)).status_code == 401
        assert send_code(first, code_at(secret, clock(), steps=-1)).status_code == 303
        sign_in(second, EMAIL)
        assert send_code(second, code_at(secret, clock(), steps=-1)).status_code == 401  # replay
        assert send_code(second, code_at(secret, clock(), steps=2)).status_code == 401
        assert send_code(second, code_at(secret, clock(), steps=1)).status_code == 303
        sign_in(third, EMAIL)
        # The current step comes before the last one used (+1): its code is refused too.
        assert send_code(third, code_at(secret, clock())).status_code == 401


def test_wrong_codes_lock_the_account_and_end_the_waiting_session(
    console: TestClient, services: Services, settings: Settings, clock: Clock
) -> None:
    _principal_id, secret = _enrolled(console, services, clock)
    clock.advance(seconds=30)
    sign_in(console, EMAIL)
    answers = [
        send_code(console, code_at(secret, clock(), steps=5 + n))
        for n in range(settings.console_lockout_failures)
    ]
    assert [answer.status_code for answer in answers] == [401] * len(answers)
    assert all("验证码不正确" in answer.text for answer in answers[:-1])
    last = answers[-1]
    assert last.status_code == 401
    assert "登录已失效" in last.text
    with services.sessions() as session:
        assert session.scalars(select(ConsoleSession)).all() == []
    assert [a for a, _ in _events(services)].count("user.sign_in_locked") == 1
    assert sign_in(console, EMAIL).status_code == 401  # locked: the password too
    clock.advance(minutes=settings.console_lockout_minutes + 1)
    assert sign_in(console, EMAIL).status_code == 303
    assert send_code(console, code_at(secret, clock())).status_code == 303


def test_the_waiting_session_ends_after_five_minutes(
    console: TestClient, services: Services, clock: Clock
) -> None:
    _principal_id, secret = _enrolled(console, services, clock)
    clock.advance(seconds=30)
    sign_in(console, EMAIL)
    csrf = csrf_of(console.get("/console/second-factor").text)
    clock.advance(minutes=5, seconds=1)
    assert console.get("/console/second-factor", follow_redirects=False).status_code == 303
    late = console.post(
        "/console/second-factor",
        data={"csrf_token": csrf, "code": code_at(secret, clock()), "next": "/console/"},
        follow_redirects=False,
    )
    assert late.status_code == 401
    assert "登录已失效" in late.text
    assert console.get("/console/", follow_redirects=False).status_code == 303


def test_admins_must_enrol_first_when_the_setting_asks(
    settings: Settings, timed_services: Services, clock: Clock
) -> None:
    strict = Settings(**{**settings.model_dump(), "console_require_totp_for_admins": True})
    served = dataclasses.replace(timed_services, settings=strict)
    make_user(served, EMAIL)
    make_user(served, "auditor@example.com", role="auditor")
    with TestClient(create_app(strict, services=served)) as console:
        assert sign_in(console, EMAIL).status_code == 303
        for path in ("/console/", "/console/account"):
            sent = console.get(path, follow_redirects=False)
            assert sent.status_code == 303, path
            assert sent.headers["location"] == "/console/account/second-factor"
        form = console.get("/console/account/second-factor")
        assert "管理员须先设置动态验证码" in form.text
        csrf = csrf_of(form.text)
        blocked = console.post(
            "/console/account/tokens", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert blocked.headers["location"] == "/console/account/second-factor"
        secret = secret_of(form.text)
        confirmed = console.post(
            "/console/account/second-factor",
            data={
                "csrf_token": csrf,
                "pending": pending_of(form.text),
                "code": code_at(secret, clock()),
            },
            follow_redirects=False,
        )
        assert confirmed.status_code == 303
        assert console.get("/console/", follow_redirects=False).status_code == 200
    with TestClient(create_app(strict, services=served)) as other:
        signed_in(other, "auditor@example.com")  # not an admin: not asked
        assert other.get("/console/", follow_redirects=False).status_code == 200
    with TestClient(create_app(strict, services=served)) as leaving:
        make_user(served, "second-admin@example.com")
        sign_in(leaving, "second-admin@example.com")
        csrf = csrf_of(leaving.get("/console/account/second-factor").text)
        out = leaving.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert out.headers["location"] == "/console/login"  # signing out stays possible


def test_turning_it_off_needs_a_current_code(
    console: TestClient, services: Services, clock: Clock
) -> None:
    principal_id = make_user(services, EMAIL)
    signed_in(console, EMAIL)
    secret = enrol(console, clock())
    csrf = csrf_of(console.get("/console/account").text)
    reused = console.post(
        "/console/account/second-factor/disable",
        data={"csrf_token": csrf, "code": code_at(secret, clock())},  # the set-up's code
        follow_redirects=False,
    )
    assert reused.status_code == 422
    assert "验证码不正确或已使用" in reused.text
    assert _person(services, principal_id).totp_secret is not None
    clock.advance(seconds=30)
    off = console.post(
        "/console/account/second-factor/disable",
        data={"csrf_token": csrf, "code": code_at(secret, clock())},
        follow_redirects=False,
    )
    assert off.status_code == 303
    assert _person(services, principal_id).totp_secret is None
    assert "user.totp_disable" in [action for action, _ in _events(services)]
    console.post("/console/logout", data={"csrf_token": csrf})
    assert sign_in(console, EMAIL).headers["location"] == "/console/"  # the password alone


def test_the_operator_resets_a_lost_phone(
    console: TestClient, services: Services, settings: Settings, clock: Clock
) -> None:
    principal_id, _secret = _enrolled(console, services, clock)
    status, output = run_cli(settings, "users", "reset-totp", EMAIL)
    assert status == 0, output
    assert "removed" in output
    assert _person(services, principal_id).totp_secret is None
    assert ("user.totp_disable", {"reset": True}) in _events(services)
    assert sign_in(console, EMAIL, PASSWORD).headers["location"] == "/console/"
    status, output = run_cli(settings, "users", "reset-totp", EMAIL)
    assert (status, "has no second factor" in output) == (0, True)


def test_a_sealed_secret_opens_only_with_its_passphrase_and_row() -> None:
    sealed = seal(b"one passphrase", "purpose", "JBSWY3DPEHPK3PXP", bound_to="principal:1")
    assert unseal(b"one passphrase", "purpose", sealed, bound_to="principal:1") == (
        "JBSWY3DPEHPK3PXP"
    )
    assert sealed != seal(b"one passphrase", "purpose", "JBSWY3DPEHPK3PXP", bound_to="principal:1")
    for passphrase, purpose, bound in (
        (b"another passphrase", "purpose", "principal:1"),
        (b"one passphrase", "another purpose", "principal:1"),
        (b"one passphrase", "purpose", "principal:2"),
    ):
        with pytest.raises(ConfigurationError):
            unseal(passphrase, purpose, sealed, bound_to=bound)
    with pytest.raises(ConfigurationError):
        unseal(b"one passphrase", "purpose", "v2:" + sealed[3:], bound_to="principal:1")
    with pytest.raises(ConfigurationError):
        unseal(b"one passphrase", "purpose", sealed[:-4] + "AAAA", bound_to="principal:1")
