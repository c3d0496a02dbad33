"""One vocabulary: the enums are what the database, the API, the pages and the docs say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import CheckConstraint

from issuer import vocabulary
from issuer.store.models import Base
from issuer.vocabulary import ApprovalAction, AuditAction, ReasonCode, Role, either
from verifier import result
from verifier.web.page import REASONS

ROOT = Path(__file__).resolve().parents[2]
DOCS = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")}


def test_check_constraints_are_the_migrations_text() -> None:
    """The models' CHECK constraints, built from the enums, say what the migrations say."""
    checks = {
        (table.name, str(constraint.sqltext))
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    assert checks == {
        ("credentials", "state IN ('active', 'revoked', 'suspended', 'superseded')"),
        ("api_tokens", "role IN ('admin', 'registrar', 'auditor')"),
        ("principals", "role IN ('admin', 'registrar', 'auditor')"),
        ("principals", "kind IN ('person', 'service')"),
        ("signing_keys", "state IN ('active', 'retired', 'compromised')"),
        ("approvals", "state IN ('pending', 'approved', 'rejected')"),
        ("imports", "state IN ('running', 'done', 'failed')"),
        ("exports", "kind IN ('register', 'audit')"),
        ("exports", "state IN ('queued', 'running', 'ready', 'failed', 'cancelled', 'expired')"),
        ("issuer_identity", "id = 1"),
        ("issuer_profile", "id = 1"),
        (
            "notices",
            "kind IN ('revoked', 'suspended', 'reinstated', 'reissued', 'expiring', 'link_opened')",
        ),
        ("notices", "state IN ('pending', 'sent', 'failed')"),
        ("reissue_runs", "state IN ('queued', 'running', 'done', 'failed', 'cancelled')"),
        ("console_sessions", "stage IN ('second_factor', 'signed_in')"),
        ("api_credentials", "state IN ('active', 'revoked', 'suspended', 'superseded')"),
        ("status_allocations", "(credential_id IS NULL) <> (api_credential_id IS NULL)"),
    }
    migrations = "".join(p.read_text("utf-8") for p in (ROOT / "migrations").rglob("*.py"))
    for _table, sql in checks:
        assert f'"{sql}"' in migrations


def test_the_reason_codes_are_the_verifiers() -> None:
    assert vocabulary.ReasonCode is result.ReasonCode
    assert set(REASONS) == set(ReasonCode)


def test_approval_actions_that_change_things_are_audited_under_the_same_word() -> None:
    audited = set(ApprovalAction) - {ApprovalAction.KEY_REISSUE_COMPROMISED}
    assert audited <= set(AuditAction)  # the reissue itself is audited as credential.reissue


@pytest.mark.parametrize(
    "action",
    sorted(
        {
            action
            for text in DOCS.values()
            for action in re.findall(
                r"`((?:credential|token|principal|key|approval|import|share_link)\.[a-z_]+)`", text
            )
            if not action.endswith(".jwt")
        }
    ),
)
def test_every_audit_action_the_docs_name_exists(action: str) -> None:
    assert action in set(AuditAction) | set(ApprovalAction)


def test_either_reads_like_the_help_text() -> None:
    assert either(Role) == "admin, registrar or auditor"


def test_the_api_schema_lists_the_words(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["ReasonCode"]["enum"] == [str(reason) for reason in ReasonCode]
    assert schemas["Role"]["enum"] == ["admin", "registrar", "auditor"]
    assert schemas["CredentialState"]["enum"] == [
        "active",
        "revoked",
        "suspended",
        "superseded",
    ]
