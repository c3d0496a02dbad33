"""The share page's preview tags, languages and the holder's forms, through the app.

The holder's own link carries a panel to make view links, see their counts and revoke one;
its forms are refused without the page's token or from another site, and bad input is a 4xx
page in words, never a 500. A view link's page has no controls and counts each opening. A
revoked or expired link answers 410. Every page carries OpenGraph, Twitter and schema.org
tags for chat apps' previews, and the picture they name is a 1200 x 630 PNG.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from tests.helpers import BASE_URL
from tests.issuer.helpers import load_catalog, run_cli
from tests.issuer.lifecycle_helpers import issue, post
from verifier.i18n import Lang, text

CJK = re.compile(r"[\u3400-\u9fff]")
# The occupation and level of tests.issuer.helpers.issue_body, as the preview's title.
TITLE_ZH, TITLE_EN = "稀土湿法冶炼工 · 高级工", "Rare Earth Hydrometallurgy Operator · Senior"


class _Tags(HTMLParser):
    """The ``<meta>`` tags of a page (by ``property``, ``name`` or ``itemprop``), its forms'
    hidden form token, and its visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.form_token: str | None = None
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta":
            key = found.get("property") or found.get("name") or found.get("itemprop")
            if key:
                self.meta[key] = found.get("content") or ""
        if tag == "input" and found.get("name") == "form":
            self.form_token = found.get("value")
        if tag in ("nav", "title", "script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("nav", "title", "script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def _holder_link(client: TestClient, headers: dict[str, str], **changes: object) -> str:
    issued = issue(client, headers, **changes)
    made = post(client, f"/api/v1/credentials/{issued['id']}/share-links", headers)
    assert made.status_code == 201, made.text
    return str(urlsplit(made.json()["url"]).path)


def _make(client: TestClient, holder: str, lifetime: str = "1d") -> tuple[int, str]:
    """Make a view link through the holder's page: (its id, its path)."""
    token = _parse(client.get(holder).text).form_token
    answer = client.post(
        f"{holder}/links", data={"form": token, "lifetime": lifetime}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    made = int(re.findall(r"made=(\d+)", location)[0])
    page = client.get(location).text
    found = re.search(
        rf'id="address-{made}" class="address" type="text" readonly value="([^"]+)"', page
    )
    assert found is not None, page
    return made, urlsplit(found.group(1)).path


def _opens(client: TestClient, holder: str, link_id: int) -> int:
    page = client.get(holder).text
    found = re.search(rf'id="link-{link_id}".*?<span class="opens">(\d+)</span>', page)
    assert found is not None
    return int(found.group(1))


def test_the_holder_makes_a_view_link_that_shows_the_credential_and_counts_openings(
    client: TestClient, settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    holder = _holder_link(client, admin_headers)
    page = client.get(holder).text
    assert 'class="make"' in page
    assert "Add to LinkedIn profile (for work abroad)" in page
    made, view = _make(client, holder, "7d")
    assert view != holder
    viewed = client.get(view)
    assert viewed.status_code == 200
    assert "<form" not in viewed.text  # no controls on a view link
    assert "linkedin.com" not in viewed.text
    assert text("share.links.heading", Lang.EN) not in viewed.text
    assert f'value="{BASE_URL}{view}"' in viewed.text  # its own address to copy
    assert f'src="{view}/qr.svg"' in viewed.text
    assert client.get(f"{view}/credential.jwt").status_code == 200
    assert _opens(client, holder, made) == 1
    client.get(view)
    assert _opens(client, holder, made) == 2  # the holder's own views do not count
    qr = client.get(f"{view}/qr.svg")
    assert qr.headers["content-type"] == "image/svg+xml"
    assert qr.text.startswith("<?xml")
    assert _opens(client, holder, made) == 2  # nor do its QR code and files

    # Revoking it: 303 back to the page, the view link answers 410, the holder's still works.
    token = _parse(page).form_token
    revoked = client.post(
        f"{holder}/links/{made}/revoke", data={"form": token}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert "revoked=1" in revoked.headers["location"]
    gone = client.get(view)
    assert gone.status_code == 410
    assert "This share link has been revoked" in gone.text
    assert client.get(f"{view}/qr.svg").status_code == 410
    after = client.get(holder)
    assert after.status_code == 200
    code, listed = run_cli(settings, "share", _credential_of(client, holder), "--list")
    assert code == 0
    [own, child] = listed.strip().splitlines()
    assert own.endswith("\tlive")
    assert child.startswith(f"{made}\t")
    assert f"\tview link of {own.split(chr(9))[0]}\trevoked " in child
    assert f'id="link-{made}" data-link="{made}" data-state="revoked"' in after.text
    assert f'id="address-{made}"' not in after.text


def test_forms_from_elsewhere_or_with_bad_input_are_refused_in_words(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    holder = _holder_link(client, admin_headers)
    other = _holder_link(
        client, admin_headers, holder={"name": "李四", "employee_number": "E-0002"}
    )
    token = _parse(client.get(holder).text).form_token
    others_token = _parse(client.get(other).text).form_token
    made, view = _make(client, holder)
    cases: list[tuple[str, dict[str, str | None], dict[str, str], int]] = [
        (f"{holder}/links", {"lifetime": "1d"}, {}, 403),
        (f"{holder}/links", {"lifetime": "1d", "form": others_token}, {}, 403),
        (f"{holder}/links", {"lifetime": "1d", "form": "x" * 5000}, {}, 403),
        (
            f"{holder}/links",
            {"lifetime": "1d", "form": token},
            {"Sec-Fetch-Site": "cross-site"},
            403,
        ),
        (
            f"{holder}/links",
            {"lifetime": "1d", "form": token},
            {"Origin": "https://evil.example"},
            403,
        ),
        (f"{holder}/links", {"lifetime": "1y", "form": token}, {}, 400),
        (f"{holder}/links", {"form": token}, {}, 400),
        (f"{holder}/links/999999/revoke", {"form": token}, {}, 404),
        (f"{other}/links/{made}/revoke", {"form": others_token}, {}, 404),
        (f"{view}/links", {"lifetime": "1d", "form": token}, {}, 403),
        (f"{view}/links/{made}/revoke", {"form": token}, {}, 403),
        ("/s/not-a-real-token-at-all-000000000/links", {"form": token}, {}, 404),
        (f"{holder}/links/0/revoke", {"form": token}, {}, 422),
    ]
    for url, data, headers, status in cases:
        answer = client.post(url, data=data, headers=headers, follow_redirects=False)
        assert answer.status_code == status, (url, data, headers, answer.text)
        if status != 422:
            assert answer.headers["content-type"].startswith("text/html"), url
    refused = client.post(
        f"{holder}/links?lang=en", data={"lifetime": "1d"}, follow_redirects=False
    )
    assert text("share.error.form", Lang.EN) in refused.text.replace("&#x27;", "'")
    assert f'href="{holder}?lang=en"' in refused.text
    same_site = client.post(
        f"{holder}/links",
        data={"lifetime": "never", "form": token},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same_site.status_code == 303
    assert _opens(client, holder, made) == 0
    # The registrar revokes the holder's link: its forms answer 410, its view links too.
    link_id = client.get(
        f"/api/v1/credentials/{_credential_of(client, holder)}/share-links", headers=admin_headers
    ).json()[0]["id"]
    credential = _credential_of(client, holder)
    assert (
        post(
            client, f"/api/v1/credentials/{credential}/share-links/{link_id}/revoke", admin_headers
        ).status_code
        == 200
    )
    gone = client.post(f"{holder}/links", data={"lifetime": "1d", "form": token})
    assert gone.status_code == 410
    assert client.get(view).status_code == 410


def _credential_of(client: TestClient, path: str) -> str:
    page = client.get(path).text
    found = re.search(rf'href="{re.escape(BASE_URL)}/v/([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_an_expired_link_answers_410_in_words(
    settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    now = [services.clock()]
    timed = dataclasses.replace(services, clock=lambda: now[0])
    with TestClient(create_app(settings, services=timed)) as client:
        holder = _holder_link(client, admin_headers)
        _made, view = _make(client, holder, "1d")
        assert client.get(view).status_code == 200
        now[0] += dt.timedelta(days=1)
        for lang, words in (
            (Lang.EN, "This share link has expired"),
            (Lang.ZH, "此分享链接已过期"),
        ):
            gone = client.get(f"{view}?lang={lang.value}")
            assert gone.status_code == 410
            assert words in gone.text
            assert "王小明" not in gone.text
        for name in ("credential.jwt", "qr.svg", "preview.png"):
            assert client.get(f"{view}/{name}").status_code == 410
        assert client.get(holder).status_code == 200
        # The registrar's API: a link that expires, in the future only.
        issued = issue(client, admin_headers, holder={"name": "张三", "employee_number": "E-3"})
        url = f"/api/v1/credentials/{issued['id']}/share-links"
        soon = (now[0] + dt.timedelta(hours=2)).isoformat()
        made = post(client, url, admin_headers, {"expires_at": soon})
        assert made.status_code == 201, made.text
        assert made.json()["expires_at"] is not None
        path = urlsplit(made.json()["url"]).path
        assert client.get(path).status_code == 200
        now[0] += dt.timedelta(hours=2)
        assert client.get(path).status_code == 410
        past = (now[0] - dt.timedelta(minutes=1)).isoformat()
        assert post(client, url, admin_headers, {"expires_at": past}).status_code == 422
        naive = now[0].replace(tzinfo=None).isoformat()
        assert post(client, url, admin_headers, {"expires_at": naive}).status_code == 422


def test_the_page_carries_preview_tags_for_chat_apps(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    holder = _holder_link(client, admin_headers)
    _made, view = _make(client, holder)
    for path in (holder, view):
        answer = client.get(path)
        assert answer.headers["x-robots-tag"] == "noindex"
        meta = _parse(answer.text).meta
        assert meta["robots"] == "noindex"
        assert meta["og:type"] == "website"
        assert meta["og:url"] == f"{BASE_URL}{path}"
        assert meta["og:title"] == f"{TITLE_ZH} / {TITLE_EN}"
        assert "证书编号" in meta["og:description"]
        assert "Certificate No." in meta["og:description"]
        assert "Genuine and valid" in meta["og:description"]
        assert meta["og:image"] == f"{BASE_URL}{path}/preview.png"
        assert meta["og:site_name"]
        assert meta["description"] == meta["og:description"]
        assert meta["name"] == meta["og:title"]
        assert meta["image"] == meta["og:image"]
        assert meta["twitter:card"] == "summary_large_image"
    picture = client.get(f"{view}/preview.png")
    assert picture.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(picture.content))
    assert image.size == (1200, 630)
    english = _parse(client.get(f"{view}?lang=en").text).meta
    assert english["og:title"] == TITLE_EN
    assert not CJK.search(english["og:description"])
    # Not in force: the preview says so, and offers no picture.
    revoked = _holder_link(client, admin_headers, holder={"name": "李四", "employee_number": "E-2"})
    credential = _credential_of(client, revoked)
    body = {"reason": "exam_misconduct"}
    assert post(client, f"/api/v1/credentials/{credential}/revoke", admin_headers, body)
    meta = _parse(client.get(revoked).text).meta
    assert "Revoked" in meta["og:description"]
    assert "og:image" not in meta
    assert meta["twitter:card"] == "summary"
    assert client.get(f"{revoked}/preview.png").status_code == 409


@pytest.mark.parametrize("lang", [Lang.EN, Lang.ZH])
def test_one_language_when_asked_and_none_of_the_other_outside_names(
    client: TestClient, services: Services, admin_headers: dict[str, str], lang: Lang
) -> None:
    load_catalog(services)
    holder = _holder_link(
        client, admin_headers, holder={"name": "Wang Xiaoming", "employee_number": "E-1"}
    )
    _make(client, holder)
    asked = client.get(f"{holder}?lang={lang.value}").text
    by_header = client.get(
        holder, headers={"Accept-Language": "en-GB,en;q=0.9" if lang is Lang.EN else "zh-CN"}
    ).text
    for page in (asked, by_header):
        visible = " ".join(_parse(page).text)
        assert text("share.links.heading", lang) in visible
        if lang is Lang.EN:
            assert not CJK.search(visible), CJK.findall(visible)
            assert '<html lang="en"' in page
        else:
            assert "Vocational skill certificate" not in visible
            assert "View links" not in visible
    both = client.get(holder).text
    assert text("share.links.heading", Lang.ZH) in both
    assert text("share.links.heading", Lang.EN) in both
    assert f'href="{holder}?lang=en"' in both  # the language links
