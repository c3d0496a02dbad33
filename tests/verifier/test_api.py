"""``POST /api/v1/verify`` and the verify page routes, through FastAPI's TestClient."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.verifier.kit import STATUS_INDEX, IssuerKit
from verifier.errors import LocatorError
from verifier.sources.credential_locator import CallableCredentialLocator
from verifier.web.api import MAX_BODY_BYTES, create_verify_router

RESULT_KEYS = {
    "verified",
    "status",
    "checks",
    "credential",
    "status_detail",
    "status_list_fetched_at",
    "unavailable",
    "problems",
    "checked_at",
}


class VerifyClient(TestClient):
    """A client of the verify router; ``tokens`` maps credential URLs to what they locate."""

    def __init__(self, app: FastAPI, tokens: dict[str, str]) -> None:
        super().__init__(app, raise_server_exceptions=False)
        self.tokens = tokens


def make_client(kit: IssuerKit, *, run_in_thread: bool = True) -> VerifyClient:
    tokens: dict[str, str] = {}

    def token_for(url: str) -> str:
        if url not in tokens:
            raise LocatorError("no such credential")
        return tokens[url]

    verifier = kit.verifier(credential_locator=CallableCredentialLocator(token_for))
    app = FastAPI()
    app.include_router(create_verify_router(verifier, run_in_thread=run_in_thread))
    return VerifyClient(app, tokens)


@pytest.fixture
def client(kit: IssuerKit) -> Iterator[VerifyClient]:
    with make_client(kit) as test_client:
        yield test_client


def test_verify_json_body(client: TestClient, kit: IssuerKit) -> None:
    response = client.post("/api/v1/verify", json={"credential": kit.token()})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == RESULT_KEYS
    assert body["verified"] is True
    assert body["status"] == "valid"
    assert [c["code"] for c in body["checks"]] == [
        "parse",
        "header",
        "issuer_trusted",
        "key",
        "signature",
        "credential",
        "validity",
        "status",
    ]
    assert body["credential"]["holder_name"] == "张伟"


@pytest.mark.parametrize(
    "media_type", ["application/vc+jwt", "text/plain", "text/plain; charset=utf-8"]
)
def test_verify_raw_token_body(client: TestClient, kit: IssuerKit, media_type: str) -> None:
    response = client.post(
        "/api/v1/verify", content=kit.token() + "\n", headers={"content-type": media_type}
    )
    assert response.status_code == 200
    assert response.json()["verified"] is True


def test_verify_revoked(client: TestClient, kit: IssuerKit) -> None:
    kit.revoked.add(STATUS_INDEX)
    body = client.post("/api/v1/verify", json={"credential": kit.token()}).json()
    assert (body["verified"], body["status"]) == (False, "revoked")


def test_verify_url_body(client: VerifyClient, kit: IssuerKit) -> None:
    client.tokens[f"{kit.base}/v/abc"] = kit.token()
    body = client.post(
        "/api/v1/verify", content=f"{kit.base}/v/abc", headers={"content-type": "text/plain"}
    ).json()
    assert body["verified"] is True
    assert body["checks"][0]["code"] == "locate"
    missing = client.post("/api/v1/verify", json={"credential": f"{kit.base}/v/zzz"}).json()
    assert missing["status"] == "not_found"
    assert missing["problems"][0]["code"] == "credential_not_found"


def test_garbage_is_evaluated_not_rejected(client: TestClient) -> None:
    response = client.post("/api/v1/verify", json={"credential": "garbage"})
    assert response.status_code == 200
    body = response.json()
    assert (body["verified"], body["status"]) == (False, "unreadable")
    assert body["problems"][0]["type"] == "https://www.w3.org/TR/vc-data-model#PARSING_ERROR"
    assert body["problems"][0]["check"] == "parse"


def test_non_utf8_raw_body_is_evaluated(client: TestClient) -> None:
    response = client.post(
        "/api/v1/verify", content=b"\xff\xfe\x00", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "unreadable"


def test_too_large_body_is_413_problem(client: TestClient) -> None:
    response = client.post(
        "/api/v1/verify",
        content=b"a" * (MAX_BODY_BYTES + 1),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "body_too_large"


def test_too_large_body_is_refused_while_streaming_without_content_length(
    client: TestClient,
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(200):
            yield b"a" * 1024

    response = client.post(
        "/api/v1/verify", content=chunks(), headers={"content-type": "application/vc+jwt"}
    )
    assert response.status_code == 413


def test_token_over_token_limit_but_under_body_limit_is_evaluated(client: TestClient) -> None:
    response = client.post(
        "/api/v1/verify", content=b"a" * 70_000, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 200
    assert response.json()["problems"][0]["code"] == "token_too_large"


@pytest.mark.parametrize(
    "media_type", [None, "application/xml", "multipart/form-data", "application/jose+json"]
)
def test_other_media_types_are_415(client: TestClient, media_type: str | None) -> None:
    headers = {"content-type": media_type} if media_type else {}
    response = client.post("/api/v1/verify", content=b"x", headers=headers)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b'{"credential": 1}', 422),
        (b"[]", 422),
        (b'{"a": 1}', 422),
        (b'{"credential": "x", "credential": "y"}', 400),
        (b'"just a string"', 422),
    ],
)
def test_bad_json_bodies(client: TestClient, body: bytes, status: int) -> None:
    response = client.post(
        "/api/v1/verify", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "status", "detail", "code"} <= set(problem)


def test_inline_mode_gives_same_result(kit: IssuerKit) -> None:
    with make_client(kit, run_in_thread=False) as inline:
        assert (
            inline.post("/api/v1/verify", json={"credential": kit.token()}).json()["verified"]
            is True
        )


def test_openapi_documents_the_verify_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    content = spec["paths"]["/api/v1/verify"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "application/vc+jwt", "text/plain"}


def test_page_form(client: TestClient) -> None:
    response = client.get("/verify")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in response.text
    assert '<label for="credential">' in response.text


def test_page_post_shows_verdict(client: TestClient, kit: IssuerKit) -> None:
    response = client.post("/verify", data={"credential": kit.token()})
    assert response.status_code == 200
    assert "真实有效" in response.text
    assert "Genuine and valid" in response.text
    assert "张伟" in response.text
    kit.revoked.add(STATUS_INDEX)
    revoked = client.post("/verify", data={"credential": kit.token()})
    assert "已撤销" in revoked.text
    assert "Revoked" in revoked.text


def test_page_post_garbage_and_empty(client: TestClient) -> None:
    response = client.post("/verify", data={"credential": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert "无法识别为证书" in response.text
    assert "Not genuine" not in response.text, "garbage is unreadable, not a forgery"
    assert "<script>" not in response.text
    assert client.post("/verify", data={"credential": ""}).status_code == 422
    assert (
        client.post("/verify", content=b"x", headers={"content-type": "text/plain"}).status_code
        == 415
    )
    many = "&".join(f"f{i}=1" for i in range(50)).encode()
    assert (
        client.post(
            "/verify", content=many, headers={"content-type": "application/x-www-form-urlencoded"}
        ).status_code
        == 400
    )
    big = b"credential=" + b"a" * MAX_BODY_BYTES
    assert (
        client.post(
            "/verify", content=big, headers={"content-type": "application/x-www-form-urlencoded"}
        ).status_code
        == 413
    )


def test_result_json_round_trips(client: TestClient, kit: IssuerKit) -> None:
    body = client.post("/api/v1/verify", json={"credential": kit.token()}).json()
    from verifier.result import VerificationResult

    assert VerificationResult.model_validate(body).verified is True
    assert json.loads(json.dumps(body)) == body
