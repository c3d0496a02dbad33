"""Look-alike names and identifiers: invisible characters are refused, every way in alike.

An employee number with a zero-width space (``SF000001`` + U+200B) displays as ``SF000001``;
stored, it would be a second holder that certificates cannot tell apart from the first. The
API, reissue corrections, the ``tessera`` commands and import rows all keep one normal form
and refuse control, format and invisible characters (decision 0024); nothing is stored.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from issuer.campaigns.import_run import ImportRequest, list_import_rows, run_import, start_import
from issuer.config import Settings
from issuer.credentials.issuance import IssueRequest
from issuer.credentials.text import (
    UnsafeTextError,
    clean_identifier,
    clean_name,
    clean_note,
    refused_character,
)
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import ApiToken, AuditEvent, Credential, Holder
from tests.issuer.campaign_files import HEADER_ZH, write_csv
from tests.issuer.helpers import issue_body, load_catalog, run_cli

# Characters that draw nothing, or reorder what is drawn, or end a line: each one, added to
# a value, would make a second value that looks like the first.
HIDDEN = {
    "nul": "\x00",
    "newline": "\n",
    "tab": "\t",
    "escape": "\x1b",
    "delete": "\x7f",
    "next_line": "\x85",
    "zero_width_space": "\u200b",
    "zero_width_non_joiner": "\u200c",
    "zero_width_joiner": "\u200d",
    "word_joiner": "\u2060",
    "byte_order_mark": "\ufeff",
    "soft_hyphen": "\u00ad",
    "right_to_left_override": "\u202e",
    "left_to_right_embedding": "\u202a",
    "first_strong_isolate": "\u2068",
    "right_to_left_mark": "\u200f",
    "arabic_letter_mark": "\u061c",
    "line_separator": "\u2028",
    "tag_space": "\U000e0020",
    "hangul_filler": "\u3164",
    "variation_selector": "\ufe0f",
    "combining_grapheme_joiner": "\u034f",
    "braille_blank": "\u2800",
    "lone_surrogate": "\ud800",
    "private_use": "\ue000",
}


def _stored(services: Services) -> tuple[int, int, int, int]:
    with services.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Holder)) or 0,
            session.scalar(select(func.count()).select_from(Credential)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            session.scalar(select(func.count()).select_from(ApiToken)) or 0,
        )


def _issue(client: TestClient, headers: dict[str, str], **changes: Any) -> Any:
    # ASCII JSON: a lone surrogate travels as its \\u escape, as an attacker would send it.
    return client.post(
        "/api/v1/credentials",
        content=json.dumps(issue_body(**changes)),
        headers={**headers, "Content-Type": "application/json"},
    )


def _holder(name: str = "王小明", number: str = "SF000001") -> dict[str, str]:
    return {"name": name, "employee_number": number}


def _refused_field(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "invalid_request"
    reasons = [e["reason"] for e in problem["errors"] if e["field"] == field]
    assert reasons, problem["errors"]
    # "contains control, format (zero-width, bidirectional) or invisible characters"; a lone
    # surrogate is already not a string to the JSON parser.
    assert "invisible" in reasons[0] or "unicode" in reasons[0]


@pytest.mark.parametrize("hidden", list(HIDDEN.values()), ids=list(HIDDEN))
def test_lookalike_employee_number_with_a_hidden_character_is_refused_by_the_api(
    client: TestClient, services: Services, admin_headers: dict[str, str], hidden: str
) -> None:
    load_catalog(services)
    assert _issue(client, admin_headers, holder=_holder()).status_code == 201
    before = _stored(services)
    for number in (f"SF000001{hidden}", f"SF{hidden}000001", f"{hidden}SF000001"):
        response = _issue(
            client,
            admin_headers,
            holder=_holder(number=number),
            exam={"date": "2026-10-15", "session": "S2"},
        )
        _refused_field(response, "holder.employee_number")
    assert _stored(services) == before


@pytest.mark.parametrize("hidden", ["\u202e", "\u200b", "\x00", "\n", "\ufeff"])
def test_hidden_characters_in_names_sessions_and_codes_are_refused_by_the_api(
    client: TestClient, services: Services, admin_headers: dict[str, str], hidden: str
) -> None:
    load_catalog(services)
    before = _stored(services)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"holder": _holder(name=f"王小{hidden}明")}, "holder.name"),
        (
            {"holder": {**_holder(), "national_id": f"{hidden}110101199003074477"}},
            "holder.national_id",
        ),
        ({"exam": {"date": "2026-10-14", "session": f"2026-Q4{hidden}"}}, "exam.session"),
        ({"unit": f"U01{hidden}"}, "unit"),
        ({"occupation": f"6-17-05-01{hidden}"}, "occupation"),
    ]
    for changes, field in cases:
        response = _issue(client, admin_headers, **changes)
        _refused_field(response, field)
    token = client.post(
        "/api/v1/tokens", json={"name": f"ops{hidden}", "role": "auditor"}, headers=admin_headers
    )
    _refused_field(token, "name")
    assert _stored(services) == before


def test_lookalike_spellings_of_one_employee_number_are_one_holder(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    decomposed = unicodedata.normalize("NFD", "José Núñez")
    first = _issue(client, admin_headers, holder=_holder(name="José Núñez"))
    assert first.status_code == 201
    sessions = iter(f"S{i}" for i in range(10))
    for name, number in [
        (decomposed, "SF000001"),  # NFD name: the same name
        ("José  Núñez", "SF000001\u00a0"),  # a no-break space, and two spaces in the name
        ("José Núñez", "ＳＦ０００００１"),  # full-width letters and digits
        (" José Núñez ", "SF000001\u3000"),  # ideographic space
    ]:
        response = _issue(
            client,
            admin_headers,
            holder=_holder(name=name, number=number),
            exam={"date": "2026-10-14", "session": next(sessions)},
        )
        assert response.status_code == 201, response.text
        assert response.json()["holder"] == {
            "name": "José Núñez",
            "employee_number": "SF000001",
            "notices": False,
        }
    with services.sessions() as session:
        assert list(session.scalars(select(Holder.employee_number))) == ["SF000001"]


def test_reissue_correction_with_hidden_characters_is_refused(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = _issue(client, admin_headers, holder=_holder()).json()
    before = _stored(services)
    url = f"/api/v1/credentials/{issued['id']}/reissue"
    for body, field in [
        ({"holder_name": "王小明\u202e"}, "holder_name"),
        ({"exam_session": "2026-Q4-D3-R05\u200b"}, "exam_session"),
        ({"note": "ok\u202egnp.exe"}, "note"),
    ]:
        response = client.post(
            url, json={"reason": "data_correction", **body}, headers=admin_headers
        )
        _refused_field(response, field)
    batch = client.post(
        "/api/v1/credentials/batch-revoke",
        json={"exam_session": "2026-Q4-D3-R05\u200b", "reason": "exam_misconduct"},
        headers=admin_headers,
    )
    _refused_field(batch, "exam_session")
    assert _stored(services) == before
    # A correction that only respells the name in another form corrects nothing.
    same = client.post(
        url,
        json={"reason": "data_correction", "holder_name": "王小明\u3000"},
        headers=admin_headers,
    )
    assert same.status_code == 422
    assert same.json()["code"] == "nothing_to_correct"
    assert _stored(services) == before


def _cli_issue(settings: Settings, name: str, number: str, session: str) -> tuple[int, str]:
    return run_cli(
        settings,
        "issue",
        f"--name={name}",
        f"--employee-number={number}",
        "--occupation=6-17-05-01",
        "--level=senior",
        "--unit=U01",
        "--exam-date=2026-10-14",
        f"--exam-session={session}",
    )


def test_lookalike_employee_number_is_refused_by_the_cli_issue_and_reissue(
    settings: Settings, services: Services
) -> None:
    load_catalog(services)
    code, output = _cli_issue(settings, "王小明", "SF000001", "S1")
    assert code == 0, output
    before = _stored(services)
    for name, number, session in [
        ("王小明", "SF000001\u200b", "S2"),
        ("王小\u202e明", "SF000002", "S2"),
        ("王小明", "SF000001", "S2\x00"),
    ]:
        code, output = _cli_issue(settings, name, number, session)
        assert code == 1
        assert "control, format or invisible characters" in output
        assert "Traceback" not in output
    with services.sessions() as db:
        number = str(db.scalar(select(Credential.number)))
    code, output = run_cli(
        settings, "reissue", number, "--reason=data_correction", "--holder-name=王\u200b小明"
    )
    assert code == 1
    assert "invisible characters" in output
    code, output = run_cli(settings, "revoke-session", "S1\u200b", "--reason=exam_misconduct")
    assert code == 1
    assert "invisible characters" in output
    assert _stored(services) == before
    # Full-width and spaced spellings reach the same holder.
    code, output = _cli_issue(settings, "王小明 ", "ＳＦ０００００１", "S3")
    assert code == 0, output
    with services.sessions() as db:
        assert list(db.scalars(select(Holder.employee_number))) == ["SF000001"]


def test_cli_notes_with_hidden_characters_are_refused_and_change_nothing(
    settings: Settings, services: Services
) -> None:
    """A note goes into the audit log, which people read: the CLI's notes are cleaned as the
    API's are, by the lifecycle services themselves."""
    load_catalog(services)
    code, output = _cli_issue(settings, "王小明", "SF000001", "S1")
    assert code == 0, output
    with services.sessions() as db:
        number = str(db.scalar(select(Credential.number)))
    before = _stored(services)
    for command in ("revoke", "suspend"):
        code, output = run_cli(
            settings, command, number, "--reason=exam_misconduct", "--note=ok\u202eevil"
        )
        assert code == 1
        assert "invisible characters" in output
        assert "Traceback" not in output
    assert _stored(services) == before
    code, output = run_cli(settings, "revoke", number, "--reason=exam_misconduct", "--note=  ok ")
    assert code == 0, output
    with services.sessions() as db:
        event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.details == {"note": "ok"}


