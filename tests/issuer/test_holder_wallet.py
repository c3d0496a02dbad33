"""A holder adds their own credential to a wallet from their share page (decision 0059).

Through the app: the holder's own page has the "add to my wallet" form, a view link's page
has none; the form makes an OpenID4VCI offer whose by-reference link resolves and whose code
and transaction code buy an access token; the page is in the page's language; the audit log
names the holder's link. Refused, in words and with nothing stored: a form without the page's
token or from another site, a view link, a credential not in force, a revoked or expired link,
and a fourth open offer. The end-to-end run with a wallet's client library is in
tests/test_oid4vci_client.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.app import create_app
from issuer.config import Settings
from issuer.documents.holder_wallet import MAX_OPEN_OFFERS
from issuer.services import Services
from issuer.store.models import AuditEvent, ShareLink, WalletOffer
from issuer.web.share_forms import form_token
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import issue, post
from tests.oid4vci_helpers import PRE_AUTHORIZED_GRANT, token_request
from verifier.i18n import Lang, say, text

CJK = re.compile(r"[\u3400-\u9fff]")
FORM = re.compile(r'action="(/s/[^"/]+/wallet\?lang=\w+)".*?name="form" value="([0-9a-f]+)"')


def _holder_link(client: TestClient, headers: dict[str, str], **changes: Any) -> tuple[str, str]:
    """(the credential's id, the path of the holder's share link)."""
    issued = issue(client, headers, **changes)
    made = post(client, f"/api/v1/credentials/{issued['id']}/share-links", headers)
    assert made.status_code == 201, made.text
    return issued["id"], str(urlsplit(made.json()["url"]).path)


def _form(client: TestClient, path: str) -> tuple[str, str]:
    """The wallet form's action and form token on the page at ``path``."""
    found = FORM.search(client.get(path).text)
    assert found is not None, "no wallet form on the page"
    return found.group(1), found.group(2)


def _offers(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(WalletOffer)) or 0)


def _shown(page: str) -> tuple[str, str]:
    """(the offer link, the transaction code) as the answering page shows them."""
    link = re.search(r'<a class="wallet-open" href="([^"]+)"', page)
    code = re.search(r'<p class="tx-code">(\d+)</p>', page)
    assert link is not None, page
    assert code is not None, page
    return unescape(link.group(1)), code.group(1)


