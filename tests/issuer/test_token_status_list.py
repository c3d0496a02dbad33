"""The Token Status List Tessera publishes: encoding against the draft's vectors, the route
(statuslist+jwt, ETag/304), and both status mechanisms kept in step by the lifecycle."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jwcrypto import jwk, jws

from issuer.credentials.token_status_list import encode_token_status_list
from issuer.services import Services
from tests.helpers import BASE_URL
from tests.issuer.helpers import VECTORS, load_catalog
from tests.issuer.lifecycle_helpers import issue, post, status_list_of
from verifier.token_status_list import decode_token_status_list

DATA = json.loads((VECTORS / "token-status-list.json").read_text("utf-8"))


@pytest.fixture(autouse=True)
def _catalog(services: Services) -> None:
    load_catalog(services)


def test_encoding_reproduces_the_small_vectors() -> None:
    for example in DATA["small_examples"]:
        values = dict(enumerate(example["statuses_by_index"]))
        lst = encode_token_status_list(values, len(values), bits=example["bits"])
        assert lst == example["status_list"]["lst"]


@pytest.mark.parametrize("vector", DATA["long_vectors"], ids=lambda v: v["section"])
def test_encoding_reproduces_the_long_vectors(vector: dict[str, Any]) -> None:
    values = {a["index"]: int(a["value"], 2) for a in vector["assignments"]}
    lst = encode_token_status_list(values, vector["size_entries"], bits=vector["bits"])
    assert lst == vector["status_list"]["lst"]


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _claims(token: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_unb64(token.split(".")[1]))
    return loaded


def _bsl_bit(client: TestClient, url: str, index: int) -> int:
    """The Bitstring Status List bit (index 0 = most significant bit of byte 0)."""
    response = client.get(url.removeprefix(BASE_URL))
    assert response.status_code == 200
    encoded = _claims(response.text)["credentialSubject"]["encodedList"]
    bits = gzip.decompress(_unb64(encoded[1:]))
    return (bits[index // 8] >> (7 - index % 8)) & 1


def _tsl_value(client: TestClient, list_url: str, index: int) -> int:
    response = client.get(f"{list_url.removeprefix(BASE_URL)}/tsl")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/statuslist+jwt"
    return decode_token_status_list(_claims(response.text)["status_list"]).value_at(index)


def test_token_status_list_is_signed_and_shaped(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issued = issue(client, admin_headers)
    list_url = status_list_of(issued["credential"] if "credential" in issued else issued["jws"])
    response = client.get(f"{list_url.removeprefix(BASE_URL)}/tsl")
    assert response.status_code == 200
    token = response.text
    header = json.loads(_unb64(token.split(".")[0]))
    assert header["typ"] == "statuslist+jwt"
    assert header["alg"] == "ES256"
    keys = jwk.JWKSet.from_json(json.dumps(client.get("/.well-known/jwks.json").json()))
    signed = jws.JWS()
    signed.deserialize(token)
    signed.verify(keys.get_key(header["kid"]), alg="ES256")  # an independent JOSE library
    claims = _claims(token)
    assert claims["sub"] == f"{list_url}/tsl"
    assert claims["iss"] == BASE_URL
    assert claims["status_list"]["bits"] == 2
    assert isinstance(claims["ttl"], int)
    assert claims["ttl"] > 0
    assert claims["exp"] > claims["iat"]
    assert decode_token_status_list(claims["status_list"]).size == 131_072


def test_etag_answers_304_and_changes_with_the_list(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issued = issue(client, admin_headers)
    path = f"{status_list_of(_token_of(issued)).removeprefix(BASE_URL)}/tsl"
    first = client.get(path)
    etag = first.headers["etag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert client.get(path).text == first.text  # not re-signed while nothing changed
    post(
        client,
        f"/api/v1/credentials/{issued['id']}/revoke",
        admin_headers,
        {"reason": "exam_misconduct"},
    )
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def _token_of(issued: dict[str, Any]) -> str:
    for name in ("credential", "jws", "token"):
        if isinstance(issued.get(name), str) and issued[name].count(".") == 2:
            token: str = issued[name]
            return token
    raise AssertionError("no compact JWS in the issue response")


def test_lifecycle_changes_both_status_lists(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issued = issue(client, admin_headers)
    token = _token_of(issued)
    list_url = status_list_of(token)
    index = int(_claims(token)["credentialStatus"]["statusListIndex"])
    url = f"/api/v1/credentials/{issued['id']}"

    def both() -> tuple[int, int, int]:
        return (
            _bsl_bit(client, list_url, index),
            _bsl_bit(client, f"{list_url}/suspension", index),
            _tsl_value(client, list_url, index),
        )

    assert both() == (0, 0, 0)
    assert (
        post(client, f"{url}/suspend", admin_headers, {"reason": "holder_request"}).status_code
        == 200
    )
    assert both() == (0, 1, 2)
    assert post(client, f"{url}/reinstate", admin_headers).status_code == 200
    assert both() == (0, 0, 0)
    assert (
        post(client, f"{url}/revoke", admin_headers, {"reason": "exam_misconduct"}).status_code
        == 200
    )
    assert both() == (1, 0, 1)


@pytest.mark.parametrize("path", ["/status/999999/tsl", "/status/0/tsl", "/status/abc/tsl"])
def test_unknown_lists_are_4xx(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500


def test_type_metadata_is_served_at_the_vct(client: TestClient) -> None:
    response = client.get("/types/skill-certificate")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["vct"] == f"{BASE_URL}/types/skill-certificate"
    langs = {d["lang"] for d in metadata["display"]}
    assert langs == {"zh-CN", "en"}
    by_path = {tuple(c["path"]): c for c in metadata["claims"]}
    assert by_path[("holder_name",)]["sd"] == "never"
    assert by_path[("birth_date",)]["sd"] == "always"
    assert all(len(c["display"]) == 2 for c in metadata["claims"])
    assert client.get("/.well-known/vct/types/skill-certificate").json() == metadata
