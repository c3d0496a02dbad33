"""The wallet of the presentation-request tests: ``wallet/wallet.mjs``, a Node script driving
``@openid4vc/openid4vp``'s wallet side and ``@sd-jwt/sd-jwt-vc`` (pinned in
``wallet/package.json``, installed by ``npm ci`` on first use)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from issuer.credentials.sd_jwt_vc import build_sd_jwt_vc
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Credential
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import issue
from tests.issuer.sd_jwt_helpers import holder_key, private_jwk, public_jwk
from tests.node_packages import npm_installed

WALLET_DIR = Path(__file__).resolve().parent / "wallet"


def install_wallet() -> Path:
    """``npm ci`` once (node_modules stays, ignored by git); one test process at a time."""
    return npm_installed(WALLET_DIR, "wallet")


class WalletFailedError(AssertionError):
    """The wallet script refused the request or failed (its stderr says why)."""


def run_wallet(link: str, trusted_jwks: str | dict[str, Any], **options: Any) -> dict[str, Any]:
    """Run the wallet on ``link``: resolve the request and, given ``credential`` and
    ``holder_jwk``, answer it. Its report (resolved request, answer status and body)."""
    install_wallet()
    payload = {"link": link, "trusted_jwks": trusted_jwks, "credential": None, **options}
    done = subprocess.run(
        ["node", "wallet.mjs"],
        cwd=WALLET_DIR,
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise WalletFailedError(done.stderr.decode(errors="replace")[-3000:])
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def holder_wallet_credential(
    client: TestClient, headers: dict[str, str], services: Services, base: str
) -> tuple[str, str, dict[str, str]]:
    """A certificate issued through the registrar API on the app at ``base``, as the SD-JWT
    VC a wallet holds, bound to a holder key made here: (credential id, SD-JWT VC, the
    holder's private JWK)."""
    load_catalog(services)
    key = holder_key()
    issued = issue(client, headers)
    with session_scope(services.sessions) as session:
        credential = session.get(Credential, issued["id"])
        assert credential is not None
        sd_jwt_vc = build_sd_jwt_vc(
            session,
            credential,
            base_url=base,
            signer=services.signer(session),
            holder_jwk=public_jwk(key),
            now=services.clock(),
        )
    return issued["id"], sd_jwt_vc, private_jwk(key)