def test_the_holder_adds_their_credential_to_a_wallet_from_their_own_page(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    credential_id, holder = _holder_link(client, admin_headers)
    action, token = _form(client, f"{holder}?lang=en")
    assert action == f"{holder}/wallet?lang=en"
    answer = client.post(action, data={"form": token})
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    page = answer.text
    assert text("share.wallet.title", Lang.EN) in page
    assert not CJK.search(page)  # English was asked for
    assert 'src="data:image/svg+xml;base64,' in page
    assert "Valid for 15 minutes, until " in page
    link, tx_code = _shown(page)
    assert len(tx_code) == 6
    assert link.startswith("openid-credential-offer://?credential_offer_uri=")
    [uri] = parse_qs(urlsplit(link).query)["credential_offer_uri"]
    document = client.get(urlsplit(uri).path).json()
    assert document["credential_configuration_ids"] == [
        "skill_certificate_sd_jwt",
        "open_badge_jwt_vc_json",
    ]
    code = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    wrong = "000000" if tx_code != "000000" else "111111"
    assert token_request(client, code, wrong).status_code == 400  # costs a try, not the offer
    granted = token_request(client, code, tx_code)
    assert granted.status_code == 200, granted.text
    assert granted.json()["access_token"]
    # The holder's link is the actor, as for view links; no code or token in the log.
    with services.sessions() as session:
        link_id = session.scalar(select(ShareLink.id).where(ShareLink.parent_id.is_(None)))
        events = session.execute(
            select(AuditEvent.actor, AuditEvent.target, AuditEvent.details).where(
                AuditEvent.action == "wallet_offer.create"
            )
        ).all()
    assert [(actor, target) for actor, target, _ in events] == [
        (f"holder:share_link:{link_id}", credential_id)
    ]
    assert tx_code not in str(events)
    assert code not in str(events)


def test_the_page_speaks_the_holders_language(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    _credential_id, holder = _holder_link(client, admin_headers)
    shown = client.get(holder, headers={"Accept-Language": "zh-CN"}).text
    assert say("share.wallet.button", Lang.ZH) in shown
    action, token = _form(client, holder)
    chinese = client.post(
        f"{holder}/wallet", data={"form": token}, headers={"Accept-Language": "zh-CN"}
    ).text
    assert text("share.wallet.code.heading", Lang.ZH) in chinese
    assert text("share.wallet.code.heading", Lang.EN) not in chinese
    both = client.post(action, data={"form": token}).text  # no preference: both languages
    assert text("share.wallet.title", Lang.ZH) in both
    assert text("share.wallet.title", Lang.EN) in both


def test_forms_from_elsewhere_and_view_links_are_refused_and_store_nothing(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    _credential_id, holder = _holder_link(client, admin_headers)
    _other_id, other = _holder_link(
        client, admin_headers, holder={"name": "李四", "employee_number": "E-0002"}
    )
    _action, token = _form(client, holder)
    _action, others_token = _form(client, other)
    made = client.post(f"{holder}/links", data={"form": token, "lifetime": "1d"})
    assert made.status_code == 200, made.text
    view = re.search(
        r'<input id="address-\d+" class="address" type="text" readonly value="'
        r'[^"]*(/s/[^"]+)"',
        made.text,
    )
    assert view is not None
    view_path = view.group(1)
    assert "add-to-wallet" not in client.get(view_path).text  # read only
    # Even a form token drawn for the view link itself (none is ever given out) is refused.
    view_form = form_token(services.settings.read_passphrase(), view_path.rsplit("/", 1)[1])
    cases: list[tuple[str, dict[str, str], dict[str, str], int]] = [
        (f"{holder}/wallet", {}, {}, 403),
        (f"{holder}/wallet", {"form": others_token}, {}, 403),
        (f"{holder}/wallet", {"form": "x" * 5000}, {}, 403),
        (f"{holder}/wallet", {"form": token}, {"Sec-Fetch-Site": "cross-site"}, 403),
        (f"{holder}/wallet", {"form": token}, {"Origin": "https://evil.example"}, 403),
        (f"{view_path}/wallet", {"form": token}, {}, 403),
        (f"{view_path}/wallet", {"form": view_form}, {}, 403),
        ("/s/not-a-real-token-at-all-000000000/wallet", {"form": token}, {}, 404),
    ]
    for url, data, headers, status in cases:
        answer = client.post(url, data=data, headers=headers)
        assert answer.status_code == status, (url, headers, answer.text)
        assert answer.headers["content-type"].startswith("text/html"), url
        assert "tx-code" not in answer.text
    refused = client.post(f"{view_path}/wallet?lang=en", data={"form": view_form})
    assert text("share.wallet.error.view_link", Lang.EN) in unescape(refused.text)
    assert _offers(services) == 0


def test_a_credential_not_in_force_or_a_dead_link_gets_no_offer(
    settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    now = [services.clock()]
    timed = dataclasses.replace(services, clock=lambda: now[0])
    end = (now[0] + dt.timedelta(days=30)).replace(microsecond=0)
    api = "/api/v1/credentials"
    with TestClient(create_app(settings, services=timed)) as client:
        links: dict[str, tuple[str, str, str]] = {}
        for n, name in enumerate(("revoked", "suspended", "expired", "link_revoked", "soon")):
            changes: dict[str, Any] = {
                "holder": {"name": f"持证人{n}", "employee_number": f"E-{n}"}
            }
            if name == "expired":
                changes["valid_until"] = end.isoformat()
            credential_id, path = _holder_link(client, admin_headers, **changes)
            _action, token = _form(client, path)
            links[name] = (credential_id, path, token)
        revoke = {"reason": "exam_misconduct"}
        assert post(client, f"{api}/{links['revoked'][0]}/revoke", admin_headers, revoke)
        suspend = {"reason": "holder_request"}
        assert post(client, f"{api}/{links['suspended'][0]}/suspend", admin_headers, suspend)
        listed = client.get(f"{api}/{links['link_revoked'][0]}/share-links", headers=admin_headers)
        link_id = listed.json()[0]["id"]
        url = f"{api}/{links['link_revoked'][0]}/share-links/{link_id}/revoke"
        assert post(client, url, admin_headers).status_code == 200
        for name in ("revoked", "suspended"):
            _credential_id, path, token = links[name]
            assert "add-to-wallet" not in client.get(path).text
            answer = client.post(f"{path}/wallet?lang=en", data={"form": token})
            assert answer.status_code == 409, (name, answer.text)
            assert text("share.wallet.error.not_in_force", Lang.EN) in answer.text
        gone = client.post(
            f"{links['link_revoked'][1]}/wallet", data={"form": links["link_revoked"][2]}
        )
        assert gone.status_code == 410
        # A day after the end of validity the credential has expired; the other, still in
        # force, gets an offer.
        now[0] = end + dt.timedelta(days=1)
        _credential_id, path, token = links["expired"]
        assert "add-to-wallet" not in client.get(path).text
        assert client.post(f"{path}/wallet", data={"form": token}).status_code == 409
        assert _offers(services) == 0
        _credential_id, path, token = links["soon"]
        assert client.post(f"{path}/wallet", data={"form": token}).status_code == 201
        assert _offers(services) == 1


def test_at_most_three_offers_are_open_at_a_time(
    settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    now = [services.clock()]
    timed = dataclasses.replace(services, clock=lambda: now[0])
    with TestClient(create_app(settings, services=timed)) as client:
        _credential_id, holder = _holder_link(client, admin_headers)
        action, token = _form(client, holder)
        for _ in range(MAX_OPEN_OFFERS):
            assert client.post(action, data={"form": token}).status_code == 201
        refused = client.post(f"{holder}/wallet?lang=en", data={"form": token})
        assert refused.status_code == 409
        assert f"{MAX_OPEN_OFFERS} offers to a wallet are still open" in refused.text
        assert _offers(services) == MAX_OPEN_OFFERS
        # Offers expire after 15 minutes; then the holder can make one again.
        now[0] += dt.timedelta(minutes=15)
        assert client.post(action, data={"form": token}).status_code == 201
        assert _offers(services) == MAX_OPEN_OFFERS + 1


def test_concurrent_forms_cannot_pass_the_bound_together(
    settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    with TestClient(create_app(settings, services=services)) as client:
        _credential_id, holder = _holder_link(client, admin_headers)
        action, token = _form(client, holder)
        statuses: list[int] = []
        start = threading.Barrier(6)

        def press() -> None:
            start.wait()
            statuses.append(client.post(action, data={"form": token}).status_code)

        threads = [threading.Thread(target=press) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(statuses) == [201] * MAX_OPEN_OFFERS + [409] * (6 - MAX_OPEN_OFFERS), statuses
    assert _offers(services) == MAX_OPEN_OFFERS
