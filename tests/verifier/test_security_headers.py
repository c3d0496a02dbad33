"""The standalone verifier's pages carry the same strict headers as the issuer's: its
``/verify``, packed-link and ``/docs`` pages get the Content-Security-Policy (connecting only
to itself and its trusted issuers, whose keys and status lists the packed-link page fetches),
and every answer ``nosniff`` and ``no-referrer``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from verifier.settings import VerifierSettings
from verifier.web.app import create_app
from verifier.web.security_headers import CONTENT_SECURITY_POLICY, content_security_policy


def test_standalone_verifier_pages_carry_the_strict_policy() -> None:
    settings = VerifierSettings(
        trusted_issuers=["https://issuer.example/tessera", "http://127.0.0.1:8000"]
    )
    client = TestClient(create_app(settings))
    for path in ("/verify", "/c", "/docs"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'", path
        assert directives["default-src"] == "'none'", path
        assert directives["frame-ancestors"] == "'none'", path
        assert set(directives["connect-src"].split()) == {
            "'self'",
            "https://issuer.example",
            "http://127.0.0.1:8000",
        }, path
        assert response.headers["x-frame-options"] == "DENY"
    api = client.post("/api/v1/verify", json={"credential": "garbage"})
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in api.headers  # JSON, not a page


def test_with_no_other_origin_the_policy_is_the_issuers() -> None:
    assert content_security_policy() == CONTENT_SECURITY_POLICY
    assert content_security_policy(["https://a.example", "https://a.example"]).count("a.") == 1
