"""Benchmark: issuing the 1,391-credential demo campaign against raw ES256 signing.

Run: .venv/bin/python bench/issuance.py [--repeat 7]

Everything is measured in the same run, so the ratios hold on a noisy machine:
  signatures  the ECDSA P-256 operation alone over each token's signing input
  raw JWS     plain compact JWS signing of the same payloads (serialise, base64url, sign)
  issuance    ``issue_credentials`` for the whole campaign: holders, status slots, credentials
              built, signed and stored with their audit events, committed (SQLite)
  qr          rendering one credential's QR PNG (the verify URL), per credential
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from issuer.campaigns.demo import campaign_requests, catalog_data, load_catalog_data
from issuer.credentials.issuance import IssuerIdentity, issue_credentials
from issuer.credentials.qr import qr_text, render_qr_png
from issuer.keys.keystore import generate_private_key
from issuer.keys.signer import Signer
from issuer.runtime import prepare_process
from issuer.store import migration
from issuer.store.audit import Actor
from issuer.store.engine import create_db_engine, create_session_factory, session_scope
from issuer.store.models import Credential, SigningKey
from verifier.jwk import jwk_from_public_key

BASE_URL = "https://certs.example.org"


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _no_qr_check(*_args: object) -> None:
    """Stands in for the QR-fit check when the run excludes it."""


def run_issuance(
    signer: Signer, workdir: Path, run: str, *, qr_check: bool
) -> tuple[float, list[str]]:
    """Issue the campaign into a fresh database; ``qr_check=False`` leaves out the QR-fit
    check (packing each credential to size its QR code), which is QR work, not signing."""
    engine = create_db_engine(f"sqlite:///{workdir / f'bench-{run}.db'}")
    migration.upgrade(engine)
    sessions = create_session_factory(engine)
    data = catalog_data()
    requests = campaign_requests(data)
    with session_scope(sessions) as session:
        load_catalog_data(session, data)  # catalog and key metadata committed before timing
        jwk = jwk_from_public_key(signer.private_key.public_key())
        session.add(
            SigningKey(
                kid=signer.kid, algorithm="ES256", public_jwk=jwk, state="active", created_at=_now()
            )
        )
    issuer = IssuerIdentity(base_url=BASE_URL, name="Bench issuer", signer=signer)
    skip_check = mock.patch("issuer.credentials.issuance.check_qr_capacity", _no_qr_check)
    os.sync()  # no dirty pages of earlier repetitions are written back during this one
    with skip_check if not qr_check else contextlib.nullcontext():
        start = time.perf_counter()
        with session_scope(sessions) as session:
            issue_credentials(session, requests, issuer=issuer, actor=Actor("bench"), now=_now())
        elapsed = time.perf_counter() - start
    with sessions() as session:
        tokens = [c.jws for c in session.query(Credential)]
    engine.dispose()
    return elapsed, tokens


def run_signature_baseline(key: ec.EllipticCurvePrivateKey, tokens: list[str]) -> float:
    """The ECDSA operation alone over each token's signing input."""
    inputs = [t.rsplit(".", 1)[0].encode("ascii") for t in tokens]
    algorithm = ec.ECDSA(hashes.SHA256())
    start = time.perf_counter()
    for signing_input in inputs:
        key.sign(signing_input, algorithm)
    return time.perf_counter() - start


def run_jws_baseline(key: ec.EllipticCurvePrivateKey, tokens: list[str]) -> float:
    """Plain compact JWS signing of the same payloads: serialise, encode, sign, nothing else."""
    header = tokens[0].split(".", 1)[0]
    payloads = [orjson.loads(base64.urlsafe_b64decode(t.split(".")[1] + "===")) for t in tokens]
    algorithm = ec.ECDSA(hashes.SHA256())
    start = time.perf_counter()
    for payload in payloads:
        signing_input = f"{header}.{_b64(orjson.dumps(payload)).decode()}".encode("ascii")
        r, s = decode_dss_signature(key.sign(signing_input, algorithm))
        _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    return time.perf_counter() - start


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def main() -> None:
    prepare_process()  # as `tessera` and each server worker do after start-up
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--qr-samples", type=int, default=50)
    args = parser.parse_args()
    key = generate_private_key("ES256")
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signer = Signer(
        kid=jwk_from_public_key(key.public_key())["kid"], algorithm="ES256", private_key=key
    )
    issuance, with_check, signature, jws = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.repeat):
            elapsed, tokens = run_issuance(signer, Path(tmp), f"{run}a", qr_check=False)
            issuance.append(elapsed)
            with_check.append(run_issuance(signer, Path(tmp), f"{run}b", qr_check=True)[0])
            signature.append(run_signature_baseline(key, tokens))
            jws.append(run_jws_baseline(key, tokens))
    texts = [qr_text(BASE_URL, token) for token in tokens[: args.qr_samples]]
    qr_times = []
    for text in texts:
        start = time.perf_counter()
        render_qr_png(text)
        qr_times.append(time.perf_counter() - start)
    n = len(tokens)
    s, j, i, c = (statistics.median(x) for x in (signature, jws, issuance, with_check))
    print(f"credentials                   {n}  (median of {args.repeat} runs)")
    print(f"ECDSA P-256 signatures only   {s * 1000:8.1f} ms  ({n / s:,.0f}/s)")
    print(f"raw compact JWS signing       {j * 1000:8.1f} ms  ({n / j:,.0f}/s)")
    print(f"sign and store, QR excluded   {i * 1000:8.1f} ms  ({n / i:,.0f}/s)")
    print(f"  ratio to raw JWS signing    {i / j:8.2f}x  (target <= 4x)")
    print(f"  ratio to signatures only    {i / s:8.2f}x")
    print(f"sign and store + QR-fit check {c * 1000:8.1f} ms  ({n / c:,.0f}/s, {c / j:.2f}x)")
    print(
        f"QR PNG per credential    {statistics.median(qr_times) * 1000:8.2f} ms median "
        f"(packed verify URL, {statistics.median(len(t) for t in texts):.0f} chars)"
    )


if __name__ == "__main__":
    main()
