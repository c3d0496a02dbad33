"""Single sign-on through a real OpenID Connect provider (node-oidc-provider): linking by a
verified e-mail, no accounts made, refused answers as pages, nothing secret in the logs."""

from __future__ import annotations

import dataclasses
import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import SecretStr
from sqlalchemy import select

from issuer.access.oidc import Client, ProviderCache
from issuer.app import create_app
from issuer.config import Settings, load_settings
from issuer.errors import ConfigurationError
from issuer.services import Services
from issuer.store.models import AuditEvent, ConsoleSession, PrincipalRecord
from tests.console.helpers import make_user
from tests.console.sso_provider import (
    CLIENT_SECRET,
    LABEL,
    REGISTRAR,
    REGISTRAR_EMAIL,
    STRANGER,
    UNVERIFIED,
    local,
    provider_sign_in,
    sso_settings,
)
from tests.issuer.helpers import load_catalog
from tests.servers import free_port

SsoConsole = tuple[TestClient, str]


def _start(client: TestClient) -> str:
    """Click the button: the provider's authorization URL the browser is sent to."""
    answer = client.get("/console/sso/start", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def _sign_in(client: TestClient, login: str) -> tuple[str, Response]:
    """The whole way through the provider; (callback path, the callback's answer)."""
    callback = local(provider_sign_in(_start(client), login))
    return callback, client.get(callback, follow_redirects=False)


def _audit(services: Services) -> list[tuple[str, dict[str, object] | None]]:
    with services.sessions() as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.details).order_by(AuditEvent.id)
        )
        return [(action, details) for action, details in rows]


def _subject(services: Services, email: str) -> str | None:
    with services.sessions() as session:
        return session.scalars(
            select(PrincipalRecord.oidc_subject).where(PrincipalRecord.email == email)
        ).one()


def test_the_sign_in_page_offers_single_sign_on_only_when_it_is_set_up(
    console: TestClient, sso_console: SsoConsole
) -> None:
    plain = console.get("/console/login")
    assert "/console/sso/start" not in plain.text
    assert console.get("/console/sso/start").status_code == 404
    client, _issuer = sso_console
    page = client.get("/console/login?next=/console/account")
    assert f'使用单点登录 <span class="en" lang="en">Sign in with {LABEL}</span>' in page.text
    assert 'href="/console/sso/start?next=/console/account"' in page.text


