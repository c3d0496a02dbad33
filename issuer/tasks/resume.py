"""Work a stopped server left under way, taken up by the next one (decision 0067).

Where jobs run in the process that asked for them (``InProcessQueue``: SQLite, or
PostgreSQL with ``TESSERA_TASK_RUNNER=in_process``), a server stopped midway (killed,
crashed, restarted) leaves its export ``queued`` or ``running``, its bundle ``building`` or
its re-issue run ``queued`` or ``running``. With workers on PostgreSQL, worker
housekeeping queues such work again (``issuer/tasks/housekeeping.py``). Here:

- Each in-process job holds its work's lock while it runs (``issuer.store.job_locks``: a
  lock file on SQLite, an advisory lock on PostgreSQL). A job whose lock is taken is
  running elsewhere, so it is not started twice.
- When a server starts, it reads what is under way (``under_way``), before it serves a
  request. A thread then takes each item whose lock is free and does what is left, as its
  job would have: an export from the start, a bundle's chunks not done and then its
  assembly, a re-issue run's chunks not done. The done marks keep every output exactly
  once (decisions 0060, 0065, 0066).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from issuer.campaigns.bundle_chunks import BundlePlan
from issuer.credentials.reissue_runs import UNFINISHED, ReissuePlan
from issuer.services import Services
from issuer.store.job_locks import BUNDLE, EXPORT, REISSUE, lock_name
from issuer.store.models import ExportJob, ImportJob, ReissueRun
from issuer.tasks.exports import UNDER_WAY
from issuer.vocabulary import BundleState


@dataclass
class UnderWay:
    """Work the database says is under way, by kind."""

    exports: list[str] = field(default_factory=list)
    bundles: list[BundlePlan] = field(default_factory=list)
    reissues: list[ReissuePlan] = field(default_factory=list)

    def lock_names(self) -> set[str]:
        return (
            {lock_name(EXPORT, i) for i in self.exports}
            | {lock_name(BUNDLE, p.run_id) for p in self.bundles}
            | {lock_name(REISSUE, p.run_id) for p in self.reissues}
        )


def under_way(services: Services) -> UnderWay:
    """Exports queued or running, bundles building, re-issue runs queued or running."""
    with services.read_sessions() as session:
        exports = session.scalars(
            select(ExportJob.id).where(ExportJob.state.in_(UNDER_WAY)).order_by(ExportJob.id)
        )
        bundles = session.execute(
            select(ImportJob.id, ImportJob.bundle_run, ImportJob.bundle_chunks)
            .where(
                ImportJob.bundle_state == BundleState.BUILDING, ImportJob.bundle_run.is_not(None)
            )
            .order_by(ImportJob.id)
        )
        runs = session.scalars(
            select(ReissueRun).where(ReissueRun.state.in_(UNFINISHED)).order_by(ReissueRun.id)
        )
        return UnderWay(
            exports=list(exports),
            bundles=[BundlePlan(i, run, chunks) for i, run, chunks in bundles if run],
            reissues=[ReissuePlan(r.id, r.kid, r.credentials, r.chunks) for r in runs],
        )
