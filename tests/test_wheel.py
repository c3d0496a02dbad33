"""The wheel works on its own.

Builds the wheel from this checkout, installs it into a new virtual environment outside the
checkout, and in an empty directory runs ``tessera init`` and ``tessera serve``: one
credential is issued through the API, verified, and rendered as a PDF certificate. Anything
the wheel lacks (migrations, catalog data, fonts, static files, the QR packing dictionary)
fails here. The wheel's dependencies come from the package index, through pip's cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.issuer.helpers import issue_body
from tests.servers import free_port
from verifier.web.api_docs import ASSET_PATH

ROOT = Path(__file__).resolve().parents[1]

# Files the service reads at run time, by how their path in the wheel ends: where a module
# sits inside issuer/ or verifier/ may change, these must ship wherever they are.
REQUIRED_IN_WHEEL = [
    "issuer/migrations/env.py",
    "issuer/migrations/script.py.mako",
    *(f"issuer/migrations/versions/{p.name}" for p in (ROOT / "migrations/versions").glob("*.py")),
    "/demo_catalog.json",
    "/DroidSansFallbackFull.ttf",
    "/HanaMinA-subset.ttf",
    "/DejaVuSans-subset.ttf",
    "/DejaVuSans-Bold-subset.ttf",
    "/share.css",
    "/verify.css",
    "/verify.js",
    "/verify-core.mjs",
    "/sw.js",
    "/qr-packing-v1.dict",
    "/qr-packing-v2.dict",
    "/api-docs.js",
    "/swagger-ui/swagger-ui-bundle.js",
    "/swagger-ui/swagger-ui.css",
    "/swagger-ui/favicon-32x32.png",
]


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        check=False,
    )
    output = done.stdout.decode("utf-8", errors="replace")
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{output[-4000:]}"
    return output


def _clean_env() -> dict[str, str]:
    """This environment without anything that points at the checkout or its settings."""
    dropped = ("TESSERA_", "PROMETHEUS_", "PYTHON", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(dist),
            str(ROOT),
        ],
        cwd=dist,
        env=_clean_env(),
    )
    (built,) = dist.glob("tessera-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment, outside the checkout, with the wheel installed: its bin/."""
    root = tmp_path_factory.mktemp("venv")
    env = _clean_env()
    _run([sys.executable, "-m", "venv", str(root)], cwd=root, env=env)
    bin_dir = root / "bin"
    install = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)]
    _run(install, cwd=root, env=env)
    return bin_dir


def test_the_wheel_carries_the_files_the_service_reads(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    missing = [end for end in REQUIRED_IN_WHEEL if not any(n.endswith(end) for n in names)]
    assert not missing, f"missing from {wheel.name}: {missing}"
    assert len(REQUIRED_IN_WHEEL) > 9  # the migration versions were found


@pytest.fixture
def server(venv: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``tessera init`` then ``tessera serve`` from the installed wheel, in an empty directory."""
    site = tmp_path / "site"
    site.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**_clean_env(), "TESSERA_BASE_URL": url}

    show = "import issuer, verifier; print(issuer.__file__, verifier.__file__)"
    where = _run([str(venv / "python"), "-c", show], cwd=site, env=env)
    for path in where.split():
        assert Path(path).is_relative_to(venv.parent), f"imported from {path}, not the new venv"
    assert not Path(where.split()[0]).is_relative_to(ROOT)

    _run([str(venv / "tessera"), "init"], cwd=site, env=env)
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(venv / "tessera"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=site,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"tessera serve exited:\n{log.read_text()[-4000:]}"
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"no /healthz in 60 s:\n{log.read_text()[-4000:]}"
            time.sleep(0.2)
        yield url, site
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_installed_wheel_issues_and_verifies(server: tuple[str, Path]) -> None:
    url, site = server
    admin = (site / "var" / "admin-token").read_text(encoding="utf-8").strip()
    assert list((site / "keys").glob("*.pem")), "tessera init made no key under ./keys"
    assert (site / "var" / "tessera.db").is_file()
    headers = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=url, timeout=30) as client:
        issued = client.post("/api/v1/credentials", json=issue_body(), headers=headers)
        assert issued.status_code == 201, issued.text
        record = issued.json()
        assert record["qr_text"].startswith(f"{url}/")

        verified = client.post("/api/v1/verify", json={"credential": record["credential"]})
        assert verified.status_code == 200, verified.text
        assert verified.json()["status"] == "valid"

        # The fonts, the stylesheets and the verify page's script ship too.
        pdf = client.get(f"/api/v1/credentials/{record['id']}/certificate.pdf", headers=headers)
        assert pdf.status_code == 200, pdf.text
        assert pdf.content.startswith(b"%PDF")
        for asset in (
            "/verify/verify.js",
            "/verify/verify-core.mjs",
            "/sw.js",
            "/verify/verify.css",
            "/s/share.css",
            "/docs",
            "/docs/api-docs.js",
            f"{ASSET_PATH}/swagger-ui-bundle.js",
        ):
            assert client.get(asset).status_code == 200, asset
