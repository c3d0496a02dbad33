"""``/console/audit``: the audit log to read, filter and export, and the chain to verify.

Reading is ``list_events`` (newest first here), export is ``iter_events`` and
``event_record`` as ``GET /api/v1/audit/export`` (as CSV for a spreadsheet, the same
filters as the page), and "verify the chain" is ``check_audit``, what ``tessera audit
verify`` runs. Verifying changes nothing but reads the whole log, so it is a button (a
CSRF-checked POST that answers with the result), never something a link or a prefetch
sets off (docs/decisions/0046-console-approvals-keys-audit.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse, StreamingResponse

from issuer.campaigns.csv_export import render_csv, render_rows
from issuer.errors import InvalidInputError
from issuer.keys.audit_checkpoints import check_audit
from issuer.services import Services
from issuer.store.audit import AuditQuery, event_record, iter_events, list_events
from issuer.store.models import AuditEvent
from issuer.vocabulary import AuditAction
from issuer.web.console.actions import AUDIT_ACTIONS, Words, actor_words, words
from issuer.web.console.identity import ConsoleOverseerDep, ConsoleUser, UserFormDep
from issuer.web.console.pages import page
from issuer.web.deps import ServicesDep
from verifier.i18n import both
from verifier.web.page import REASONS

router = APIRouter(prefix="/console", include_in_schema=False)

PAGE = "/console/audit"
PER_PAGE = 50
MAX_PAGE = 100_000
CSV_COLUMNS = (
    "id",
    "occurred_at",
    "actor",
    "action",
    "target",
    "reason",
    "request_id",
    "details",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class Filters:
    """The page's filters as typed (to show them again) and as a query (to apply them)."""

    typed: dict[str, str]
    query: AuditQuery
    errors: dict[str, Words]

    def link(self, **extra: Any) -> str:
        kept = {k: v for k, v in self.typed.items() if v}
        return urlencode({**kept, **{k: v for k, v in extra.items() if v}})


def _filters(
    services: Services, action: str, actor: str, target: str, since: str, until: str
) -> Filters:
    """Dates are days in the issuer's time zone; ``until`` includes its whole day."""
    with services.read_sessions() as session:
        zone = ZoneInfo(services.profile(session).time_zone)
    errors: dict[str, Words] = {}
    start = _day(since, zone, "since", errors)
    end = _day(until, zone, "until", errors)
    typed = {"action": action, "actor": actor, "target": target, "since": since, "until": until}
    query = AuditQuery(
        action=action or None,
        actor=actor or None,
        target=target or None,
        since=start,
        until=end + dt.timedelta(days=1) if end is not None else None,
    )
    return Filters(typed, query, errors)


def _day(raw: str, zone: ZoneInfo, field: str, errors: dict[str, Words]) -> dt.datetime | None:
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors[field] = both("console.audit.bad_date")
        return None
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


Text = Annotated[str, Query(max_length=200)]


@router.get("/audit")
def audit(
    user: ConsoleOverseerDep,
    services: ServicesDep,
    action: Annotated[str, Query(max_length=64)] = "",
    actor: Text = "",
    target: Text = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    filters = _filters(services, action, actor, target, since, until)
    rows: list[AuditEvent] = []
    total = 0
    if not filters.errors:
        with services.read_sessions() as session:
            rows, total = list_events(
                session,
                filters.query,
                limit=PER_PAGE,
                offset=(page_number - 1) * PER_PAGE,
                newest_first=True,
            )
    return _page(services, user, filters, rows=rows, total=total, page_number=page_number)


def _page(
    services: Services,
    user: ConsoleUser,
    filters: Filters,
    *,
    rows: list[Any],
    total: int,
    page_number: int,
    check: Any = None,
) -> HTMLResponse:
    return page(
        services,
        "audit/index.html",
        user=user,
        current=PAGE,
        status_code=422 if filters.errors else 200,
        filters=filters,
        events=rows,
        total=total,
        page_number=page_number,
        pages=max(1, -(-total // PER_PAGE)),
        action_choices=[(a.value, AUDIT_ACTIONS.get(a, (a.value, a.value))) for a in AuditAction],
        actions=AUDIT_ACTIONS,
        reasons=REASONS,
        words=words,
        actor_words=actor_words,
        detail_text=detail_text,
        check=check,
    )


def detail_text(value: Any) -> str:
    """A detail's value as a person reads it: text as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


@router.get("/audit/export.csv")
def export_csv(
    _user: ConsoleOverseerDep,
    services: ServicesDep,
    action: Annotated[str, Query(max_length=64)] = "",
    actor: Text = "",
    target: Text = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> StreamingResponse:
    """The events the page's filters select, oldest first, every hashed field and the
    hashes, as CSV (UTF-8 with a byte-order mark; cells neutralised against formulas)."""
    filters = _filters(services, action, actor, target, since, until)
    if filters.errors:
        raise InvalidInputError("enter dates as YYYY-MM-DD")

    def lines() -> Iterator[bytes]:
        yield render_csv(CSV_COLUMNS, [])
        with services.read_sessions() as session:
            for event in iter_events(session, filters.query):
                record = event_record(event)
                yield render_rows([[_cell(record[column]) for column in CSV_COLUMNS]])

    stamp = services.clock().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="tessera-audit-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _cell(value: Any) -> object:
    """Details (a JSON object) as compact JSON with sorted keys; the rest as it is."""
    if value is None or isinstance(value, str | int):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


@router.post("/audit/verify")
def verify(user: ConsoleOverseerDep, _form: UserFormDep, services: ServicesDep) -> HTMLResponse:
    """Recompute the chain and hold it against the stored checkpoints; changes nothing."""
    with services.read_sessions() as session:
        check = check_audit(session)
    filters = _filters(services, "", "", "", "", "")
    with services.read_sessions() as session:
        rows, total = list_events(
            session, filters.query, limit=PER_PAGE, offset=0, newest_first=True
        )
    return _page(services, user, filters, rows=rows, total=total, page_number=1, check=check)
