"""Presentation requests: the employer's API and pages, the signed request object, and the
response endpoint's refusals (state, shape, expiry, replay), each leaving the request as
it was."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import threading
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from issuer.credentials.presentation_request import (
    CREDENTIAL_QUERY_ID,
    DEFAULT_CLAIMS,
    CheckedPresentation,
    PresentationChecker,
    answer_presentation_request,
    create_presentation_request,
    find_by_public_id,
    sd_jwt_vc_type,
)
from issuer.errors import ConflictError, IssuerErrorCode
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import PresentationRequest
from issuer.web.middleware.rate_limit import is_rate_limited
from tests.helpers import BASE_URL
from tests.issuer.helpers import svg_to_image
from verifier.result import CredentialStatus

QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _create(client: TestClient, claims: list[str] | None = None) -> dict[str, object]:
    body = {} if claims is None else {"claims": claims}
    answer = client.post("/api/v1/presentation-requests", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, object] = answer.json()
    return created


def _path(url: object) -> str:
    parts = urlsplit(str(url))
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _count(services: Services) -> int:
    with session_scope(services.sessions) as session:
        return session.scalar(select(func.count()).select_from(PresentationRequest)) or 0


def _row(services: Services, public_id: str) -> PresentationRequest:
    with session_scope(services.sessions) as session:
        row = find_by_public_id(session, public_id)
        session.expunge(row)
        return row


def test_api_asks_for_occupation_and_level_by_default_with_a_dcql_query(
    client: TestClient, services: Services
) -> None:
    created = _create(client)
    query = created["dcql_query"]
    assert query == {
        "credentials": [
            {
                "id": CREDENTIAL_QUERY_ID,
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [sd_jwt_vc_type(BASE_URL)]},
                "claims": [
                    {"id": "occupation", "path": ["occupation"]},
                    {"id": "level", "path": ["level"]},
                ],
            }
        ]
    }
    link = urlsplit(str(created["wallet_link"]))
    assert link.scheme == "openid4vp"
    params = {key: values[0] for key, values in parse_qs(link.query).items()}
    assert set(params) == {"client_id", "request_uri"}
    assert params["client_id"] == created["client_id"]
    assert str(created["client_id"]).startswith("x509_hash:")
    assert params["request_uri"] == f"{BASE_URL}/oid4vp/requests/{created['id']}"
    assert str(created["result_url"]).startswith(f"{BASE_URL}/ask/results/")
    assert _count(services) == 1


def test_api_asks_for_the_claims_chosen_in_a_fixed_order(client: TestClient) -> None:
    created = _create(client, ["score", "level", "holder_name", "level"])
    claims = created["dcql_query"]["credentials"][0]["claims"]  # type: ignore[index]
    assert [claim["id"] for claim in claims] == ["level", "holder_name", "score"]


@pytest.mark.parametrize("claims", [[], ["birth_date"], ["occupation", "password"], "level"])
def test_api_refuses_unknown_or_no_claims_and_stores_nothing(
    client: TestClient, services: Services, claims: object
) -> None:
    answer = client.post("/api/v1/presentation-requests", json={"claims": claims})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert _count(services) == 0


def test_the_result_token_is_stored_only_as_its_hash(
    client: TestClient, services: Services
) -> None:
    created = _create(client)
    token = str(created["result_url"]).rsplit("/", 1)[1]
    row = _row(services, str(created["id"]))
    assert row.result_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.public_id, row.nonce, row.state}


def test_request_object_is_signed_by_the_issuers_key_whose_certificate_makes_the_client_id(
    client: TestClient, services: Services
) -> None:
    created = _create(client)
    answer = client.get(_path(created["request_uri"]))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/oauth-authz-req+jwt"
    assert answer.headers["cache-control"] == "no-store"
    token = answer.text
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "oauth-authz-req+jwt"
    assert header["alg"] == "ES256"
    der = base64.b64decode(header["x5c"][0])
    digest = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert created["client_id"] == f"x509_hash:{digest}"
    certificate = x509.load_der_x509_certificate(der)
    # The certificate's key is the issuer's published key.
    published = client.get("/.well-known/jwks.json").json()["keys"]
    key = jwt.PyJWK(published[0]).key
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert certificate.public_key().public_bytes(*spki) == key.public_bytes(*spki)
    claims = jwt.decode(
        token,
        key=key,  # the certificate's key, as just checked
        algorithms=["ES256"],
        audience="https://self-issued.me/v2",
    )
    row = _row(services, str(created["id"]))
    assert claims["client_id"] == created["client_id"]
    assert claims["response_type"] == "vp_token"
    assert claims["response_mode"] == "direct_post"
    assert claims["response_uri"] == f"{BASE_URL}/oid4vp/responses/{created['id']}"
    assert claims["nonce"] == row.nonce
    assert claims["state"] == row.state
    assert claims["dcql_query"] == created["dcql_query"]
    assert len(row.nonce) >= 32
    # Every request has its own nonce and state; the verifier's certificate is the same.
    other = _create(client)
    other_row = _row(services, str(other["id"]))
    assert other_row.nonce != row.nonce
    assert other_row.state != row.state
    assert other["client_id"] == created["client_id"]


def _post_answer(
    client: TestClient, public_id: object, *, state: str, vp_token: str
) -> tuple[int, dict[str, object]]:
    answer = client.post(
        f"/oid4vp/responses/{public_id}", data={"state": state, "vp_token": vp_token}
    )
    return answer.status_code, answer.json()


@pytest.mark.parametrize(
    "vp_token",
    [
        "not json",
        '"a string"',
        "[]",
        '{"other": ["x~"]}',
        f'{{"{CREDENTIAL_QUERY_ID}": "x~"}}',
        f'{{"{CREDENTIAL_QUERY_ID}": []}}',
        f'{{"{CREDENTIAL_QUERY_ID}": ["a~", "b~"]}}',
        f'{{"{CREDENTIAL_QUERY_ID}": [42]}}',
    ],
)
def test_answer_of_the_wrong_shape_is_refused_and_the_request_waits(
    client: TestClient, services: Services, vp_token: str
) -> None:
    created = _create(client)
    row = _row(services, str(created["id"]))
    status, body = _post_answer(client, created["id"], state=row.state, vp_token=vp_token)
    assert status == 422
    assert body["code"] == IssuerErrorCode.MALFORMED_PRESENTATION
    assert _row(services, str(created["id"])).answered_at is None


def test_answer_with_another_state_is_refused_and_the_request_waits(
    client: TestClient, services: Services
) -> None:
    created = _create(client)
    token = f'{{"{CREDENTIAL_QUERY_ID}": ["eyJ.x.y~"]}}'
    status, body = _post_answer(client, created["id"], state="another", vp_token=token)
    assert status == 422
    assert body["code"] == IssuerErrorCode.PRESENTATION_STATE_MISMATCH
    assert _row(services, str(created["id"])).answered_at is None


def test_answer_that_does_not_verify_is_refused_and_the_request_waits(
    client: TestClient, services: Services
) -> None:
    created = _create(client)
    row = _row(services, str(created["id"]))
    token = f'{{"{CREDENTIAL_QUERY_ID}": ["eyJhbGciOiJFUzI1NiJ9.e30.c2ln~"]}}'
    status, body = _post_answer(client, created["id"], state=row.state, vp_token=token)
    assert status == 422
    assert body["code"] == IssuerErrorCode.PRESENTATION_REFUSED
    assert body["verdict"] != CredentialStatus.VALID
    after = _row(services, str(created["id"]))
    assert (after.answered_at, after.verdict, after.disclosed) == (None, None, None)
    result = client.get(_path(created["result_api_url"])).json()
    assert result["state"] == "waiting"


def test_unknown_request_is_404_everywhere(client: TestClient) -> None:
    assert client.get("/oid4vp/requests/nope").status_code == 404
    assert (
        client.post("/oid4vp/responses/nope", data={"state": "s", "vp_token": "{}"}).status_code
        == 404
    )
    assert client.get("/api/v1/presentation-requests/results/nope").status_code == 404
    page = client.get("/ask/results/nope?lang=en")
    assert page.status_code == 404
    assert "There is no such request." in page.text
    assert client.get("/ask/results/nope/qr.svg").status_code == 404


def _expire(services: Services, public_id: str) -> None:
    with session_scope(services.sessions) as session:
        session.execute(
            update(PresentationRequest)
            .where(PresentationRequest.public_id == public_id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )


def test_expired_request_refuses_the_wallet_and_its_page_says_so(
    client: TestClient, services: Services
) -> None:
    created = _create(client)
    row = _row(services, str(created["id"]))
    _expire(services, str(created["id"]))
    fetched = client.get(_path(created["request_uri"]))
    assert fetched.status_code == 409
    assert fetched.json()["code"] == IssuerErrorCode.PRESENTATION_REQUEST_EXPIRED
    token = f'{{"{CREDENTIAL_QUERY_ID}": ["eyJ.x.y~"]}}'
    status, body = _post_answer(client, created["id"], state=row.state, vp_token=token)
    assert status == 409
    assert body["code"] == IssuerErrorCode.PRESENTATION_REQUEST_EXPIRED
    assert _row(services, str(created["id"])).answered_at is None
    page = client.get(_path(created["result_url"]) + "?lang=en")
    assert "This request was not answered in time and has expired." in page.text
    assert 'http-equiv="refresh"' not in page.text
    zh = client.get(_path(created["result_url"]) + "?lang=zh")
    assert "已经失效" in zh.text
    assert client.get(_path(created["result_api_url"])).json()["state"] == "expired"


def _valid(claims: dict[str, object]) -> PresentationChecker:
    def check(
        presentation: str, *, nonce: str, audience: str, now: dt.datetime
    ) -> CheckedPresentation:
        del presentation, nonce, audience, now
        return CheckedPresentation(CredentialStatus.VALID, None, claims)

    return check


def test_only_one_answer_is_taken_and_only_asked_claims_are_kept(services: Services) -> None:
    """The service alone (its checker stands in for the SD-JWT VC verifier: the end-to-end
    tests in test_wallet_end_to_end.py use the real one)."""
    disclosed = {"occupation": "Smelter", "level": "senior", "score": 91, "holder_name": "X"}
    with session_scope(services.sessions) as session:
        record, _token = create_presentation_request(
            session, DEFAULT_CLAIMS, client_id="x509_hash:abc", now=dt.datetime.now(dt.UTC)
        )
        public_id, state = record.public_id, record.state
    token = f'{{"{CREDENTIAL_QUERY_ID}": ["p~"]}}'
    with session_scope(services.sessions) as session:
        taken = answer_presentation_request(
            session,
            public_id,
            state=state,
            vp_token=token,
            check=_valid(disclosed),
            now=dt.datetime.now(dt.UTC),
        )
        assert taken.disclosed == {"occupation": "Smelter", "level": "senior"}
    with session_scope(services.sessions) as session, pytest.raises(ConflictError) as refused:
        answer_presentation_request(
            session,
            public_id,
            state=state,
            vp_token=token,
            check=_valid({"score": 1}),
            now=dt.datetime.now(dt.UTC),
        )
    assert refused.value.code == IssuerErrorCode.PRESENTATION_REQUEST_ANSWERED
    row = _row(services, public_id)
    assert row.verdict == "valid"
    assert row.disclosed == {"occupation": "Smelter", "level": "senior"}


def test_ask_form_makes_a_request_and_its_page_shows_the_qr_code_of_the_wallet_link(
    client: TestClient, services: Services
) -> None:
    form = client.get("/ask?lang=en")
    assert form.status_code == 200
    assert 'name="claim" value="occupation" checked' in form.text
    assert 'name="claim" value="score">' in form.text
    made = client.post(
        "/ask?lang=en", data={"claim": ["occupation", "level"]}, follow_redirects=False
    )
    assert made.status_code == 303
    page_path = made.headers["location"]
    assert page_path.startswith("/ask/results/")
    page = client.get(page_path)
    assert page.status_code == 200
    assert 'http-equiv="refresh"' in page.text
    assert "Ask the holder to scan this QR code" in page.text
    token = page_path.split("/")[3].split("?")[0]
    svg = client.get(f"/ask/results/{token}/qr.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    with session_scope(services.sessions) as session:
        row = session.scalars(select(PresentationRequest)).one()
        assert row.claims == ["occupation", "level"]
        public_id, client_id = row.public_id, row.client_id
    decoded = [r.text for r in zxingcpp.read_barcodes(svg_to_image(svg.content), formats=QR)]
    assert len(decoded) == 1
    link = urlsplit(decoded[0])
    assert link.scheme == "openid4vp"
    assert parse_qs(link.query) == {
        "client_id": [client_id],
        "request_uri": [f"{BASE_URL}/oid4vp/requests/{public_id}"],
    }
    assert f'href="{html.escape(decoded[0])}"' in page.text


def test_ask_form_without_a_claim_says_so_and_makes_nothing(
    client: TestClient, services: Services
) -> None:
    answer = client.post("/ask?lang=zh", data={})
    assert answer.status_code == 422
    assert "请至少选择一项。" in answer.text
    assert _count(services) == 0


def test_employer_routes_are_rate_limited_like_the_verify_page() -> None:
    for path in ("/ask", "/ask/results/x", "/api/v1/presentation-requests", "/oid4vp/requests/x"):
        assert is_rate_limited(path)


def test_answers_racing_each_other_are_taken_once(services: Services) -> None:
    """Six answers at once: one is taken, five are refused as answered already."""
    with session_scope(services.sessions) as session:
        record, _token = create_presentation_request(
            session, DEFAULT_CLAIMS, client_id="x509_hash:abc", now=dt.datetime.now(dt.UTC)
        )
        public_id, state = record.public_id, record.state
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def answer(n: int) -> None:
        check = _valid({"occupation": f"answer {n}", "level": "senior"})
        start.wait()
        try:
            with session_scope(services.sessions) as session:
                answer_presentation_request(
                    session,
                    public_id,
                    state=state,
                    vp_token=f'{{"{CREDENTIAL_QUERY_ID}": ["p{n}~"]}}',
                    check=check,
                    now=dt.datetime.now(dt.UTC),
                )
            outcomes.append("taken")
        except ConflictError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["presentation_request_answered"] * 5 + ["taken"]
    row = _row(services, public_id)
    assert row.verdict == "valid"
    assert str((row.disclosed or {})["occupation"]).startswith("answer ")


def test_a_result_past_keeping_is_not_shown_and_the_next_request_deletes_it(
    client: TestClient, services: Services
) -> None:
    old = _create(client)
    with session_scope(services.sessions) as session:
        session.execute(
            update(PresentationRequest)
            .where(PresentationRequest.public_id == old["id"])
            .values(
                answered_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=8),
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=8),
                verdict="valid",
                disclosed={"occupation": {"code": "6-17-05-01"}},
            )
        )
    result = client.get(_path(old["result_api_url"])).json()
    assert result["state"] == "gone"
    assert result["disclosed"] == {}
    assert result["verdict"] is None
    page = client.get(_path(old["result_url"]) + "?lang=en")
    assert "no longer shown" in page.text
    assert "6-17-05-01" not in page.text
    _create(client)
    assert _count(services) == 1
    assert client.get(_path(old["result_api_url"])).status_code == 404
