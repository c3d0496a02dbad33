"""Look-up by certificate number and holder name (decision 0027): verdicts, sameness, limits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from issuer.app import create_app
from issuer.config import Settings, load_settings
from issuer.credentials.lookup import certificate_number_key, holder_name_key, lookup_credential
from issuer.errors import ConfigurationError
from issuer.services import Services
from issuer.web.local_verifier import build_local_verifier
from issuer.web.lookup import PRINTED_FIELDS, LocalLookup, printed_display
from issuer.web.middleware.rate_limit import RateLimiter
from tests.issuer.helpers import issue_body, load_catalog
from verifier.result import CredentialDisplay, VerificationResult

NAME = "阿依古丽·买买提"


def _issue(client: TestClient, headers: dict[str, str], name: str, number: str) -> dict[str, Any]:
    body = issue_body(holder={"name": name, "employee_number": number})
    response = client.post("/api/v1/credentials", json=body, headers=headers)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


@pytest.fixture
def issued(client: TestClient, services: Services, admin_headers: dict[str, str]) -> dict[str, Any]:
    load_catalog(services)
    _issue(client, admin_headers, "李雷", "E-0002")  # another credential in the register
    return _issue(client, admin_headers, NAME, "E-0001")


def _lookup(client: TestClient, number: str, name: str) -> tuple[int, dict[str, Any]]:
    response = client.post(
        "/api/v1/verify", json={"certificate_number": number, "holder_name": name}
    )
    body: dict[str, Any] = response.json()
    return response.status_code, body


def test_number_and_name_are_compared_after_normalisation() -> None:
    assert certificate_number_key(" ｔｓ2026 001-051151 ") == "TS2026001051151"
    assert certificate_number_key("TS2026\u200b001051151") == ""  # invisible: no number
    assert holder_name_key("阿依古丽・买买提") == holder_name_key("阿依古丽·买买提 ")
    assert holder_name_key("王 小明") == holder_name_key("王小明")
    assert holder_name_key("ＬＩ Lei") == holder_name_key("li lei") == "lilei"
    assert holder_name_key("王小明") != holder_name_key("王小民")
    assert holder_name_key("王\u202e小明") == ""
    assert holder_name_key("x" * 201) == ""


def test_lookup_credential_needs_both_number_and_name(
    services: Services, issued: dict[str, Any]
) -> None:
    number = issued["number"]
    with services.read_sessions() as session:
        found = lookup_credential(session, number.lower(), "阿依古丽・买买提")
        assert found is not None
        assert found.id == issued["id"]
        assert lookup_credential(session, number, "李雷") is None  # someone else's name
        assert lookup_credential(session, "TS2026999999999", NAME) is None
        assert lookup_credential(session, number, "") is None
        assert lookup_credential(session, "", "") is None


def test_lookup_answers_the_credentials_verdict_with_what_the_certificate_prints(
    client: TestClient, issued: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    status, body = _lookup(client, issued["number"], "阿依古丽・买买提")
    assert status == 200
    assert body["verified"] is True
    assert body["status"] == "valid"
    credential = body["credential"]
    assert credential["certificate_number"] == issued["number"]
    assert credential["holder_name"] == NAME
    assert credential["employee_number"] == "E-0001"  # printed on the certificate
    assert credential["credential_id"] == f"urn:uuid:{issued['id']}"
    assert credential["holder_id"] is None  # not printed: it links a holder's credentials
    # The same verdict and fields as verifying the credential itself (plus the number).
    direct = client.post("/api/v1/verify", json={"credential": issued["credential"]}).json()
    assert direct["status"] == "valid"
    assert direct["credential"]["holder_id"] is not None
    same = {key: direct["credential"][key] for key in PRINTED_FIELDS}
    assert same == {key: credential[key] for key in PRINTED_FIELDS}

    revoke = client.post(
        f"/api/v1/credentials/{issued['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers=admin_headers,
    )
    assert revoke.status_code == 200
    status, body = _lookup(client, issued["number"], NAME)
    assert (status, body["status"], body["verified"]) == (200, "revoked", False)
    assert body["status_detail"]["reason"] == "exam_misconduct"


def _without_time(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "checked_at"}


def test_unknown_number_and_wrong_name_get_the_same_answer(
    client: TestClient, issued: dict[str, Any]
) -> None:
    wrong_name = _lookup(client, issued["number"], "李雷")
    unknown = _lookup(client, "TS2026999999999", NAME)
    garbage = _lookup(client, "not a number", "?")
    assert wrong_name[0] == unknown[0] == garbage[0] == 200
    assert _without_time(wrong_name[1]) == _without_time(unknown[1]) == _without_time(garbage[1])
    body = unknown[1]
    assert body["status"] == "not_found"
    assert body["verified"] is False
    assert body["credential"] is None
    assert [(c["code"], c["error"]) for c in body["checks"]] == [("locate", "credential_not_found")]
    assert issued["number"] not in str(wrong_name[1])


@contextmanager
def _recorded(services: Services, lookup: LocalLookup) -> Iterator[list[str]]:
    """The look-up's own SQL statements and the tokens it verifies, in order, while in the
    block (what the verifier reads for a token is the verifier's: the same token, the same)."""
    steps: list[str] = []
    verifying = [False]

    def statement(*args: Any) -> None:
        if not verifying[0] and not str(args[2]).startswith("BEGIN"):  # SQLite's, not ours
            steps.append(f"sql: {args[2]}")

    verifier = lookup._verifier
    verify = verifier.verify

    def spy(token: str) -> VerificationResult:
        steps.append(f"verify: {token}")
        verifying[0] = True
        try:
            return verify(token)
        finally:
            verifying[0] = False

    event.listen(services.engine, "before_cursor_execute", statement)
    setattr(verifier, "verify", spy)
    try:
        yield steps
    finally:
        event.remove(services.engine, "before_cursor_execute", statement)
        setattr(verifier, "verify", verify)


def _kinds(steps: list[str]) -> list[str]:
    return [" ".join(step.split()[:2])[:11] for step in steps]  # "sql: SELECT", "verify: eyJ"


def test_a_miss_and_a_mismatch_do_the_same_work(services: Services, issued: dict[str, Any]) -> None:
    lookup = LocalLookup(services, build_local_verifier(services), limiter=None)
    paths = {
        "first": ("TS2026000000001", NAME),  # reads the stand-in once per process
        "unknown number": ("TS2026999999999", NAME),
        "wrong name": (issued["number"], "李雷"),
        "no name": (issued["number"], ""),
        "found": (issued["number"], NAME),
    }
    work: dict[str, list[str]] = {}
    answers: dict[str, dict[str, Any]] = {}
    for path, (number, name) in paths.items():
        with _recorded(services, lookup) as steps:
            answers[path] = _without_time(lookup.lookup(number, name).model_dump(mode="json"))
        work[path] = steps
    assert work["unknown number"] == work["wrong name"] == work["no name"]
    assert answers["unknown number"] == answers["wrong name"] == answers["no name"]
    assert answers["found"]["status"] == "valid"
    one_query = ["sql: SELECT", "verify: eyJ"]
    assert _kinds(work["wrong name"]) == _kinds(work["found"]) == one_query
    assert _kinds(work["first"]) == ["sql: SELECT", "sql: SELECT", "verify: eyJ"]
    assert work["first"][-1] == work["wrong name"][-1]  # one stand-in for every miss
    assert issued["credential"] not in work["wrong name"][-1]  # not the found one's token
    assert work["found"][-1] == f"verify: {issued['credential']}"


def test_printed_display_keeps_only_the_printed_fields() -> None:
    texts = PRINTED_FIELDS - {"credential_types"}
    full = CredentialDisplay(holder_id="urn:uuid:h", **dict.fromkeys(texts, "x"))
    cut = printed_display(full, "TS1")
    assert cut.holder_id is None
    assert cut.certificate_number == "TS1"
    assert all(getattr(cut, name) == "x" for name in texts)
    # Every display field is decided: a new one is left out until someone adds it here.
    assert set(CredentialDisplay.model_fields) == PRINTED_FIELDS | {
        "holder_id",
        "certificate_number",
    }


def test_lookups_have_a_stricter_limit_than_verifications(
    settings: Settings, services: Services, issued: dict[str, Any]
) -> None:
    limited = settings.model_copy(
        update={"rate_limit": "100/minute", "lookup_rate_limit": "2/minute"}
    )
    with TestClient(create_app(limited, services=services)) as client:
        answers = [_lookup(client, issued["number"], NAME)[0] for _ in range(2)]
        refused = client.post(
            "/api/v1/verify", json={"certificate_number": issued["number"], "holder_name": NAME}
        )
        form = client.post("/verify", data={"certificate_number": "TS1", "holder_name": "x"})
        verified = client.post("/api/v1/verify", json={"credential": issued["credential"]})
    assert answers == [200, 200]
    assert refused.status_code == form.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert verified.status_code == 200  # verifications are not look-ups
    assert RateLimiter(10, 60.0).retry_after("a") == 0.0


def test_lookup_rate_limit_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().lookup_rate_limit == "10/minute"
    monkeypatch.setenv("TESSERA_LOOKUP_RATE_LIMIT", "lots")
    with pytest.raises(ConfigurationError, match="TESSERA_LOOKUP_RATE_LIMIT"):
        load_settings()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"certificate_number": "TS1"}, "invalid_lookup_request"),
        ({"certificate_number": "TS1", "holder_name": "  "}, "invalid_lookup_request"),
        ({"certificate_number": 5, "holder_name": "x"}, "invalid_lookup_request"),
        ({"certificate_number": "T" * 65, "holder_name": "x"}, "invalid_lookup_request"),
        (
            {"certificate_number": "TS1", "holder_name": "x", "credential": "y"},
            "invalid_request_body",
        ),
    ],
)
def test_malformed_lookups_are_422(client: TestClient, body: dict[str, Any], code: str) -> None:
    response = client.post("/api/v1/verify", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == code


def test_the_page_looks_up_and_shows_the_certificate_number(
    client: TestClient, issued: dict[str, Any]
) -> None:
    form = client.get("/verify").text
    assert 'name="certificate_number"' in form
    assert 'name="holder_name"' in form
    assert '<a href="/verify/batch">' in form
    assert client.get("/verify/batch").status_code == 200
    found = client.post(
        "/verify", data={"certificate_number": issued["number"], "holder_name": NAME}
    )
    assert found.status_code == 200
    assert "真实有效" in found.text
    row = '<dt>证书编号 <span class="en" lang="en">Certificate No.</span></dt><dd>{}</dd>'
    assert row.format(issued["number"]) in found.text
    assert "凭证标识" in found.text  # the UUID, labelled as what it is
    missed = client.post(
        "/verify", data={"certificate_number": issued["number"], "holder_name": "<b>李雷</b>"}
    )
    assert missed.status_code == 200
    assert "未找到该证书" in missed.text
    assert "&lt;b&gt;李雷&lt;/b&gt;" in missed.text  # refilled, escaped, for a typo's fix
    assert "<b>李雷" not in missed.text
    empty = client.post("/verify", data={"certificate_number": "", "holder_name": NAME})
    assert empty.status_code == 422


def test_verifying_an_own_credential_shows_its_certificate_number(
    client: TestClient, issued: dict[str, Any]
) -> None:
    result = client.post("/api/v1/verify", json={"credential": issued["credential"]}).json()
    assert result["credential"]["certificate_number"] == issued["number"]
    page = client.get(f"/v/{issued['id']}").text
    assert f"<dd>{issued['number']}</dd>" in page
    packed = client.post("/verify", data={"credential": issued["qr_text"]}).text
    assert f"<dd>{issued['number']}</dd>" in packed


def test_a_register_that_does_not_answer_gives_unavailable(
    services: Services, issued: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    lookup = LocalLookup(services, build_local_verifier(services), limiter=None)

    def broken() -> Any:
        raise OperationalError("SELECT", {}, Exception("database is gone"))

    monkeypatch.setattr(services, "read_sessions", broken)
    result = lookup.lookup(issued["number"], NAME)
    assert result.status == "unavailable"
    assert [(c.code, c.error) for c in result.checks] == [
        ("locate", "credential_store_unavailable")
    ]