def test_import_rows_with_hidden_characters_are_invalid_characters(
    services: Services, tmp_path: Path
) -> None:
    load_catalog(services)
    good = ["王小明", "SF000001", "6-17-05-01", "高级", "U01", "2026-10-14", "S1", "90", "合格"]
    rows = [
        good,  # row 2: issued
        [good[0], "SF000001\u200b", *good[2:6], "S2", *good[7:]],  # row 3
        ["王小\u202e明", "SF000002", *good[2:]],  # row 4
        [*good[:6], "S\x003", *good[7:]],  # row 5
        [*good[:4], "U01\ufeff", *good[5:]],  # row 6
        ["王小明", "ＳＦ０００００１", *good[2:6], "S4", *good[7:]],  # row 7: the same holder
    ]
    path = write_csv(tmp_path / "hidden.csv", rows, header=HEADER_ZH)
    request = ImportRequest(path=path, filename=path.name, dry_run=False, actor=Actor("test"))
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=1000, now=services.clock())
    run_import(services, job.id, request)
    with services.sessions() as session:
        report = {
            r.row_number: (r.status, r.column, r.reason)
            for r in list_import_rows(session, job.id, limit=100, offset=0)
        }
        numbers = list(session.scalars(select(Holder.employee_number)))
    assert report[2][0] == report[7][0] == "issued"
    assert report[3] == ("invalid", "employee_number", "invalid_characters")
    assert report[4] == ("invalid", "name", "invalid_characters")
    assert report[5] == ("invalid", "exam_session", "invalid_characters")
    assert report[6] == ("invalid", "unit", "invalid_characters")
    assert numbers == ["SF000001"]


