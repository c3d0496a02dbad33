"""The W3C VC Data Model 2.0 test suite (tags ``vc2.0`` and ``EnvelopingProof``) against a
``tessera serve`` this test starts.

The suite and the implementation registry it reads are vendored under ``tests/vendor/``
(``W3C-VC-SUITE-PROVENANCE.md`` there, with the suite's two patched lines), installed with
``npm ci --install-links`` from the pinned lockfile (``tests/w3c_suite.py``).
The suite reaches Tessera through an https front (``tests/vc_api_suite/tls_front.mjs``):
only for https endpoints does it send the configured bearer token and unwrap the VC-API's
answers. Mocha reports as JSON; the test requires no failure, at least as many tests run
and passed as the suite has for these tags (so a server that answers 404 everywhere cannot
pass on the "must reject" cases alone), and credentials really issued (counted in the
database). The counts appear in the test run's summary ("results for the CI log",
tests/conftest.py), pass or fail.

The server trusts the suite's own ``did:key`` as an issuer of embedded-proof credentials,
which its presentations hold. The presentation verifier is registered for ``vc2.0`` only:
the suite's three ``EnvelopingProof`` presentation tests send a VCDM 1.1 ``vp``-claim JWT,
which Tessera refuses by design, and without a VP verifier for that tag they check nothing
(docs/decisions/0055-vc-api.md); tests/test_vc_api.py covers enveloped ``vp+jwt`` instead.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import create_engine, func, select

from issuer.store.models import ApiCredential, AuditEvent
from issuer.vocabulary import AuditAction
from tests.helpers import BASE_URL, fresh_database_url
from tests.servers import prepare_database, server_env, start_server, stop_server
from tests.w3c_suite import CONFIG_DIR, SUITE_DID_KEY, SUITE_DIR, install_suite

# What the pinned suite (6e07524) has for these tags with one implementation configured:
# every one must run and pass. A newer suite may have more, never fewer.
SUITE_TESTS = 65
# Credentials issued (and stored) during the run: the pinned suite's positive cases make 67.
MIN_ISSUED = 60


def self_signed_certificate(work: Path) -> tuple[Path, Path]:
    """A throwaway P-256 key and certificate for 127.0.0.1 (the suite accepts any)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = work / "front-key.pem", work / "front-cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def https_front(work: Path, backend: str) -> Generator[str, None, None]:
    key_file, cert_file = self_signed_certificate(work)
    process = subprocess.Popen(
        ["node", str(CONFIG_DIR / "tls_front.mjs"), str(key_file), str(cert_file), backend],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"the https front did not start: {port}"
        yield f"https://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind (PostgreSQL: when TESSERA_TEST_POSTGRES_URL is set)."""
    if request.param == "postgresql":
        request.getfixturevalue("postgres_server")
    yield from fresh_database_url(request.param, tmp_path)


def run_suite(front: str, token: str, work: Path) -> tuple[dict[str, int], list[str]]:
    """Mocha over the suite's tests with the JSON reporter; its ``stats``."""
    report = work / "mocha.json"
    env = {
        **os.environ,
        "APP_ROOT_PATH": str(CONFIG_DIR),
        "TESSERA_SUITE_URL": front,
        "TESSERA_SUITE_ISSUER": BASE_URL,
        "TESSERA_SUITE_TOKEN": token,
    }
    finished = subprocess.run(
        [
            str(SUITE_DIR / "node_modules" / ".bin" / "mocha"),
            "tests/",
            "--timeout",
            "15000",
            "--preserve-symlinks",
            "--reporter",
            "json",
            "--reporter-option",
            f"output={report}",
        ],
        cwd=SUITE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert report.exists(), f"mocha wrote no report: {finished.stderr[-3000:]}"
    results = json.loads(report.read_text(encoding="utf-8"))
    failures = [
        f"{failure['fullTitle']}: {failure['err'].get('message', '')[:300]}"
        for failure in results["failures"]
    ]
    stats: dict[str, int] = results["stats"]
    return stats, failures


def count_issued(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(ApiCredential)).scalar()
            audited = connection.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == AuditAction.API_CREDENTIAL_ISSUE)
            ).scalar()
    finally:
        engine.dispose()
    return int(stored or 0), int(audited or 0)


def test_the_w3c_vc_data_model_2_suite_passes_against_tessera(
    tmp_path: Path, database_url: str, record_property: Callable[[str, object], None]
) -> None:
    install_suite()
    token = prepare_database(database_url, tmp_path)
    env = server_env(database_url, tmp_path, TESSERA_TRUSTED_ISSUERS=SUITE_DID_KEY)
    server = start_server(env, tmp_path)
    try:
        front = https_front(tmp_path, server.url)
        base = next(front)
        try:
            stats, failures = run_suite(base, token, tmp_path)
        finally:
            front.close()
    finally:
        stop_server(server)
    stored, audited = count_issued(database_url)
    summary = (
        f"W3C VC Data Model 2.0 test suite (vc2.0, EnvelopingProof): {stats['tests']} tests,"
        f" {stats['passes']} passed, {stats['failures']} failed, {stats['pending']} pending;"
        f" Tessera issued {stored} credentials ({audited} audited)"
    )
    record_property("ci_log:w3c_vc2_suite", summary)
    print(summary, *(f"FAILED {failure}" for failure in failures), sep="\n")
    assert stats["failures"] == 0
    assert stats["pending"] == 0
    assert stats["tests"] >= SUITE_TESTS
    assert stats["passes"] == stats["tests"]
    assert stored >= MIN_ISSUED
    assert audited == stored
