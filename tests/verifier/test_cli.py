"""The offline verify command (``verifier.cli``), through Typer's CliRunner."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.verifier.kit import STATUS_INDEX, FakeIssuerServer, IssuerKit
from verifier import cli
from verifier.sources.fetch import build_http_client

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path, kit: IssuerKit) -> dict[str, Path]:
    paths = {
        "token": tmp_path / "credential.jwt",
        "jwks": tmp_path / "jwks.json",
        "status": tmp_path / "status.jwt",
        "cache": tmp_path / "cache",
    }
    paths["token"].write_text(kit.token() + "\n")
    paths["jwks"].write_text(json.dumps(kit.jwks))
    paths["status"].write_text(kit.status_list_token())
    return paths


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TESSERA_TRUSTED_ISSUERS", "TESSERA_BASE_URL", "TESSERA_VERIFY_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_valid_token_with_jwks_and_status_list_files(
    files: dict[str, Path], kit: IssuerKit
) -> None:
    code, out, _ = invoke(
        kit.token(), "--jwks", str(files["jwks"]), "--status-list", str(files["status"])
    )
    assert code == 0
    assert "VALID" in out
    assert "真实有效" in out
    assert "张伟" in out
    assert "ok   signature" in out


def test_valid_token_from_file(files: dict[str, Path]) -> None:
    code, _, _ = invoke(
        str(files["token"]), "--jwks", str(files["jwks"]), "--status-list", str(files["status"])
    )
    assert code == 0


def test_revoked_exits_one(files: dict[str, Path], kit: IssuerKit) -> None:
    files["status"].write_text(kit.status_list_token(set_indices={STATUS_INDEX}))
    code, out, _ = invoke(
        str(files["token"]), "--jwks", str(files["jwks"]), "--status-list", str(files["status"])
    )
    assert code == 1
    assert "REVOKED" in out
    assert "已撤销" in out


def test_no_status_reports_skipped_check(files: dict[str, Path]) -> None:
    code, out, _ = invoke(str(files["token"]), "--jwks", str(files["jwks"]), "--no-status")
    assert code == 0
    assert "skip status" in out


def test_json_output(files: dict[str, Path]) -> None:
    code, out, _ = invoke(
        str(files["token"]), "--jwks", str(files["jwks"]), "--no-status", "--json"
    )
    assert code == 0
    body = json.loads(out)
    assert body["verified"] is True
    assert body["checks"][-1]["skipped"] is True


def test_untrusted_without_keys_exits_one(files: dict[str, Path]) -> None:
    code, out, _ = invoke(str(files["token"]), "--no-status")
    assert code == 1
    assert "untrusted_issuer" in out


def test_jwks_of_another_issuer_fails_signature(files: dict[str, Path]) -> None:
    stranger = IssuerKit()
    files["jwks"].write_text(json.dumps(stranger.jwks))
    code, out, _ = invoke(str(files["token"]), "--jwks", str(files["jwks"]), "--no-status")
    assert code == 1
    assert "key_not_found" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jwt", "--no-status"], "does not exist"),
        (["{token}", "--jwks", "nope.json", "--no-status"], "cannot be read"),
        (["{token}", "--status-list", "{status}", "--no-status"], "not both"),
        (["--no-status"], "give a token"),
    ],
)
def test_errors_are_one_line_and_exit_two(
    files: dict[str, Path], args: list[str], message: str
) -> None:
    filled = [a.format(token=files["token"], status=files["status"]) for a in args]
    code, _, err = invoke(*filled)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_bad_jwks_file_is_one_line(files: dict[str, Path]) -> None:
    files["jwks"].write_text("{not json")
    code, _, err = invoke(str(files["token"]), "--jwks", str(files["jwks"]), "--no-status")
    assert code == 2
    assert "JWK Set" in err


@pytest.fixture
def fake_network(monkeypatch: pytest.MonkeyPatch, kit: IssuerKit) -> FakeIssuerServer:
    server = FakeIssuerServer(kit)

    def client(**_kwargs: object) -> httpx.Client:
        return build_http_client(transport=httpx.MockTransport(server.handler))

    monkeypatch.setattr(cli, "build_http_client", client)
    return server


def test_online_then_offline_with_cache_ages(
    files: dict[str, Path], kit: IssuerKit, fake_network: FakeIssuerServer
) -> None:
    common = ["--trusted-issuer", kit.base, "--cache-dir", str(files["cache"])]
    code, _, _ = invoke(str(files["token"]), *common)
    assert code == 0
    assert "/.well-known/jwks.json" in fake_network.requests
    fake_network.down = True
    code, out, err = invoke(str(files["token"]), "--offline", "--cache-dir", str(files["cache"]))
    assert code == 0, out
    assert "offline: cached keys for https://issuer.test fetched" in err
    assert "offline: cached status list for https://issuer.test/status/1 fetched" in err


def test_offline_without_cache_fails_clearly(files: dict[str, Path]) -> None:
    code, _, err = invoke(str(files["token"]), "--offline", "--cache-dir", str(files["cache"]))
    assert code == 2
    assert "no cached keys" in err
    code, out, _ = invoke(
        str(files["token"]),
        "--offline",
        "--trusted-issuer",
        "https://issuer.test",
        "--cache-dir",
        str(files["cache"]),
    )
    assert code == 3  # unavailable: trying again (online) may help
    assert "key_source_unavailable" in out
    assert "UNAVAILABLE" in out


@pytest.mark.usefixtures("fake_network")
def test_verify_url_through_network(kit: IssuerKit) -> None:
    code, out, _ = invoke(f"{kit.base}/v/abc", "--trusted-issuer", kit.base)
    assert code == 0, out
    assert "ok   locate" in out


@pytest.mark.usefixtures("fake_network")
def test_qr_image_with_verify_url(tmp_path: Path, kit: IssuerKit) -> None:
    qrcode = pytest.importorskip("qrcode")
    image = tmp_path / "qr.png"
    qrcode.make(f"{kit.base}/v/abc").save(image)
    code, out, _ = invoke("--qr", str(image), "--trusted-issuer", kit.base)
    assert code == 0, out


def test_qr_without_zxing_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    image = tmp_path / "qr.png"
    image.write_bytes(b"not an image")
    code, _, err = invoke("--qr", str(image))
    assert code == 2
    assert "zxing-cpp" in err


def test_qr_image_without_code(tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "blank.png"
    Image.new("L", (64, 64), 255).save(image)
    code, _, err = invoke("--qr", str(image))
    assert code == 2
    assert "no QR code" in err


def test_expired_exits_one(kit: IssuerKit, files: dict[str, Path]) -> None:
    token = kit.token(
        kit.credential(
            valid_from=dt.datetime(2019, 1, 1, tzinfo=dt.UTC),
            valid_until=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        )
    )
    code, out, _ = invoke(token, "--jwks", str(files["jwks"]), "--no-status")
    assert code == 1
    assert "EXPIRED" in out


def test_main_is_the_standalone_entry_point() -> None:
    assert callable(cli.main)
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    assert "--status-list" in result.output
    assert "--offline" in result.output
