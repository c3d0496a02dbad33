"""A re-issue run's chunks as jobs: each in its own transaction, on a worker or here.

The job function (``run_reissue_chunk``) is the same on a procrastinate worker (PostgreSQL)
and in-process (SQLite, ``run_reissue``): docs/decisions/0066-bulk-reissue-and-notices-as-jobs.md.
"""

from __future__ import annotations

import logging

from issuer.credentials.reissue_runs import ReissuePlan, fail_run, reissue_chunk
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.job_locks import REISSUE, job_lock

log = logging.getLogger(__name__)

QUEUE = "reissue"


def run_reissue_chunk(services: Services, run_id: str, chunk: int) -> bool:
    """Re-issue one chunk and commit it with its done mark; ``False`` when there was nothing
    to do. A chunk that raises makes the run ``failed`` (and raises)."""
    try:
        with session_scope(services.sessions) as session:
            return reissue_chunk(
                session, run_id, chunk, issuer=services.issuer, now=services.clock()
            )
    except Exception:
        log.exception("re-issue chunk failed", extra={"run_id": run_id, "chunk": chunk})
        with session_scope(services.sessions) as session:
            fail_run(session, run_id, now=services.clock())
        raise


def run_reissue(services: Services, plan: ReissuePlan) -> bool:
    """Every chunk of a planned run, one after the other, in this process (SQLite, and
    ``tessera keys reissue``), holding the run's lock; a cancellation stops the chunks after
    it. ``False`` when another process holds the lock and runs it, or when this process
    lost the lock midway and left the chunks not done to the next taker (decision 0067)."""
    with job_lock(services.engine, REISSUE, plan.run_id) as lock:
        if not lock:
            log.info("re-issue run left to the process running it", extra={"run_id": plan.run_id})
            return False
        for chunk in range(plan.chunks):
            if not lock.still_held():
                return False  # left to the lock's next holder
            run_reissue_chunk(services, plan.run_id, chunk)
    log.info("re-issue run finished here", extra={"run_id": plan.run_id, "kid": plan.kid})
    return True
