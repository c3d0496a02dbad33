"""A credential's console page: its fields and files, and every action through its
confirmation, as each role may (or may not) take it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from issuer.app import create_app
from issuer.config import Settings
from issuer.documents.view_link import Lifetime, count_view_open, create_view_link
from issuer.services import Services
from issuer.store.models import ShareLink
from tests.console.helpers import Clock, make_user, signed_in
from tests.helpers import make_token
from tests.issuer.helpers import issue_body, load_catalog

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _bearer(
    services: Services, role: str = "admin", units: list[str] | None = None
) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(services, role, units)}"}


def _issue(client: TestClient, services: Services, **changes: Any) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/credentials", json=issue_body(**changes), headers=_bearer(services)
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _api(client: TestClient, services: Services, credential_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(
        f"/api/v1/credentials/{credential_id}", headers=_bearer(services)
    ).json()
    return body


def _form_token(html: str) -> str:
    match = _FORM_TOKEN.search(html)
    assert match is not None, "the confirmation has no one-time form token"
    return match.group(1)


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data=data, follow_redirects=False)


def _confirmed(client: TestClient, path: str, csrf: str, **fields: str) -> tuple[Any, str]:
    """Submit a form, then its confirmation; (the answer, the confirmation's form token)."""
    first = _post(client, path, {"csrf_token": csrf, **fields})
    assert first.status_code == 200, first.text
    token = _form_token(first.text)
    answer = _post(
        client, path, {"csrf_token": csrf, **fields, "confirm": "yes", "form_token": token}
    )
    return answer, token


def _setup(
    console: TestClient, services: Services, role: str = "registrar"
) -> tuple[dict[str, Any], str]:
    load_catalog(services)
    credential = _issue(console, services)
    units = ["U01"] if role == "registrar" else []
    make_user(services, f"{role}@example.com", role, units, name="李娜")
    return credential, signed_in(console, f"{role}@example.com")


def test_the_page_shows_every_field_the_qr_the_preview_and_the_files(
    console: TestClient, timed_services: Services
) -> None:
    services = timed_services
    credential, _csrf = _setup(console, services)
    page = console.get(f"/console/credentials/{credential['number']}")  # by certificate number
    assert page.status_code == 200, page.text
    html = page.text
    for shown in (
        "王小明",
        "E-0001",
        "6-17-05-01",
        credential["occupation"]["name_zh"],
        credential["level"]["name_zh"],
        "U01",
        "2026-10-14",
        "2026-Q4-D3-R05",
        "91",
        credential["number"],
        credential["id"],
        credential["kid"],
        "证书编号",
        "凭证标识",
        '有效 <span class="en" lang="en">Active</span>',
        '签发证书 <span class="en" lang="en">Credential issued</span>',
    ):
        assert shown in html, shown
    base = f"/console/credentials/{credential['id']}"
    qr = console.get(f"{base}/qr.png")
    assert qr.headers["content-type"] == "image/png"
    assert (
        qr.content
        == console.get(
            f"/api/v1/credentials/{credential['id']}/qr.png", headers=_bearer(services)
        ).content
    )
    preview = Image.open(io.BytesIO(console.get(f"{base}/preview.png").content))
    assert preview.format == "PNG"
    assert preview.width == 720
    assert preview.height > preview.width
    assert console.get(f"{base}/certificate.pdf").content.startswith(b"%PDF")
    assert console.get(f"{base}/card.pdf").content.startswith(b"%PDF")
    assert console.get(f"{base}/badge.png").content.startswith(b"\x89PNG")
    assert b"openbadges:credential" in console.get(f"{base}/badge.svg").content
    jwt = console.get(f"{base}/credential.jwt")
    assert jwt.text == credential["credential"]
    assert "attachment" in jwt.headers["content-disposition"]


def test_files_need_a_session(console: TestClient, timed_services: Services) -> None:
    load_catalog(timed_services)
    credential = _issue(console, timed_services)
    answer = console.get(
        f"/console/credentials/{credential['id']}/credential.jwt", follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login?next=")


def test_revoking_asks_first_then_revokes_once_and_the_timeline_shows_it(
    console: TestClient, timed_services: Services
) -> None:
    services = timed_services
    credential, csrf = _setup(console, services)
    path = f"/console/credentials/{credential['id']}/revoke"
    fields = {"reason": "exam_misconduct", "note": "seat 14"}
    asked = _post(console, path, {"csrf_token": csrf, **fields})
    assert asked.status_code == 200
    assert f"撤销证书 No. {credential['number']}（王小明）：此操作不可撤回。" in asked.text
    assert f"Revoke the credential No. {credential['number']} of 王小明" in asked.text
    assert "考试违纪" in asked.text
    assert _api(console, services, credential["id"])["state"] == "active"  # nothing yet
    token = _form_token(asked.text)
    done = _post(
        console, path, {"csrf_token": csrf, **fields, "confirm": "yes", "form_token": token}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/credentials/{credential['id']}?done=revoked"
    assert _api(console, services, credential["id"])["state"] == "revoked"
    page = console.get(done.headers["location"]).text
    assert "证书已撤销。" in page
    assert '已撤销 <span class="en" lang="en">Revoked</span>' in page
    timeline = page.split("timeline-heading")[-1]
    assert timeline.index("签发") < timeline.index("撤销")
    assert "考试违纪" in timeline
    assert "李娜" in timeline
    assert "seat 14" not in timeline  # audit notes: for those who read the audit log
    assert 'action="/console/credentials/' + credential["id"] + '/revoke"' not in page
    again = _post(
        console, path, {"csrf_token": csrf, **fields, "confirm": "yes", "form_token": token}
    )
    assert again.status_code == 409
    assert "form_already_submitted" in again.text
    final = _post(console, path, {"csrf_token": csrf, **fields})  # nothing left to confirm
    assert final.status_code == 409
    assert "already_revoked" in final.text
    events = console.get(
        "/api/v1/audit",
        params={"target": credential["id"], "action": "credential.revoke"},
        headers=_bearer(services),
    ).json()
    assert events["total"] == 1
    assert events["items"][0]["actor"].endswith(":李娜")


def test_suspend_then_reinstate(console: TestClient, timed_services: Services) -> None:
    services = timed_services
    credential, csrf = _setup(console, services, "admin")
    base = f"/console/credentials/{credential['id']}"
    suspended, _ = _confirmed(console, f"{base}/suspend", csrf, reason="holder_request")
    assert suspended.headers["location"] == f"{base}?done=suspended"
    assert _api(console, services, credential["id"])["state"] == "suspended"
    page = console.get(suspended.headers["location"]).text
    assert "已暂停" in page
    assert "持证人申请" in page
    assert f'action="{base}/reinstate"' in page
    assert f'action="{base}/suspend"' not in page
    asked = _post(console, f"{base}/reinstate", {"csrf_token": csrf, "note": "cleared"})
    assert f"恢复证书 No. {credential['number']}（王小明）" in asked.text
    reinstated, _ = _confirmed(console, f"{base}/reinstate", csrf, note="cleared")
    assert reinstated.headers["location"] == f"{base}?done=reinstated"
    assert _api(console, services, credential["id"])["state"] == "active"
    page = console.get(base).text
    timeline = page.split("timeline-heading")[-1]
    assert timeline.index("暂停证书") < timeline.index("恢复证书")
    assert "cleared" in timeline  # an admin reads the audit log's notes


def test_reissue_shows_each_change_then_replaces_the_credential_once(
    console: TestClient, timed_services: Services
) -> None:
    services = timed_services
    credential, csrf = _setup(console, services)
    base = f"/console/credentials/{credential['id']}"
    form = console.get(f"{base}/reissue")
    assert form.status_code == 200
    assert 'value="王小明"' in form.text
    assert 'value="2026-Q4-D3-R05"' in form.text
    fields = {
        "reason": "data_correction",
        "holder_name": "王晓明",
        "occupation": "6-17-05-01",
        "level": "intermediate",
        "unit": "U01",
        "exam_date": "2026-10-14",
        "exam_session": "2026-Q4-D3-R05",
        "score": "91",
        "valid_until": "",
        "holder_email": "",
        "note": "",
    }
    asked = _post(console, f"{base}/reissue", {"csrf_token": csrf, **fields})
    assert asked.status_code == 200
    assert f"换发证书 No. {credential['number']}（王小明）" in asked.text
    changes = asked.text.split("<tbody>")[1].split("</tbody>")[0]
    assert "王小明" in changes
    assert "王晓明" in changes
    assert "intermediate" in changes
    assert "2026-Q4-D3-R05" not in changes  # unchanged fields are not listed
    token = _form_token(asked.text)
    confirmed = {"csrf_token": csrf, **fields, "confirm": "yes", "form_token": token}
    done = _post(console, f"{base}/reissue", confirmed)
    assert done.status_code == 303
    new_id = done.headers["location"].split("/")[-1].split("?")[0]
    assert done.headers["location"].endswith("?done=reissued")
    assert new_id != credential["id"]
    new = _api(console, services, new_id)
    assert new["holder"]["name"] == "王晓明"
    assert new["level"]["code"] == "intermediate"
    assert _api(console, services, credential["id"])["state"] == "superseded"
    page = console.get(done.headers["location"]).text
    assert f'<a href="{base}">No. {credential["number"]}</a>' in page  # its predecessor
    old_page = console.get(base).text
    assert f'href="/console/credentials/{new_id}"' in old_page
    assert '换发证书 <span class="en" lang="en">Credential reissued</span>' in old_page
    assert "信息更正" in old_page
    assert f'action="{base}/revoke"' not in old_page  # superseded: final
    again = _post(console, f"{base}/reissue", confirmed)
    assert again.status_code == 409
    assert "form_already_submitted" in again.text


def test_reissue_form_errors_are_shown_by_the_field_keeping_the_input(
    console: TestClient, timed_services: Services
) -> None:
    credential, csrf = _setup(console, timed_services)
    path = f"/console/credentials/{credential['id']}/reissue"
    answer = _post(console, path, {"csrf_token": csrf, "reason": "", "score": "lots"})
    assert answer.status_code == 422
    assert 'id="reason-error"' in answer.text
    assert 'id="score-error"' in answer.text
    assert 'value="lots"' in answer.text
    nothing = _post(console, path, {"csrf_token": csrf, "reason": "data_correction"})
    assert nothing.status_code == 422
    assert "信息更正须至少更改一项" in nothing.text
    assert _api(console, timed_services, credential["id"])["state"] == "active"


def test_a_status_change_without_a_reason_is_refused_by_the_form(
    console: TestClient, timed_services: Services
) -> None:
    credential, csrf = _setup(console, timed_services)
    path = f"/console/credentials/{credential['id']}/revoke"
    answer = _post(console, path, {"csrf_token": csrf, "reason": "bogus", "note": "kept"})
    assert answer.status_code == 422
    assert 'id="revoke-error"' in answer.text
    assert ">kept</textarea>" in answer.text
    unknown = console.get("/console/credentials/No-Such-Number")
    assert unknown.status_code == 404
    assert "未找到" in unknown.text
    assert _post(console, path, {"reason": "exam_misconduct"}).status_code == 403  # no CSRF


def test_share_links_are_created_shown_once_and_revoked(
    console: TestClient, timed_services: Services
) -> None:
    credential, csrf = _setup(console, timed_services)
    base = f"/console/credentials/{credential['id']}"
    created = _post(console, f"{base}/share-links", {"csrf_token": csrf})
    assert created.status_code == 201
    match = re.search(r'value="(https?://[^"]+/s/[^"]+)"', created.text)
    assert match is not None
    url = match.group(1)
    path = url[url.index("/s/") :]
    assert console.get(path).status_code == 200
    page = console.get(base).text
    assert "#1" in page
    assert url not in page
    revoked = _post(console, f"{base}/share-links/1/revoke", {"csrf_token": csrf})
    assert revoked.headers["location"] == f"{base}?done=link_revoked"
    assert console.get(path).status_code == 410
    timeline = console.get(base).text.split("timeline-heading")[-1]
    assert "创建分享链接" in timeline
    assert "撤销分享链接" in timeline


def test_the_holders_view_links_show_beside_the_registrars_link(
    console: TestClient, timed_services: Services, clock: Clock
) -> None:
    credential, csrf = _setup(console, timed_services)
    base = f"/console/credentials/{credential['id']}"
    created = _post(console, f"{base}/share-links", {"csrf_token": csrf})
    match = re.search(r'value="https?://[^"]+/s/([^"]+)"', created.text)
    assert match is not None
    with timed_services.sessions() as session:
        view, token = create_view_link(session, match.group(1), Lifetime.DAY, now=clock())
        count_view_open(session, token, now=clock())
        session.commit()
    links = console.get(base).text.split("links-heading")[-1]
    parent = view.parent_id  # the registrar's link (ids differ by database)
    assert f"#{view.id}<br>持证人由 #{parent} 生成的查看链接" in links
    assert f"view link the holder made from #{parent}" in links
    assert "<td>1</td>" in links  # opened once
    assert "有效至" in links
    with timed_services.sessions() as session:  # a day later (the console's session would end)
        stored = session.get(ShareLink, view.id)
        assert stored is not None
        stored.expires_at = clock() - dt.timedelta(minutes=1)
        session.commit()
    assert "已过期" in console.get(base).text.split("links-heading")[-1]


def test_an_auditor_sees_no_action_and_may_take_none(
    console: TestClient, timed_services: Services
) -> None:
    credential, csrf = _setup(console, timed_services, "auditor")
    base = f"/console/credentials/{credential['id']}"
    page = console.get(base)
    assert page.status_code == 200
    assert "王小明" in page.text
    assert 'method="post" action="/console/credentials' not in page.text
    assert "/reissue" not in page.text
    for action in ("revoke", "suspend", "reinstate", "share-links", "reissue"):
        answer = _post(
            console, f"{base}/{action}", {"csrf_token": csrf, "reason": "exam_misconduct"}
        )
        assert answer.status_code == 403, action
    assert console.get(f"{base}/reissue").status_code == 403
    assert _api(console, timed_services, credential["id"])["state"] == "active"


def test_a_registrar_cannot_open_or_change_another_units_credential(
    console: TestClient, timed_services: Services
) -> None:
    services = timed_services
    _own, csrf = _setup(console, services)
    other = _issue(
        console, services, unit="U02", holder={"name": "赵六", "employee_number": "E-0002"}
    )
    base = f"/console/credentials/{other['id']}"
    api = console.get(
        f"/api/v1/credentials/{other['number']}", headers=_bearer(services, "registrar", ["U01"])
    )
    for path in (
        f"/console/credentials/{other['number']}",
        f"{base}/qr.png",
        f"{base}/credential.jwt",
    ):
        assert console.get(path).status_code == api.status_code == 403, path
    for action in ("revoke", "suspend", "share-links", "reissue"):
        answer = _post(
            console, f"{base}/{action}", {"csrf_token": csrf, "reason": "exam_misconduct"}
        )
        assert answer.status_code == 403, action
    assert _api(console, services, other["id"])["state"] == "active"


def test_a_revocation_past_the_limit_is_sent_for_approval(
    settings: Settings, timed_services: Services
) -> None:
    small = settings.model_copy(update={"batch_approval_threshold": 0})
    services = dataclasses.replace(timed_services, settings=small)
    with TestClient(create_app(small, services=services)) as console:
        credential, csrf = _setup(console, services)
        base = f"/console/credentials/{credential['id']}"
        answer, _ = _confirmed(console, f"{base}/revoke", csrf, reason="issued_in_error")
        assert answer.headers["location"] == f"{base}?done=approval"
        page = console.get(answer.headers["location"]).text
        assert "已提交审批" in page
        assert 'href="/console/approvals"' in page
        waiting = page.split("waiting-heading")[-1].split("</section>")[0]
        assert "撤销" in waiting
        assert "误发" in waiting
        assert "李娜" in waiting
        assert _api(console, services, credential["id"])["state"] == "active"
        approvals = console.get("/api/v1/approvals", headers=_bearer(services)).json()["items"]
        assert [(a["action"], a["state"]) for a in approvals] == [("credential.revoke", "pending")]
        assert approvals[0]["params"]["credential_id"] == credential["id"]
        assert approvals[0]["params"]["reason"] == "issued_in_error"
        assert approvals[0]["params"]["units"] == ["U01"]
