"""A real server: graceful shutdown finishes in-flight requests; JSON logs hold no secrets."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.issuer.helpers import issue_body
from tests.servers import prepare_database, server_env, start_server, stop_server


def test_sigterm_finishes_the_request_in_flight_then_stops(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tessera.db'}"
    prepare_database(url, tmp_path)
    server = start_server(server_env(url, tmp_path, TESSERA_SHUTDOWN_GRACE_SECONDS="20"), tmp_path)
    address = urlsplit(server.url)
    body = b"not.a.credential"
    head = (
        "POST /api/v1/verify HTTP/1.1\r\nHost: tessera\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(head + body[:5])  # the request has begun; its body is not all here
        time.sleep(0.5)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.5)
        assert server.process.poll() is None, "the server waits for the request in flight"
        connection.sendall(body[5:])
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b'"verified":false' in answer
    assert stop_server(server), server.output()[-2000:]


def test_json_logs_carry_request_ids_and_no_personal_data_or_secrets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tessera.db'}"
    token = prepare_database(url, tmp_path)
    server = start_server(server_env(url, tmp_path, TESSERA_LOG_FORMAT="json"), tmp_path)
    auth = {"Authorization": f"Bearer {token}"}
    body = issue_body()
    secrets: list[str] = [token, body["holder"]["name"], body["holder"]["national_id"]]
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            issued = client.post("/api/v1/credentials", json=body, headers=auth)
            assert issued.status_code == 201
            item = issued.json()
            jws = item["credential"]
            assert "/c#" in item["qr_text"], "a packed QR credential"
            secrets += [jws, jws.split(".")[1], jws.split(".")[2], item["qr_text"].split("#")[1]]
            for submitted in (jws, item["qr_text"]):
                verified = client.post("/api/v1/verify", json={"credential": submitted})
                assert verified.json()["status"] == "valid"
            form = client.post("/verify", data={"credential": item["qr_text"]})
            assert form.status_code == 200
            assert "真实有效" in form.text
            assert client.get(f"/v/{item['id']}").status_code == 200
            link = client.post(f"/api/v1/credentials/{item['id']}/share-links", headers=auth)
            share_token = link.json()["url"].rsplit("/", 1)[1]
            secrets.append(share_token)
            assert client.get(f"/s/{share_token}").status_code == 200
            revoked = client.post(
                f"/api/v1/credentials/{item['id']}/revoke",
                json={"reason": "exam_misconduct", "note": "cheated, says 王小明"},
                headers={**auth, "X-Request-ID": "ops-test-1"},
            )
            assert revoked.status_code == 200
            server_id = revoked.headers["x-request-id"]
            assert server_id != "ops-test-1"  # the server's own id, never the client's
            assert client.post("/api/v1/verify", json={"credential": jws}).json()["status"] == (
                "revoked"
            )
    finally:
        assert stop_server(server)
    output = server.output()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "issuer.request"]
    assert len(requests) >= 9
    assert all(line["request_id"] and line["route"] for line in requests)
    assert not any(line["request_id"] == "ops-test-1" for line in lines)
    (revoke_line,) = [line for line in requests if line.get("client_request_id") == "ops-test-1"]
    assert revoke_line["request_id"] == server_id
    assert {"/s/{token}", "/v/{credential_id}", "/api/v1/verify"} <= {
        line["route"] for line in requests
    }
    for secret in secrets:
        assert secret not in output
