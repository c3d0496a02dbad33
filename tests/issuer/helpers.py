"""Small helpers for issuer tests: the catalog, an issue request, independent JOSE checks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from jwcrypto import jwk, jws
from PIL import Image, ImageDraw
from typer.testing import CliRunner, Result

from issuer.campaigns.bundle import request_bundle
from issuer.campaigns.bundle_chunks import BundlePlan, plan_bundle
from issuer.campaigns.demo import catalog_data, load_catalog_data
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.cli.main import app as tessera
from issuer.config import Settings
from issuer.errors import IssuerError
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from tests.helpers import BASE_URL, PASSPHRASE
from tests.issuer.campaign_files import campaign, request_row, write_csv

VECTORS = Path(__file__).resolve().parents[1] / "vectors"  # vendored: tests/vectors/README.md

PUBLIC_API_PATHS = frozenset(
    {
        "/api/v1/verify",
        "/api/v1/verify/batch",
        # an employer asks a holder's wallet; the answer is behind a secret (decision 0058)
        "/api/v1/presentation-requests",
        "/api/v1/presentation-requests/results/{token}",
    }
)
"""The API paths anyone may call (employers verify and ask wallets without an account);
every other ``/api/v1/`` path needs a token."""


def load_catalog(services: Services) -> None:
    with session_scope(services.sessions) as session:
        load_catalog_data(session, catalog_data())


def import_campaign(services: Services, folder: Path, holders: int) -> str:
    """The catalogue and the demo campaign's first ``holders`` rows imported (each issued);
    the import's id."""
    load_catalog(services)
    rows = [request_row(r) for r in campaign()[:holders]]
    path = write_csv(folder / "c.csv", rows)
    request = ImportRequest(path=path, filename="c.csv", dry_run=False, actor=Actor("test"))
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=1000, now=services.clock())
    run_import(services, job.id, request)
    return job.id


def plan_campaign_bundle(services: Services, import_id: str, chunk_size: int) -> BundlePlan:
    """What the bundle route does up to its commit: the bundle asked for and planned in
    chunks of ``chunk_size`` holders, no job queued or run."""
    with session_scope(services.sessions) as session:
        request_bundle(session, import_id)
        return plan_bundle(
            session,
            import_id,
            actor=Actor("test"),
            units=None,
            chunk_size=chunk_size,
            services=services,
        )


def issue_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "holder": {
            "name": "王小明",
            "employee_number": "E-0001",
            "national_id": "110101199003074477",
            "birth_date": "1990-03-07",
        },
        "occupation": "6-17-05-01",
        "level": "senior",
        "unit": "U01",
        "exam": {"date": "2026-10-14", "session": "2026-Q4-D3-R05", "score": 91},
    }
    body.update(changes)
    return body


def verify_with_jwcrypto(token: str, jwks: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify ``token`` with jwcrypto (not PyJWT) against a published JWKS: (header, payload)."""
    keyset = jwk.JWKSet.from_json(json.dumps(jwks))
    signed = jws.JWS()
    signed.deserialize(token)
    header = signed.jose_header
    key = keyset.get_key(header["kid"])
    assert key is not None, "kid not in the published JWKS"
    signed.verify(key, alg=header["alg"])
    return header, json.loads(signed.payload)


def schema(name: str) -> dict[str, Any]:
    paths = {
        "ob": VECTORS / "schemas/ob_v3p0_achievementcredential_schema.json",
        "vc": VECTORS / "schemas/w3c-vc2-verifiable-credential-schema.json",
    }
    loaded: dict[str, Any] = json.loads(paths[name].read_text("utf-8"))
    return loaded


def svg_to_image(svg: bytes) -> Image.Image:
    """A QR SVG of ours drawn as a bitmap, 8 pixels a module, for a decoder to read."""
    text = svg.decode("ascii")
    view_box = re.search(r'viewBox="0 0 (\d+) \d+"', text)
    assert view_box is not None
    size = int(view_box.group(1))
    image = Image.new("L", (size * 8, size * 8), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)", text):
        left, top = int(x) * 8, int(y) * 8
        draw.rectangle((left, top, left + int(width) * 8 - 1, top + 7), fill=0)
    return image


def cli_env(settings: Settings) -> dict[str, str]:
    """The ``TESSERA_*`` environment of a ``tessera`` command on the test's database."""
    return {
        "TESSERA_DATABASE_URL": settings.database_url,
        "TESSERA_KEYS_DIR": str(settings.keys_dir),
        "TESSERA_KEY_PASSPHRASE": PASSPHRASE,
        "TESSERA_BASE_URL": settings.base_url or BASE_URL,
    }


def invoke_cli(settings: Settings, *args: str) -> Result:
    """Run ``tessera ARGS`` in this process (Typer's runner) on the test's database."""
    return CliRunner().invoke(tessera, list(args), env=cli_env(settings))


def run_cli(settings: Settings, *args: str) -> tuple[int, str]:
    """``invoke_cli``: (exit status, output), a domain error as ``main`` prints it."""
    result = invoke_cli(settings, *args)
    if isinstance(result.exception, IssuerError):  # what ``main`` prints as one line, exit 1
        return 1, f"error: {result.exception}"
    return result.exit_code, result.output
