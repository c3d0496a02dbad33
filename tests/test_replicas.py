"""Two real server processes on one PostgreSQL database behave as one service.

Replica A runs one worker, replica B two (``--workers 2``, metrics in multiprocess mode);
both share the database (and so the issuer identity stored in it) and the keys directory.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.helpers import fresh_database_url
from tests.issuer.helpers import issue_body
from tests.servers import Server, prepare_database, server_env, start_server, stop_server
from verifier.jws import decode_unverified_jws

pytestmark = pytest.mark.postgres


@pytest.fixture
def replicas(
    postgres_server: str,  # noqa: ARG001 (skips without a PostgreSQL server)
    tmp_path: Path,
) -> Iterator[tuple[Server, Server, str]]:
    for url in fresh_database_url("postgresql", tmp_path):
        token = prepare_database(url, tmp_path)
        env = server_env(url, tmp_path)
        first = start_server(env, tmp_path, name="a")
        try:
            second = start_server(env, tmp_path, workers=2, name="b")
        except BaseException:
            stop_server(first)
            raise
        try:
            yield first, second, token
        finally:
            stopped = [stop_server(server) for server in (first, second)]
            assert all(stopped), first.output()[-2000:] + second.output()[-2000:]


_numbers = itertools.count(1)


def _issue(base: str, token: str) -> dict[str, object]:
    n = next(_numbers)
    body = issue_body(
        holder={"name": f"Replica Holder {n}", "employee_number": f"R-{n:05d}"},
        exam={"date": "2026-10-14", "session": f"2026-R-{n}", "score": 80},
    )
    response = httpx.post(
        f"{base}/api/v1/credentials",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    issued: dict[str, object] = response.json()
    return issued


def _status(base: str, credential: object) -> str:
    response = httpx.post(f"{base}/api/v1/verify", json={"credential": credential}, timeout=30)
    assert response.status_code == 200
    return str(response.json()["status"])


def _revoke(base: str, token: str, credential_id: object) -> None:
    response = httpx.post(
        f"{base}/api/v1/credentials/{credential_id}/revoke",
        json={"reason": "exam_misconduct"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_revocation_through_one_replica_is_seen_through_the_other_at_once(
    replicas: tuple[Server, Server, str],
) -> None:
    a, b, token = replicas
    issued = _issue(a.url, token)
    assert _status(b.url, issued["credential"]) == "valid"
    _revoke(a.url, token, issued["id"])
    assert _status(b.url, issued["credential"]) == "revoked"
    assert _status(a.url, issued["credential"]) == "revoked"


def test_concurrent_issuance_and_revocation_through_both_replicas(
    replicas: tuple[Server, Server, str],
) -> None:
    a, b, token = replicas
    targets = [a.url, b.url] * 12
    with ThreadPoolExecutor(max_workers=6) as pool:
        issued = list(pool.map(lambda base: _issue(base, token), targets))
    slots = []
    for item in issued:
        payload = decode_unverified_jws(str(item["credential"])).payload
        status = payload["credentialStatus"]
        entries = status if isinstance(status, list) else [status]
        slots += [(e["statusListCredential"], e["statusListIndex"]) for e in entries]
    assert len(set(slots)) == len(slots) == len(issued)
    numbers = [item["number"] for item in issued]
    assert len(set(numbers)) == len(numbers)

    # Revoke every other one, alternating replicas, concurrently; none may be lost.
    doomed = issued[::2]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(
            pool.map(
                lambda pair: _revoke(pair[0], token, pair[1]["id"]),
                zip(itertools.cycle([b.url, a.url]), doomed, strict=False),
            )
        )
    for n, item in enumerate(issued):
        expected = "revoked" if n % 2 == 0 else "valid"
        for base in (a.url, b.url):
            assert _status(base, item["credential"]) == expected
    # Replica B's two workers sum their metrics (prometheus_client's multiprocess mode).
    metrics = httpx.get(f"{b.url}/metrics", timeout=10).text
    assert "tessera_http_requests_total" in metrics
    assert json.dumps(issued[0]["id"]).strip('"') not in metrics
