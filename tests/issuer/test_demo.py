"""The demo campaign: 1,391 credentials, the right level counts, idempotent, all genuine."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import jsonschema
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.campaigns.demo import load_demo
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import Credential, Holder, Level, Occupation, Unit
from tests.issuer.helpers import schema, verify_with_jwcrypto

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "campaign-sample.csv"


def test_demo_campaign_issues_1391_verifiable_credentials_once(
    client: TestClient, services: Services
) -> None:
    with session_scope(services.sessions) as session:
        first = load_demo(session, issuer=services.issuer(session), now=services.clock())
    assert (first.issued, first.already_present) == (1391, 0)
    with session_scope(services.sessions) as session:
        second = load_demo(session, issuer=services.issuer(session), now=services.clock())
    assert (second.issued, second.already_present) == (0, 1391)

    with services.sessions() as session:
        count = session.scalar(select(func.count()).select_from(Credential))
        levels = Counter(session.scalars(select(Level.code).join(Credential)))
        assert count == 1391
        assert levels == {"junior": 761, "intermediate": 280, "senior": 350}
        assert session.scalar(select(func.count()).select_from(Unit)) == 16
        assert session.scalar(select(func.count()).select_from(Occupation)) == 42
        assert session.scalar(select(func.count(func.distinct(Credential.unit_id)))) == 16
        assert session.scalar(select(func.count()).select_from(Holder)) == 1391
        tokens = list(session.scalars(select(Credential.jws)))

    jwks = client.get("/.well-known/jwks.json").json()
    ob = jsonschema.Draft201909Validator(schema("ob"))
    vc = jsonschema.Draft202012Validator(schema("vc"))
    indexes = set()
    for token in tokens:
        header, payload = verify_with_jwcrypto(token, jwks)
        assert header["typ"] == "vc+jwt"
        assert not list(ob.iter_errors(payload))
        assert not list(vc.iter_errors(payload))
        status = payload["credentialStatus"]
        indexes.add((status["statusListCredential"], status["statusListIndex"]))
    assert len(indexes) == 1391  # never reused


def test_the_docs_sample_campaign_issues_after_the_demo_is_loaded(services: Services) -> None:
    """`make run` loads the demo; the sample of docs/import-format.md then still issues: its
    people are not the demo's (another employee number would be another name, or the same
    exam already issued)."""
    with session_scope(services.sessions) as session:
        load_demo(session, issuer=services.issuer(session), now=services.clock())
    request = ImportRequest(path=SAMPLE, filename=SAMPLE.name, dry_run=False, actor=Actor("t"))
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=1000, now=services.clock())
    job = run_import(services, job.id, request)
    assert (job.issued, job.already_issued, job.failed) == (12, 0, 0)
