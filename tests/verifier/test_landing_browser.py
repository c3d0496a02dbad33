"""The verify page's five ways in a real browser, at phone (390 px) and desktop (1280 px) width.

Debian's chromium through Playwright, against the issuer's app on a loopback port. The camera
is Chromium's fake capture device playing a Y4M video made from the credential's real QR code
(``tests.fake_camera``): the page decodes the frames itself (this Chromium has no
``BarcodeDetector``, so with the vendored jsQR) and opens the packed link, which verifies in
the page; no request carries a picture. Uploads of a photo and a screenshot of the QR code, the
PDF certificate and both baked badges, and a look-up by number and name, each reach the
credential's verdict; a file with nothing to verify gives the page again with a reason.
SQLite only: the page does the same whatever database the server uses. Decision 0048.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from issuer.credentials.qr import render_qr_png
from issuer.services import Services
from tests.accessibility import PageChecks
from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.fake_camera import camera_args, camera_frames, photo_of, write_y4m
from tests.issuer.helpers import issue_body, load_catalog
from verifier.i18n import Lang, say

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

WIDTHS = [390, 1280]  # a phone, a desktop screen
START_CAMERA = "打开相机扫描 Start the camera"


@pytest.fixture
def live(live_server: tuple[str, TestClient], services: Services) -> tuple[str, TestClient]:
    require_chromium()
    load_catalog(services)
    return live_server


@pytest.fixture
def issued(live: tuple[str, TestClient], admin_headers: dict[str, str]) -> dict[str, Any]:
    """A valid and a revoked credential, as the API reads them."""
    _base, client = live
    found = {}
    for name, holder, number in (("valid", "王小明", "E-0001"), ("revoked", "李四", "E-0002")):
        body = issue_body(holder={"name": holder, "employee_number": number})
        answer = client.post("/api/v1/credentials", json=body, headers=admin_headers)
        assert answer.status_code == 201, answer.text
        found[name] = answer.json()
    revoke = client.post(
        f"/api/v1/credentials/{found['revoked']['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers=admin_headers,
    )
    assert revoke.status_code == 200, revoke.text
    return found


def qr_image(client: TestClient, headers: dict[str, str], credential: dict[str, Any]) -> Any:
    png = client.get(f"/api/v1/credentials/{credential['id']}/qr.png", headers=headers).content
    return Image.open(io.BytesIO(png))


def scan_with_camera(
    video: Path, base: str, width: int, *, init_script: str | None = None
) -> tuple[str, str, list[Any]]:
    """Open the verify page with ``video`` as the camera (and ``init_script`` run in each
    page first), start it; the verdict page's URL and text, and every request the browser
    made (method, URL, body)."""
    from playwright.sync_api import sync_playwright

    requests: list[Any] = []
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + camera_args(video)
        )
        try:
            context = browser.new_context(
                viewport={"width": width, "height": 844}, extra_http_headers=BOTH_LANGUAGES
            )
            context.on("request", lambda r: requests.append((r.method, r.url, r.post_data)))
            if init_script is not None:
                context.add_init_script(init_script)
            page = context.new_page()
            page.on("console", lambda message: messages.append(message.text))
            page.on("pageerror", lambda error: messages.append(str(error)))
            page.goto(f"{base}/verify")
            page.get_by_role("button", name=START_CAMERA).click()
            page.locator("section.verdict").wait_for(timeout=30_000)
            url, shown = page.url, page.locator("main").inner_text()
        finally:
            browser.close()
    # No Content-Security-Policy violation, no script error (a 404 for a document the
    # issuer does not publish, such as a suspension twin, is an answer).
    assert [m for m in messages if not m.startswith("Failed to load resource")] == []
    return url, shown, requests


@pytest.mark.parametrize("width", WIDTHS)
def test_the_camera_reads_the_certificate_and_opens_its_verdict(
    live: tuple[str, TestClient],
    admin_headers: dict[str, str],
    issued: dict[str, Any],
    tmp_path: Path,
    width: int,
) -> None:
    base, client = live
    for name, verdict, wrong in (
        ("valid", "真实有效", "已撤销"),
        ("revoked", "已撤销", "真实有效"),
    ):
        credential = issued[name]
        frames = camera_frames(qr_image(client, admin_headers, credential))
        video = write_y4m(frames, tmp_path / f"{name}.y4m")
        url, shown, requests = scan_with_camera(video, base, width)
        assert url == credential["qr_text"]  # the packed link, opened in this page's origin
        assert verdict in shown, shown
        assert wrong not in shown
        # Nothing was posted: the picture stayed in the browser, and so did the credential.
        assert {method for method, _url, _body in requests} == {"GET"}
        packed = credential["qr_text"].split("#", 1)[1]
        assert not [u for _m, u, _b in requests if packed[:40] in u or credential["id"] in u]
        # This Chromium has no BarcodeDetector: the frames were read by the vendored jsQR.
        assert ("GET", f"{base}/verify/vendor/jsqr/jsQR.js", None) in requests


def test_a_verify_link_opens_and_other_text_is_posted_as_if_pasted(
    live: tuple[str, TestClient], issued: dict[str, Any], tmp_path: Path
) -> None:
    base, _client = live
    link = f"{base}/v/{issued['revoked']['id']}"
    video = write_y4m(
        camera_frames(Image.open(io.BytesIO(render_qr_png(link)))), tmp_path / "v.y4m"
    )
    url, shown, requests = scan_with_camera(video, base, 390)
    assert url == link
    assert "已撤销" in shown
    assert {method for method, _url, _body in requests} == {"GET"}
    # A bare compact JWS (here one no issuer signed): posted to /verify like a pasted one.
    token = "eyJhbGciOiJFUzI1NiIsInR5cCI6InZjK2p3dCJ9.eyJpc3MiOiJodHRwczovL3guZXhhbXBsZSJ9.c2ln"
    video = write_y4m(
        camera_frames(Image.open(io.BytesIO(render_qr_png(token)))), tmp_path / "t.y4m"
    )
    url, shown, requests = scan_with_camera(video, base, 390)
    assert url == f"{base}/verify"
    assert "真实有效" not in shown
    posts = [(u, body) for method, u, body in requests if method == "POST"]
    assert posts == [(f"{base}/verify", f"credential={token}")]  # the decoded text, no picture


# A stand-in for the BarcodeDetector of Chrome on Android, ChromeOS and macOS: it "reads" the
# link in window.SCANNED from any frame it is given once the camera plays.
BARCODE_DETECTOR = """
globalThis.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
  constructor(options) { this.formats = options.formats; }
  async detect(video) {
    if (!(video instanceof HTMLVideoElement) || !video.videoWidth) return [];
    return this.formats.includes("qr_code") ? [{ rawValue: window.SCANNED }] : [];
  }
};
"""


def test_a_browser_barcode_detector_is_used_when_it_reads_qr_codes(
    live: tuple[str, TestClient], issued: dict[str, Any], tmp_path: Path
) -> None:
    base, _client = live
    link = f"{base}/v/{issued['valid']['id']}"
    desk = camera_frames(Image.new("RGB", (8, 8), "white"), blank=5, shown=0)
    video = write_y4m(desk, tmp_path / "desk.y4m")
    script = f"window.SCANNED = {link!r};" + BARCODE_DETECTOR
    url, shown, requests = scan_with_camera(video, base, 390, init_script=script)
    assert url == link
    assert "真实有效" in shown
    assert not [u for _m, u, _b in requests if "jsqr" in u.lower()]  # never loaded


def camera_says(base: str, args: list[str], key: str) -> str:
    """Start the camera in a Chromium launched with ``args``; what the page says, once it says
    the words of ``key``."""
    from playwright.sync_api import sync_playwright

    expected = say(key, Lang.BOTH)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + args
        )
        try:
            page = browser.new_page(extra_http_headers=BOTH_LANGUAGES)
            page.goto(f"{base}/verify")
            page.get_by_role("button", name=START_CAMERA).click()
            status = page.locator("#scan-status")
            status.filter(has_text=expected).wait_for(timeout=15_000)
            said = status.inner_text()
            if key == "verify.landing.scan.not_yet":  # still looking: stop it by hand
                assert page.locator("#scan-video").is_visible()
                page.get_by_role("button", name="关闭相机 Stop the camera").click()
                status.filter(has_text=say("verify.landing.scan.stopped", Lang.BOTH)).wait_for()
                assert page.evaluate("document.getElementById('scan-video').srcObject") is None
            assert page.locator("#scan-video").is_hidden()
            assert page.get_by_role("button", name=START_CAMERA).is_visible()
        finally:
            browser.close()
    return said


def test_the_camera_says_in_words_what_went_wrong(
    live: tuple[str, TestClient], tmp_path: Path
) -> None:
    base, _client = live
    no_code = write_y4m(
        camera_frames(Image.new("RGB", (8, 8), "white"), blank=5, shown=0), tmp_path / "desk.y4m"
    )
    cases = [
        ([], "verify.landing.scan.no_camera"),  # this machine has no camera
        (["--use-fake-device-for-media-stream"], "verify.landing.scan.refused"),  # not allowed
        (camera_args(no_code), "verify.landing.scan.not_yet"),  # a desk, no QR code
    ]
    for args, key in cases:
        assert camera_says(base, args, key) == say(key, Lang.BOTH)


def test_without_javascript_there_is_no_camera_but_every_other_way_works(
    live: tuple[str, TestClient],
    admin_headers: dict[str, str],
    issued: dict[str, Any],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    base, client = live
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(
        client.get(
            f"/api/v1/credentials/{issued['valid']['id']}/certificate.pdf", headers=admin_headers
        ).content
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                java_script_enabled=False, extra_http_headers=BOTH_LANGUAGES
            )
            page = context.new_page()
            page.goto(f"{base}/verify")
            assert page.locator("#scan").is_hidden()
            page.set_input_files("#file", str(pdf))
            page.get_by_role("button", name="上传 Upload").click()
            assert "真实有效" in page.locator("section.verdict").inner_text()
        finally:
            browser.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_uploads_and_look_ups_reach_the_right_verdict(
    live: tuple[str, TestClient],
    admin_headers: dict[str, str],
    issued: dict[str, Any],
    tmp_path: Path,
    width: int,
) -> None:
    from playwright.sync_api import FilePayload, sync_playwright

    base, client = live
    uploads: list[tuple[Path, str]] = []
    for name, verdict in (("valid", "真实有效"), ("revoked", "已撤销")):
        credential = issued[name]
        path = f"/api/v1/credentials/{credential['id']}"
        qr = qr_image(client, admin_headers, credential)
        made = {
            "photo.jpg": photo_of(qr),
            "screenshot.png": photo_of(qr, image_format="PNG"),
            "certificate.pdf": client.get(f"{path}/certificate.pdf", headers=admin_headers).content,
            "badge.png": client.get(f"{path}/badge.png", headers=admin_headers).content,
            "badge.svg": client.get(f"{path}/badge.svg", headers=admin_headers).content,
        }
        for file_name, data in made.items():
            saved = tmp_path / f"{name}-{file_name}"
            saved.write_bytes(data)
            uploads.append((saved, verdict))
    notes = tmp_path / "notes.png"
    notes.write_bytes(b"a shopping list, not a picture\n")
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(
                viewport={"width": width, "height": 900}, extra_http_headers=BOTH_LANGUAGES
            )
            page.on("console", lambda message: messages.append(message.text))
            checks = PageChecks(page)
            checks.goto(f"{base}/verify")
            assert page.locator("#scan").is_visible()  # the script ran: the camera is offered
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, "the landing scrolls sideways"
            checks.check("landing")
            for saved, verdict in uploads:
                page.goto(f"{base}/verify")
                page.get_by_label("选择文件").set_input_files(str(saved))
                page.get_by_role("button", name="上传 Upload").click()
                shown = page.locator("section.verdict").inner_text()
                assert verdict in shown, saved.name
            # A file with nothing to verify: the page again, the reason in words.
            page.goto(f"{base}/verify")
            page.get_by_label("选择文件").set_input_files(str(notes))
            with page.expect_response(f"{base}/verify") as answer:
                page.get_by_role("button", name="上传 Upload").click()
            assert answer.value.status == 422
            alert = page.locator("p.error[role=alert]").inner_text()
            assert "这不是证书文件" in alert
            assert "Not a credential" in alert
            checks.check("landing, file refused")
            # A file over the limit is refused in the page, before it is sent.
            page.goto(f"{base}/verify")
            posts: list[str] = []
            page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
            huge = FilePayload(name="huge.jpg", mimeType="image/jpeg", buffer=b"\xff" * 8_400_000)
            page.get_by_label("选择文件").set_input_files(files=[huge])
            page.get_by_role("button", name="上传 Upload").click()
            said = page.locator("#file").evaluate("input => input.validationMessage")
            assert said == say("verify.landing.file.too_large", Lang.BOTH, megabytes=8)
            assert posts == []
            # The certificate number and the holder's name.
            for name, holder, verdict in (
                ("valid", "王小明", "真实有效"),
                ("revoked", "李四", "已撤销"),
            ):
                page.goto(f"{base}/verify")
                page.fill("#certificate_number", issued[name]["number"])
                page.fill("#holder_name", holder)
                page.get_by_role("button", name="查询 Look up").click()
                assert verdict in page.locator("section.verdict").inner_text()
        finally:
            browser.close()
    assert checks.failures == [], "\n".join(checks.failures)
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == [], refused