def test_the_start_asks_for_a_code_with_pkce_state_and_nonce(sso_console: SsoConsole) -> None:
    client, issuer = sso_console
    answer = client.get("/console/sso/start?next=/console/account", follow_redirects=False)
    target = urlsplit(answer.headers["location"])
    query = {name: values[0] for name, values in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}" == issuer
    assert query["response_type"] == "code"
    assert query["scope"] == "openid email profile"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43
    assert len(query["nonce"]) >= 43
    assert query["redirect_uri"].endswith("/console/sso/callback")
    cookie = next(v for k, v in answer.headers.multi_items() if v.startswith("tessera_sso="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "max-age=600" in flags
    assert "path=/" in flags


def test_a_verified_email_links_the_user_and_the_subject_signs_in_afterwards(
    sso_console: SsoConsole, services: Services
) -> None:
    client, issuer = sso_console
    make_user(services, REGISTRAR_EMAIL, name="李娜")
    _callback, answer = _sign_in(client, REGISTRAR)
    assert answer.status_code == 200, answer.text
    assert 'http-equiv="refresh" content="0;url=/console/"' in answer.text
    session_cookie = next(
        v for k, v in answer.headers.multi_items() if v.startswith("tessera_console=")
    )
    assert "samesite=strict" in [part.strip().lower() for part in session_cookie.split(";")]
    home = client.get("/console/")
    assert home.status_code == 200
    assert "李娜" in home.text
    assert _subject(services, REGISTRAR_EMAIL) == f"{issuer} {REGISTRAR}"
    with services.sessions() as session:
        assert session.scalars(select(ConsoleSession.method)).all() == ["sso"]
    events = _audit(services)
    assert ("user.sso_link", {"issuer": issuer}) in events
    assert ("user.sign_in", {"method": "sso"}) in events

    # Signed out, the same person signs in again by the link, not the e-mail.
    client.cookies.clear()
    _callback, again = _sign_in(client, REGISTRAR)
    assert again.status_code == 200
    assert [action for action, _ in _audit(services)].count("user.sso_link") == 1
    assert [action for action, _ in _audit(services)].count("user.sign_in") == 2


def test_an_unverified_email_is_not_linked(sso_console: SsoConsole, services: Services) -> None:
    client, _issuer = sso_console
    make_user(services, REGISTRAR_EMAIL)
    _callback, answer = _sign_in(client, UNVERIFIED)
    assert answer.status_code == 403
    assert "sso_no_account" in answer.text
    assert _subject(services, REGISTRAR_EMAIL) is None
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_an_unknown_person_gets_a_page_and_no_account(
    sso_console: SsoConsole, services: Services
) -> None:
    client, _issuer = sso_console
    _callback, answer = _sign_in(client, STRANGER)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "no console account for this identity; ask an admin" in answer.text
    assert "此身份没有控制台账户，请联系管理员。" in answer.text  # the meaning, in words
    with services.sessions() as session:
        assert session.scalars(select(PrincipalRecord.email)).all() == []
        assert session.scalars(select(ConsoleSession.id)).all() == []


def test_a_disabled_person_is_refused(sso_console: SsoConsole, services: Services) -> None:
    client, _issuer = sso_console
    person = make_user(services, REGISTRAR_EMAIL)
    with services.sessions() as session:
        record = session.get(PrincipalRecord, person)
        assert record is not None
        record.disabled_at = services.clock()
        session.commit()
    _callback, answer = _sign_in(client, REGISTRAR)
    assert answer.status_code == 403
    assert "principal_disabled" in answer.text
    assert "此账户已停用" in answer.text
    with services.sessions() as session:
        assert session.scalars(select(ConsoleSession.id)).all() == []


def test_an_answer_with_another_state_is_refused(
    sso_console: SsoConsole, services: Services
) -> None:
    client, _issuer = sso_console
    make_user(services, REGISTRAR_EMAIL)
    callback = local(provider_sign_in(_start(client), REGISTRAR))
    path, query = callback.split("?", 1)
    params = {name: values[0] for name, values in parse_qs(query).items()}
    forged = client.get(path, params={**params, "state": "x" * 43}, follow_redirects=False)
    assert forged.status_code == 401
    assert "sso_failed" in forged.text
    assert "Single sign-on did not succeed; please sign in again." in forged.text
    assert "does not belong to the sign-in started here" in forged.text
    # The state is good for one answer: the cookie is gone, the real answer comes too late.
    late = client.get(callback, follow_redirects=False)
    assert late.status_code == 401
    assert "has expired or was started in another browser" in late.text
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_a_used_code_is_refused_by_the_provider(
    sso_console: SsoConsole, services: Services
) -> None:
    client, _issuer = sso_console
    make_user(services, REGISTRAR_EMAIL)
    callback = local(provider_sign_in(_start(client), REGISTRAR))
    flow = client.cookies.get("tessera_sso")
    assert flow is not None
    assert client.get(callback, follow_redirects=False).status_code == 200
    client.cookies.clear()
    client.cookies.set("tessera_sso", flow)  # as if the answer and its cookie were copied
    replay = client.get(callback, follow_redirects=False)
    assert replay.status_code == 401
    assert "refused the code (invalid_grant)" in replay.text
    with services.sessions() as session:
        assert len(session.scalars(select(ConsoleSession.id)).all()) == 1


def test_the_providers_error_is_shown_as_a_page(sso_console: SsoConsole) -> None:
    client, _issuer = sso_console
    state = parse_qs(urlsplit(_start(client)).query)["state"][0]
    answer = client.get(
        "/console/sso/callback",
        params={"state": state, "error": "access_denied", "error_description": "<b>no</b>"},
    )
    assert answer.status_code == 401
    assert "did not sign you in (access_denied)" in answer.text
    assert "<b>no</b>" not in answer.text


def test_an_answer_naming_another_issuer_is_refused(
    sso_console: SsoConsole, services: Services
) -> None:
    client, _issuer = sso_console
    make_user(services, REGISTRAR_EMAIL)
    callback = local(provider_sign_in(_start(client), REGISTRAR))
    path, query = callback.split("?", 1)
    params = {name: values[0] for name, values in parse_qs(query).items()}
    answer = client.get(path, params={**params, "iss": "https://mix-up.example"})
    assert answer.status_code == 401
    assert "comes from another sign-in provider" in answer.text


def test_nothing_secret_or_personal_is_logged(
    sso_console: SsoConsole, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    client, _issuer = sso_console
    make_user(services, REGISTRAR_EMAIL)
    callback = local(provider_sign_in(_start(client), REGISTRAR))
    with caplog.at_level(logging.DEBUG):
        assert client.get(callback).status_code == 200
        assert client.get(callback).status_code == 401  # and a replay
    # What the service logged (httpx2 is the test's own client, which logs what it asks).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "httpx2")
    assert "GET /console/sso/callback 200" in logged
    assert "/token" in logged  # its requests to the provider are logged ...
    params = parse_qs(urlsplit(callback).query)
    for secret in (params["code"][0], params["state"][0], CLIENT_SECRET, REGISTRAR_EMAIL):
        assert secret not in logged  # ... without the code, state, secret or e-mail
    assert "eyJ" not in logged  # no JWT either


def test_a_provider_that_is_down_answers_a_page(
    settings: Settings, timed_services: Services
) -> None:
    down = sso_settings(settings, f"http://127.0.0.1:{free_port()}")
    served = dataclasses.replace(timed_services, settings=down)
    with TestClient(create_app(down, services=served)) as client:
        answer = client.get("/console/sso/start")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert "sso_unavailable" in answer.text
    assert "cannot be reached" in answer.text


def test_metadata_naming_another_issuer_is_not_used(
    settings: Settings, timed_services: Services, sso_console: SsoConsole
) -> None:
    _client, issuer = sso_console
    other = issuer.replace("127.0.0.1", "localhost")  # the same server, another name
    renamed = sso_settings(settings, other)
    served = dataclasses.replace(timed_services, settings=renamed)
    with TestClient(create_app(renamed, services=served)) as client:
        answer = client.get("/console/sso/start")
    assert answer.status_code == 503
    assert "names another issuer" in answer.text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"oidc_issuer": "https://id.example"}, "needs all of"),
        ({"oidc_client_secret": "s"}, "needs all of"),
        ({"oidc_issuer": "http://id.example"}, "must be https"),
        ({"oidc_issuer": "https://id.example/?tenant=1"}, "without query"),
        ({"oidc_label": "x" * 61}, "at most 60"),
    ],
)
def test_single_sign_on_settings_are_checked(values: dict[str, str], message: str) -> None:
    complete = {"oidc_issuer": "https://id.example", "oidc_client_id": "c"}
    complete |= {"oidc_client_secret": "s"}
    chosen = values if "needs all of" in message else complete | values
    with pytest.raises(ConfigurationError, match=message):
        load_settings(**chosen)


