"""The dashboard's figures for one person: counts, recent changes, requests, running imports.

Every figure comes from a ``GROUP BY`` or a short ``LIMIT`` query, never from rows read into
memory: the counts from the search service's ``tally`` (the same filters and unit scope as
the list, so a figure and the list it links to agree), the recent changes from the audit
log in the same scope, the requests and imports from the same rules the approvals and
imports follow (issuer/access/approvals.py, issuer/access/policy.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.access.approvals import pending_for
from issuer.access.policy import require_admin, require_overseer, require_own_import, unit_scope
from issuer.access.tokens import Principal
from issuer.credentials.activity import LifecycleEvent, recent_lifecycle
from issuer.credentials.catalog import list_levels, list_units
from issuer.credentials.search import CredentialFilter, TallyBy, tally
from issuer.errors import PermissionDeniedError
from issuer.store.models import Approval, ImportJob
from issuer.vocabulary import CredentialState, ImportState
from issuer.web.console.identity import ConsoleUser

RECENT: Final = 10
APPROVALS: Final = 10
IMPORTS: Final = 10
STATES: Final = tuple(CredentialState)


@dataclass(frozen=True)
class Tallied:
    """A unit or level and how many credentials it has in each state."""

    code: str
    name_zh: str
    name_en: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Figures:
    by_state: dict[str, int]
    by_unit: list[Tallied]
    by_level: list[Tallied]
    recent: list[LifecycleEvent]
    approvals: list[Approval] | None  # None: this role decides no requests
    imports: list[ImportJob]
    show_actors: bool  # the audit log's actors: for those who may read the log

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def _tallied(rows: list[tuple[str, str, int]], names: dict[str, tuple[str, str]]) -> list[Tallied]:
    """Rows of ``tally`` per code, in the catalog's order (``names``)."""
    counts: dict[str, dict[str, int]] = {}
    for code, state, count in rows:
        counts.setdefault(code, {})[state] = count
    ordered = [code for code in names if code in counts]
    ordered += sorted(code for code in counts if code not in names)
    return [Tallied(code, *names.get(code, (code, code)), counts=counts[code]) for code in ordered]


def allowed(check: Callable[[Principal], object], principal: Principal) -> bool:
    """Whether the policy's ``check`` lets ``principal`` through."""
    try:
        check(principal)
    except PermissionDeniedError:
        return False
    return True


def running_imports(session: Session, user: ConsoleUser) -> list[ImportJob]:
    """The imports still running that this person may see (registrars: their own)."""
    rows = session.scalars(
        select(ImportJob)
        .where(ImportJob.state == ImportState.RUNNING)
        .order_by(ImportJob.created_at.desc(), ImportJob.id)
        .limit(IMPORTS * 5)
    )
    return [job for job in rows if _may_see(user.principal, job)][:IMPORTS]


def _may_see(principal: Principal, job: ImportJob) -> bool:
    try:
        require_own_import(principal, job.created_by)
    except PermissionDeniedError:
        return False
    return True


def figures(session: Session, user: ConsoleUser) -> Figures:
    scope = unit_scope(user.principal)
    everything = CredentialFilter()
    units = {u.code: (u.name_zh, u.name_en) for u in list_units(session)}
    levels = {lv.code: (lv.name_zh, lv.name_en) for lv in list_levels(session)}
    by_unit = tally(session, everything, scope=scope, by=TallyBy.UNIT)
    by_level = tally(session, everything, scope=scope, by=TallyBy.LEVEL)
    by_state: Counter[str] = Counter({state.value: 0 for state in STATES})
    for _code, state, count in by_unit:
        by_state[state] += count
    principal = user.principal
    return Figures(
        by_state=dict(by_state),
        by_unit=_tallied(by_unit, units),
        by_level=_tallied(by_level, levels),
        recent=recent_lifecycle(session, scope=scope, limit=RECENT),
        approvals=(
            pending_for(session, principal.actor(), limit=APPROVALS)
            if allowed(require_admin, principal)
            else None
        ),
        imports=running_imports(session, user),
        show_actors=allowed(require_overseer, principal),
    )
