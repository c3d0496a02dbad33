"""Periodic signed checkpoints of the audit chain, made by the running server (decision 0023).

Every ``TESSERA_AUDIT_CHECKPOINT_INTERVAL_SECONDS`` a thread of each server process signs the
chain's head if it moved since the newest checkpoint, checking the events since then first.
Replicas and workers all try; the register's write lock lets one sign each new head. Export
the checkpoints (``tessera audit checkpoints export``) to keep them where the database's
writers cannot reach.
"""

from __future__ import annotations

import logging

from issuer.keys.audit_checkpoints import checkpoint_if_moved
from issuer.store.engine import session_scope
from issuer.web.periodic import PeriodicTask

log = logging.getLogger(__name__)


class PeriodicCheckpoints(PeriodicTask):
    """Signs the audit chain's head every ``interval`` seconds when it moved."""

    name = "audit-checkpoints"
    failure = "audit checkpoint not made"

    def run_once(self) -> bool:
        return self.make_checkpoint()

    def make_checkpoint(self) -> bool:
        """Sign the head if it moved; True when a checkpoint was stored."""
        services = self._services
        with session_scope(services.sessions) as session:
            record = checkpoint_if_moved(
                session, services.signer(session), issuer=services.base_url, now=services.clock()
            )
            made = record is not None
        if made:
            log.info("audit checkpoint signed")
        return made