def test_plain_http_to_this_machine_is_for_development_only() -> None:
    local_provider = {
        "oidc_issuer": "http://127.0.0.1:9000",
        "oidc_client_id": "c",
        "oidc_client_secret": "s",
    }
    assert load_settings(**local_provider).sso_on
    with pytest.raises(ConfigurationError, match="must be https"):
        load_settings(environment="production", key_passphrase="a real one", **local_provider)
    assert not load_settings().sso_on


@pytest.mark.parametrize(
    ("role", "units", "writes"),
    [("admin", [], True), ("registrar", ["U01"], True), ("auditor", [], False)],
)
def test_each_role_signs_in_with_its_own_rights(
    sso_console: SsoConsole, services: Services, role: str, units: list[str], writes: bool
) -> None:
    client, _issuer = sso_console
    load_catalog(services)
    make_user(services, REGISTRAR_EMAIL, role, units, name="李娜")
    _callback, answer = _sign_in(client, REGISTRAR)
    assert answer.status_code == 200
    home = client.get("/console/")
    assert f"李娜 · {role}" in home.text
    assert "/console/imports" in home.text  # every role reads the imports
    assert ('type="file"' in client.get("/console/imports").text) is writes  # uploads
    assert ("/console/users" in home.text) is (role == "admin")


def test_the_provider_keys_are_read_again_only_for_a_new_key_and_not_too_often(
    oidc_provider: str,
) -> None:
    now = [0.0]
    cache = ProviderCache(clock=lambda: now[0])
    client = Client(oidc_provider, "tessera-console", CLIENT_SECRET)
    with httpx.Client(timeout=10) as http:
        provider = cache.provider(client, http)
        assert provider.algorithms == ("RS256", "ES256", "EdDSA")
        assert provider.token_auth == "client_secret_basic"
        first = cache.keys(provider, http, fresh=False)
        assert {key["kid"] for key in first} == {"test-RS256", "test-ES256", "test-EdDSA"}
        assert cache.keys(provider, http, fresh=False) is first
        now[0] += 30
        assert cache.keys(provider, http, fresh=True) is first  # read a moment ago
        now[0] += 31
        assert cache.keys(provider, http, fresh=True) is not first
        assert cache.provider(client, http) is provider


def test_a_wrong_client_secret_is_the_operators_problem(
    settings: Settings, timed_services: Services, oidc_provider: str
) -> None:
    wrong = sso_settings(settings, oidc_provider).model_copy(
        update={"oidc_client_secret": SecretStr("not the registered secret")}
    )
    served = dataclasses.replace(timed_services, settings=wrong)
    with TestClient(create_app(wrong, services=served)) as client:
        make_user(timed_services, REGISTRAR_EMAIL)
        _callback, answer = _sign_in(client, REGISTRAR)
    assert answer.status_code == 503
    assert "sso_unavailable" in answer.text
    assert "does not accept this service&#39;s client id or secret" in answer.text
