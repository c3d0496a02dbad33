"""A verify link (``GET /v/{id}``, what a QR code opens) that names no credential, or whose
credential cannot be read now: the verdict says which, and so does the HTTP status."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from issuer.web import local_verifier

MISSING = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"


def test_a_link_to_no_credential_is_not_found_never_fake(client: TestClient) -> None:
    response = client.get(f"/v/{MISSING}")
    assert response.status_code == 404
    assert "未找到该证书" in response.text
    assert "No such credential" in response.text
    assert "Not genuine" not in response.text
    assert "非真实证书" not in response.text


def test_a_link_whose_credential_cannot_be_read_now_says_try_again(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def store_down(*_args: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("the database is down"))

    monkeypatch.setattr(local_verifier, "get_credential", store_down)
    response = client.get(f"/v/{MISSING}")
    assert response.status_code == 503
    assert "Could not be checked now; try again later" in response.text
    assert "The credential could not be fetched from its issuer." in response.text
    assert "Not genuine" not in response.text
    assert "the database is down" not in response.text