def test_issue_request_itself_refuses_hidden_characters() -> None:
    base: dict[str, Any] = {
        "holder_name": "王小明",
        "employee_number": "SF000001",
        "occupation": "6-17-05-01",
        "level": "senior",
        "unit": "U01",
        "exam_date": "2026-10-14",
        "exam_session": "S1",
    }
    for field in ("holder_name", "employee_number", "exam_session", "unit", "national_id"):
        with pytest.raises(UnsafeTextError) as caught:
            IssueRequest(**{**base, field: "A\u200bB"})
        assert caught.value.code == "invalid_characters"
        assert "A" not in str(caught.value)  # the value is never quoted
    assert IssueRequest(**{**base, "employee_number": " ＳＦ０００００１ "}).employee_number == (
        "SF000001"
    )


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=40))
def test_cleaning_is_idempotent_and_leaves_nothing_hidden(value: str) -> None:
    for clean in (clean_name, clean_identifier, clean_note):
        try:
            once = clean(value)
        except UnsafeTextError:
            continue
        assert clean(once) == once
        assert unicodedata.is_normalized("NFC", once)
        allowed = frozenset("\n\t") if clean is clean_note else frozenset()
        assert not refused_character(once, allowed)
        assert once == once.strip()


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.text(max_size=12), number=st.text(max_size=12), session=st.text(max_size=12))
def test_any_text_in_the_issue_api_is_stored_clean_or_refused_never_a_500(
    client: TestClient,
    services: Services,
    admin_headers: dict[str, str],
    name: str,
    number: str,
    session: str,
) -> None:
    load_catalog(services)
    response = _issue(
        client,
        admin_headers,
        holder=_holder(name=name, number=number),
        exam={"date": "2026-10-14", "session": session},
    )
    assert response.status_code in (201, 409, 422), response.text
    if response.status_code == 201:
        body = response.json()
        for value in (body["holder"]["name"], body["holder"]["employee_number"]):
            assert value
            assert value == value.strip()
            assert unicodedata.is_normalized("NFC", value)
            assert not refused_character(value)
