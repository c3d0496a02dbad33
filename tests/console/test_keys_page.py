"""The keys page: rotation and compromise are requests another admin approves."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.keys.keystore import active_key
from issuer.services import Services
from issuer.store.models import Approval, ReissueRun
from tests.console.approval_helpers import as_user
from tests.console.helpers import make_user, signed_in
from tests.issuer.helpers import load_catalog
from tests.issuer.reissue_helpers import compromise_active_key, issue_many, plan

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def form_token(html: str) -> str:
    match = _FORM_TOKEN.search(html)
    assert match is not None, "the page has no one-time form token"
    return match.group(1)


def active_kid(services: Services) -> str:
    with services.sessions() as session:
        key = active_key(session)
        assert key is not None
        return key.kid


def requests(services: Services) -> list[Approval]:
    with services.sessions() as session:
        return list(session.scalars(select(Approval).order_by(Approval.requested_at)))


def approve_as(console: TestClient, email: str, approval_id: str) -> None:
    """Sign in as ``email`` and approve the request on the approvals page."""
    csrf = as_user(console, email)
    inbox = console.get("/console/approvals").text
    token = _FORM_TOKEN.search(inbox, inbox.index(f"/console/approvals/{approval_id}/decide"))
    assert token is not None
    done = console.post(
        f"/console/approvals/{approval_id}/decide",
        data={"csrf_token": csrf, "form_token": token.group(1), "decision": "approve"},
    )
    assert done.status_code == 200


def test_a_rotation_requested_by_one_admin_is_approved_by_another(
    console: TestClient, services: Services
) -> None:
    make_user(services, "a@example.com", "admin")
    make_user(services, "b@example.com", "admin")
    first = active_kid(services)
    csrf = signed_in(console, "a@example.com")
    listing = console.get("/console/keys").text
    assert first in listing
    assert "使用中" in listing
    assert 'href="/console/keys/rotate"' in listing
    confirm = console.get("/console/keys/rotate").text
    assert first in confirm  # names the key that will retire
    form = {"csrf_token": csrf, "form_token": form_token(confirm)}
    sent = console.post("/console/keys/rotate", data=form, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/console/keys?done=sent"
    again = console.post("/console/keys/rotate", data=form)
    assert again.status_code == 409  # a double submit files nothing twice
    assert [r.action for r in requests(services)] == ["key.rotate"]
    after = console.get("/console/keys?done=sent").text
    assert "another admin must approve" in after
    assert active_kid(services) == first  # nothing changes before the approval

    approve_as(console, "b@example.com", requests(services)[0].id)
    second = active_kid(services)
    assert second != first
    listing = console.get("/console/keys").text
    assert second in listing
    assert "已停用" in listing


def test_reporting_a_key_compromised_files_a_request_with_the_time_in_utc(
    console: TestClient, services: Services
) -> None:
    make_user(services, "a@example.com", "admin")
    kid = active_kid(services)
    csrf = signed_in(console, "a@example.com")
    zone = ZoneInfo(_time_zone(console))
    form_page = console.get(f"/console/keys/{kid}/compromise").text
    assert kid in form_page
    assert 'type="datetime-local"' in form_page
    later = (services.clock() + dt.timedelta(days=2)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    future = console.post(
        f"/console/keys/{kid}/compromise",
        data={"csrf_token": csrf, "form_token": form_token(form_page), "compromised_at": later},
    )
    assert future.status_code == 422  # the form again, the time kept, the message beside it
    assert "cannot be in the future" in future.text
    assert f'value="{later}"' in future.text
    assert requests(services) == []
    when = dt.datetime(2026, 3, 1, 9, 30, tzinfo=zone)
    sent = console.post(
        f"/console/keys/{kid}/compromise",
        data={
            "csrf_token": csrf,
            "form_token": form_token(future.text),
            "compromised_at": when.strftime("%Y-%m-%dT%H:%M"),
            "note": "laptop stolen",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    (filed,) = requests(services)
    assert filed.action == "key.compromise"
    assert filed.params == {
        "kid": kid,
        "compromised_at": when.astimezone(dt.UTC).isoformat(),
        "note": "laptop stolen",
    }
    assert active_kid(services) == kid
    assert console.get("/console/keys/no-such-key/compromise").status_code == 404


def _time_zone(client: TestClient) -> str:
    page = client.get("/console/keys").text
    match = re.search(r"<span (?:class=\"en\" )?lang=\"en\">Times in</span> ([^<]+)</p>", page)
    assert match is not None
    return match.group(1).strip()


def test_an_auditor_reads_the_keys_without_controls_and_a_registrar_not_at_all(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    make_user(services, "audit@example.com", "auditor")
    make_user(services, "li@example.com", "registrar", ["U01"])
    kid = active_kid(services)
    csrf = signed_in(console, "audit@example.com")
    listing = console.get("/console/keys")
    assert listing.status_code == 200
    assert kid in listing.text
    assert "/console/keys/rotate" not in listing.text
    assert "/compromise" not in listing.text
    assert console.get("/console/keys/rotate").status_code == 403
    assert console.post("/console/keys/rotate", data={"csrf_token": csrf}).status_code == 403
    refused = console.post(
        f"/console/keys/{kid}/compromise",
        data={"csrf_token": csrf, "compromised_at": "2026-01-01T00:00"},
    )
    assert refused.status_code == 403
    assert requests(services) == []
    as_user(console, "li@example.com")
    assert console.get("/console/keys").status_code == 403


def test_the_keys_page_shows_a_reissue_run_and_an_admin_stops_it(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    issue_many(services, 3)
    old_kid, _new = compromise_active_key(services)
    planned = plan(services, old_kid, chunk_size=1)  # queued: no job has run yet
    make_user(services, "a@example.com", "admin")
    csrf = signed_in(console, "a@example.com")
    listing = console.get("/console/keys").text
    assert f'id="reissue-{old_kid}"' in listing
    assert "排队中" in listing
    assert '<span class="reissue-done">0</span> / <span class="reissue-total">3</span>' in listing
    action = f"/console/keys/{old_kid}/reissue/cancel"
    assert f'action="{action}"' in listing
    stopped = console.post(action, data={"csrf_token": csrf}, follow_redirects=False)
    assert stopped.status_code == 303
    assert stopped.headers["location"] == "/console/keys?done=stopped"
    after = console.get("/console/keys?done=stopped").text
    assert "重新签发已停止" in after
    assert f'action="{action}"' not in after  # nothing left to stop
    with services.read_sessions() as session:
        assert session.get_one(ReissueRun, planned.run_id).state == "cancelled"
    assert console.post(action, data={"csrf_token": csrf}).status_code == 409
    assert console.post(action, data={}).status_code == 403  # no CSRF token, no change


def test_an_auditor_sees_the_reissue_progress_without_controls(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    issue_many(services, 2)
    old_kid, _new = compromise_active_key(services)
    plan(services, old_kid, chunk_size=5)
    make_user(services, "c@example.com", "auditor")
    csrf = signed_in(console, "c@example.com")
    listing = console.get("/console/keys").text
    assert f'id="reissue-{old_kid}"' in listing
    assert "/reissue/cancel" not in listing
    refused = console.post(f"/console/keys/{old_kid}/reissue/cancel", data={"csrf_token": csrf})
    assert refused.status_code == 403


def test_an_admin_requests_a_reissue_of_a_compromised_key_and_another_approves_it(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    issue_many(services, 3)
    old_kid, new_kid = compromise_active_key(services)
    make_user(services, "a@example.com", "admin")
    make_user(services, "b@example.com", "admin")
    csrf = signed_in(console, "a@example.com")
    link = f'href="/console/keys/{old_kid}/reissue"'
    listing = console.get("/console/keys").text
    assert link in listing
    assert f'href="/console/keys/{new_kid}/reissue"' not in listing  # only a compromised key
    confirm = console.get(f"/console/keys/{old_kid}/reissue").text
    assert old_kid in confirm
    assert "签过 3 份仍有效或已暂停的证书" in confirm
    assert "signed 3 credentials that are still active or suspended" in confirm
    form = {"csrf_token": csrf, "form_token": form_token(confirm)}
    sent = console.post(f"/console/keys/{old_kid}/reissue", data=form, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/console/keys?done=sent"
    assert console.post(f"/console/keys/{old_kid}/reissue", data=form).status_code == 409
    assert console.post(f"/console/keys/{old_kid}/reissue", data={}).status_code == 403  # CSRF
    (filed,) = requests(services)
    assert (filed.action, filed.params) == ("key.reissue_compromised", {"kid": old_kid})
    with services.read_sessions() as session:
        assert session.scalars(select(ReissueRun)).all() == []  # nothing before the approval
    pending = console.get("/console/keys?done=sent").text.split("等待审批的密钥请求")[1]
    assert old_kid in pending  # the request waits beside the others, named by its key

    approve_as(console, "b@example.com", filed.id)
    with services.read_sessions() as session:
        (run,) = session.scalars(select(ReissueRun)).all()
    assert (run.kid, run.credentials, run.approval_id) == (old_kid, 3, filed.id)
    listing = console.get("/console/keys").text
    assert f'id="reissue-{old_kid}"' in listing
    if run.state in ("queued", "running"):  # a run under way takes no second request
        assert link not in listing
        assert console.get(f"/console/keys/{old_kid}/reissue").status_code == 409


def test_a_reissue_is_refused_for_a_key_not_compromised_and_to_anyone_but_an_admin(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    make_user(services, "a@example.com", "admin")
    make_user(services, "audit@example.com", "auditor")
    kid = active_kid(services)
    csrf = signed_in(console, "a@example.com")
    assert console.get(f"/console/keys/{kid}/reissue").status_code == 409
    refused = console.post(f"/console/keys/{kid}/reissue", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert console.get("/console/keys/no-such-key/reissue").status_code == 404
    issue_many(services, 1)
    old_kid, _new = compromise_active_key(services)
    csrf = as_user(console, "audit@example.com")
    listing = console.get("/console/keys").text
    assert f"/console/keys/{old_kid}/reissue" not in listing
    assert console.get(f"/console/keys/{old_kid}/reissue").status_code == 403
    assert (
        console.post(f"/console/keys/{old_kid}/reissue", data={"csrf_token": csrf}).status_code
        == 403
    )
    assert requests(services) == []
