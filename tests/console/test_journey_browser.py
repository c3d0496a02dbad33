"""The console's acceptance journey in Chromium, one role after another, on one server.

An admin creates a unit, an occupation and a registrar through the forms; the registrar
signs in, imports the sample campaign through the wizard, finds a credential by its
certificate number, revokes it with a reason, and the public verify page shows it revoked
with that reason; the registrar's batch revocation past the limit waits for an admin, and a
second admin approves it in the inbox; an auditor reads everything, finds no control that
changes anything, and the API refuses the auditor's change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from issuer.access.principals import issue_token
from issuer.access.users import find_user
from issuer.config import Settings
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from tests.console.helpers import DESKTOP, browser_sign_in, make_user
from tests.helpers import make_token
from tests.issuer.helpers import load_catalog
from tests.servers import in_process_server

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "campaign-sample.csv"
SAMPLE_UNITS = ["U02", "U05", "U07", "U09", "U10", "U11", "U12", "U15", "U16"]
REGISTRAR = "registrar@example.com"
REGISTRAR_PASSWORD = "registrar passphrase 1"
FOUND_HOLDER, FOUND_SESSION = "任俊峰", "2026-Q4-D6-R12"  # sample row 1, unit U05
BATCH_SESSION = "2026-Q4-D5-R12"  # sample row 2, unit U12


def _admin_sets_up(page: Page, base: str) -> None:
    page.get_by_role("link", name="机构设置 Organisation").first.click()
    page.get_by_label("单位代码 Unit code").fill("U17")
    page.get_by_label("中文名称 Chinese name").fill("新材料厂")
    page.get_by_label("英文名称 English name").fill("New Materials Plant")
    page.get_by_role("button", name="创建单位 Create unit").click()
    page.get_by_role("status").get_by_text("The unit is saved.").wait_for()
    page.get_by_role("link", name="新建职业 New occupation").click()
    page.get_by_label("职业编码 National code").fill("6-17-05-09")
    page.get_by_label("中文名称 Chinese name").fill("永磁材料工")
    page.get_by_label("英文名称 English name").fill("Permanent Magnet Worker")
    page.get_by_label("职业描述 Description (Chinese)").fill("从事永磁材料生产的人员。")
    page.get_by_label("英文职业描述 Description (English)").fill("Makes permanent magnets.")
    page.get_by_label("认定标准 Criteria (Chinese)").fill("国家职业技能标准。")
    page.get_by_label("英文认定标准 Criteria (English)").fill("The national standard.")
    page.get_by_label("高级工 Senior").check()
    page.get_by_role("button", name="创建职业 Create occupation").click()
    page.get_by_role("status").get_by_text("The occupation is saved.").wait_for()
    page.get_by_role("link", name="用户 Users").first.click()
    page.wait_for_url(f"{base}/console/users")
    page.get_by_label("邮箱 Email").fill(REGISTRAR)
    page.get_by_label("姓名 Name").fill("李娜")
    page.get_by_label("角色 Role").select_option("registrar")
    for unit in [*SAMPLE_UNITS, "U17"]:
        page.get_by_label(unit, exact=False).first.check()
    page.get_by_label("Initial password (10 characters or more)").fill(REGISTRAR_PASSWORD)
    page.get_by_label("再次输入密码 Password again").fill(REGISTRAR_PASSWORD)
    page.get_by_role("button", name="创建用户 Create user").click()
    page.get_by_role("status").get_by_text("The user is created.").wait_for()


def _registrar_imports(page: Page, base: str) -> None:
    page.get_by_role("link", name="批量导入 Imports").first.click()
    page.get_by_label("结果文件").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="检查文件（试运行） Check the file (dry run)").click()
    page.wait_for_url(f"{base}/console/imports/*")
    assert page.locator("#count-ok").inner_text() == "12"
    page.get_by_role("button", name="确认并签发 Confirm and issue").click()
    page.wait_for_url("**/console/imports/*?done=confirmed")
    page.wait_for_function("() => document.getElementById('bar').value === 100")
    page.wait_for_selector("#bundle-heading")
    assert page.locator("#count-issued").inner_text() == "12"


def test_admin_registrar_admin_and_auditor_do_their_work_in_the_console(
    settings: Settings, services: Services, browser: Browser
) -> None:
    load_catalog(services)  # the national occupations and the plants, as `tessera catalog`
    make_user(services, "zhou@example.com", name="周敏")  # sets up the organisation
    make_user(services, "wang@example.com", name="王强")  # decides the registrar's requests
    make_user(services, "auditor@example.com", "auditor", name="审计员")
    limited = settings.model_copy(update={"batch_approval_threshold": 1})
    messages: list[str] = []
    with in_process_server(limited) as (base, client):
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.on("console", lambda message: messages.append(message.text))

        browser_sign_in(page, base, "zhou@example.com")
        _admin_sets_up(page, base)
        page.get_by_role("button", name="退出 Sign out").click()

        browser_sign_in(page, base, REGISTRAR, REGISTRAR_PASSWORD)
        _registrar_imports(page, base)
        admin = {"Authorization": f"Bearer {make_token(services)}"}
        listed = client.get(
            "/api/v1/credentials", params={"holder_name": FOUND_HOLDER}, headers=admin
        ).json()
        (found,) = listed["items"]
        page.get_by_role("link", name="概览 Dashboard").first.click()
        page.get_by_label("查找证书 Find a credential").fill(found["number"])
        page.get_by_role("button", name="查找 Find").click()
        page.wait_for_url(f"{base}/console/credentials/{found['id']}")
        page.get_by_label("撤销原因 Reason for revoking").select_option("exam_misconduct")
        page.get_by_role("button", name="撤销… Revoke…").click()
        page.get_by_role("button", name=f"确认撤销 No. {found['number']} Revoke").click()
        page.wait_for_url(f"{base}/console/credentials/{found['id']}?done=revoked")
        page.goto(f"{base}/v/{found['id']}?lang=both")  # Chromium alone asks for English
        verdict = page.locator("section.verdict").inner_text()
        assert "已撤销" in verdict
        assert "Exam misconduct" in verdict

        # Past the limit of one, the registrar's batch waits for a second admin.
        with session_scope(services.sessions) as session:
            registrar = find_user(session, REGISTRAR)
            assert registrar is not None
            _token, plain = issue_token(
                session,
                registrar,
                name="campaign script",
                role=None,
                units=None,
                actor=Actor(name="cli:test"),
                now=services.clock(),
            )
        batch = {"exam_session": BATCH_SESSION, "reason": "exam_misconduct"}
        filed = client.post(
            "/api/v1/credentials/batch-revoke",
            json=batch,
            headers={"Authorization": f"Bearer {plain}"},
        )
        assert filed.status_code == 202, filed.text
        page.goto(f"{base}/console/approvals")
        assert page.get_by_role("button", name="批准并执行 Approve and carry out").count() == 0
        page.get_by_role("button", name="退出 Sign out").click()

        browser_sign_in(page, base, "wang@example.com")
        page.goto(f"{base}/console/approvals")
        request = page.locator("article.request").filter(has_text=BATCH_SESSION)
        request.get_by_role("button", name="批准并执行 Approve and carry out").click()
        page.wait_for_url(f"{base}/console/approvals?done=approved")
        in_batch = client.get(
            "/api/v1/credentials", params={"exam_session": BATCH_SESSION}, headers=admin
        ).json()["items"]
        assert [item["state"] for item in in_batch] == ["revoked"]
        page.get_by_role("button", name="退出 Sign out").click()

        browser_sign_in(page, base, "auditor@example.com")
        page.goto(f"{base}/console/credentials/{in_batch[0]['id']}")
        page.goto(f"{base}/console/credentials/{found['id']}")
        assert page.get_by_text(FOUND_SESSION).count() >= 1  # reads everything
        for section in ("/console/credentials", "/console/approvals", "/console/keys"):
            page.goto(f"{base}{section}")
            # No control that changes anything: the register's one form asks for an export
            # (a file of what the auditor may read; decision 0065).
            changing = page.locator("main form[method=post]:not([action='/console/exports'])")
            assert changing.count() == 0, section
        auditor = {"Authorization": f"Bearer {make_token(services, 'auditor')}"}
        refused = client.post(
            f"/api/v1/credentials/{found['id']}/reinstate", json={}, headers=auditor
        )
        assert refused.status_code == 403
        context.close()
    assert [m for m in messages if "Content Security Policy" in m] == []
