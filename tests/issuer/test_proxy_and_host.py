"""Spoofed proxy headers and hostile Host headers change nothing.

``X-Forwarded-For`` is believed only from a proxy named in ``TESSERA_FORWARDED_ALLOW_IPS``
(none by default): otherwise a client could give itself a fresh rate-limit budget per request
and be recorded under any address. No answer reflects the ``Host`` header into a redirect or
a link (open redirect, cache poisoning, password-reset-style link poisoning).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import ValidationError

from issuer.app import create_app
from issuer.cli import operations
from issuer.config import Settings
from issuer.services import Services
from tests.helpers import BASE_URL
from tests.issuer.helpers import issue_body, load_catalog
from verifier.web.api_docs import ASSET_PATH
from verifier.web.app import create_app as create_verifier_app

CLIENT = ("198.51.100.7", 40000)
PROXY = ("10.0.0.5", 40000)
HOSTILE = "evil.example"


def _app(settings: Settings, services: Services, **changes: Any) -> FastAPI:
    app = create_app(settings.model_copy(update=changes), services=services)

    @app.get("/peer", include_in_schema=False)
    def peer(request: Request) -> dict[str, str | None]:
        """What every route sees as the client: the address it would record."""
        return {"client": request.client.host if request.client else None}

    return app


def test_forwarded_for_is_believed_from_no_proxy_by_default() -> None:
    assert Settings().forwarded_allow_ips == ""
    assert Settings(forwarded_allow_ips=" 10.0.0.5, 10.1.0.0/16 ,::1").forwarded_allow_ips == (
        "10.0.0.5,10.1.0.0/16,::1"
    )
    with pytest.raises(ValidationError, match="TESSERA_FORWARDED_ALLOW_IPS"):
        Settings(forwarded_allow_ips="proxy.internal")


def test_spoofed_forwarded_for_cannot_change_the_rate_limit_key_or_recorded_address(
    settings: Settings, services: Services
) -> None:
    app = _app(settings, services, rate_limit="3/minute")
    with TestClient(app, client=CLIENT) as client:
        seen = client.get("/peer", headers={"X-Forwarded-For": "1.2.3.4"}).json()
        assert seen == {"client": CLIENT[0]}
        codes = [
            client.get(
                "/.well-known/jwks.json", headers={"X-Forwarded-For": f"1.2.3.{i}"}
            ).status_code
            for i in range(5)
        ]
        assert codes == [200, 200, 200, 429, 429]
        https = client.get("/peer", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in https.headers
    with TestClient(app, client=("198.51.100.8", 40000)) as other:  # another client: its own
        assert other.get("/.well-known/jwks.json").status_code == 200


def test_forwarded_for_is_believed_only_from_a_named_proxy(
    settings: Settings, services: Services
) -> None:
    app = _app(settings, services, rate_limit="2/minute", forwarded_allow_ips="10.0.0.0/29")
    with TestClient(app, client=PROXY) as proxy:
        forwarded = {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}
        seen = proxy.get("/peer", headers=forwarded)
        assert seen.json() == {"client": "1.2.3.4"}
        assert "strict-transport-security" in seen.headers
        # A client's own X-Forwarded-For, passed on by the proxy, names nobody: the proxy
        # appends the address it saw, and that one counts.
        chained = proxy.get("/peer", headers={"X-Forwarded-For": "9.9.9.9, 5.6.7.8"}).json()
        assert chained == {"client": "5.6.7.8"}
        limited = {"X-Forwarded-For": "5.6.7.9"}
        codes = [proxy.get("/.well-known/jwks.json", headers=limited).status_code for _ in "abc"]
        assert codes == [200, 200, 429]
    with TestClient(app, client=CLIENT) as client:  # not a named proxy: headers ignored
        assert client.get("/peer", headers={"X-Forwarded-For": "5.6.7.10"}).json() == {
            "client": CLIENT[0]
        }


def test_tessera_serve_leaves_proxy_headers_to_the_app(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **kwargs: seen.update(kwargs))
    operations._run(settings, "127.0.0.1", 8000, 1)
    assert seen["proxy_headers"] is False
    assert "forwarded_allow_ips" not in seen


# Routes left out of the OpenAPI document (the home redirect, style sheets, a script).
_UNLISTED = ("/", "/share.css", "/verify/verify.js", "/verify/verify.css", "/healthz")


def _paths(app: FastAPI) -> list[str]:
    """Every path of the app, path parameters filled in."""
    listed = [re.sub(r"\{[^}]+\}", "1", path) for path in app.openapi()["paths"]]
    docs = ["/docs", "/docs/api-docs.js", f"{ASSET_PATH}/swagger-ui.css"]
    return [*listed, *_UNLISTED, *docs, "/openapi.json"]


@pytest.mark.parametrize("app_kind", ["issuer", "verifier"])
def test_hostile_host_header_is_never_reflected_into_a_redirect(
    settings: Settings, services: Services, admin_headers: dict[str, str], app_kind: str
) -> None:
    issuer = app_kind == "issuer"
    app = create_app(settings, services=services) if issuer else create_verifier_app()
    hostile = {
        "Host": HOSTILE,
        "X-Forwarded-Host": HOSTILE,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "1.2.3.4",
        **admin_headers,
    }
    paths = _paths(app)
    redirects = 0
    with TestClient(app, client=CLIENT, follow_redirects=False) as client:
        for path in {*paths, *(p.rstrip("/") + "/" for p in paths), *(p + "//" for p in paths)}:
            for method in ("GET", "POST"):
                response = client.request(method, path, headers=hostile)
                assert response.status_code < 500, (method, path)
                location = response.headers.get("location")
                if location is not None:
                    redirects += 1
                    assert location.startswith("/"), (method, path, location)
                    assert not location.startswith("//"), (method, path, location)
                assert HOSTILE not in response.text, (method, path)
        if app_kind == "issuer":
            assert client.get("/", headers=hostile).headers["location"] == "/verify"
            assert client.get("/verify/", headers=hostile).status_code == 404
            assert redirects >= 1


def test_hostile_host_header_is_not_in_the_links_of_a_credential(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = client.post(
        "/api/v1/credentials",
        json=issue_body(),
        headers={**admin_headers, "Host": HOSTILE, "X-Forwarded-Host": HOSTILE},
    )
    assert issued.status_code == 201
    assert HOSTILE not in issued.text
    assert issued.json()["links"]["verify"].startswith(BASE_URL)
    assert issued.headers["location"].startswith("/api/v1/credentials/")
