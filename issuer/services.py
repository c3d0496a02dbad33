"""What the app and the CLI share: settings, database, signer, clock. Built once, passed down."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from issuer.config import Settings
from issuer.credentials.issuance import IssuerIdentity
from issuer.credentials.list_revisions import ListRevisions
from issuer.credentials.status_list import PublishedList, StatusListPublisher
from issuer.errors import ConfigurationError, NotFoundError
from issuer.keys.keystore import active_key, load_signer
from issuer.keys.signer import Signer
from issuer.store import migration
from issuer.store.engine import (
    check_database,
    create_db_engine,
    create_session_factory,
    session_scope,
)

SIGNER_MAX_AGE_HOT_PATH = 5.0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Services:
    """Long-lived objects for one process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    publisher: StatusListPublisher
    revisions: ListRevisions
    clock: Callable[[], dt.datetime] = utc_now
    _signer: Signer | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _signer_checked: float = field(default=0.0, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        require_schema: bool = True,
    ) -> Services:
        """Connect and check; ``require_schema`` refuses a database not migrated to head."""
        engine = create_db_engine(settings.database_url)
        check_database(engine)
        if require_schema and not migration.is_at_head(engine):
            raise ConfigurationError("the database is not migrated: run `tessera db upgrade`")
        publisher = StatusListPublisher(
            settings.base_url, settings.status_list_ttl_seconds, resign_after=dt.timedelta(hours=1)
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_session_factory(engine),
            read_sessions=create_session_factory(engine, read_only=True),
            publisher=publisher,
            revisions=ListRevisions(engine),
            clock=clock,
        )

    def signer(self, session: Session, *, max_age: float = 0.0) -> Signer:
        """The active key's signer, checked against the database unless it was checked less
        than ``max_age`` seconds ago: issuance always checks (a rotation by another process
        applies to the next credential); hot paths such as status lists pass a few seconds.
        """
        with self._lock:
            if (fresh := self._fresh_signer(max_age)) is not None:
                return fresh
            record = active_key(session)
            if self._signer is None or record is None or record.kid != self._signer.kid:
                self._signer = load_signer(
                    session, self.settings.keys_dir, self.settings.read_passphrase()
                )
            self._signer_checked = time.monotonic()
            return self._signer

    def hot_signer(self) -> Signer:
        """``signer`` for hot paths: checked against the database at most every
        ``SIGNER_MAX_AGE_HOT_PATH`` seconds, and without a session in between."""
        with self._lock:
            if (fresh := self._fresh_signer(SIGNER_MAX_AGE_HOT_PATH)) is not None:
                return fresh
        with self.read_sessions() as session:
            return self.signer(session, max_age=SIGNER_MAX_AGE_HOT_PATH)

    def _fresh_signer(self, max_age: float) -> Signer | None:
        """The loaded signer if it was checked less than ``max_age`` seconds ago (lock held)."""
        if time.monotonic() - self._signer_checked < max_age:
            return self._signer
        return None

    def published_list(self, list_id: int, *, purpose: str) -> PublishedList:
        """The signed status list ``list_id`` (``purpose``: the list or its suspension twin),
        current at once: while its revision and the active key are unchanged, the signed copy
        is served without a session (``issuer/credentials/list_revisions.py``)."""
        revision = self.revisions.current(list_id)
        if revision is None:
            raise NotFoundError("no such status list")
        signer = self.hot_signer()
        now = self.clock()
        published = self.publisher.cached(list_id, purpose, revision, signer.kid, now=now)
        if published is not None:
            return published
        with self.read_sessions() as session:
            return self.publisher.publish(session, list_id, signer, now=now, purpose=purpose)

    def issuer(self, session: Session) -> IssuerIdentity:
        return IssuerIdentity(
            base_url=self.settings.base_url,
            name=self.settings.issuer_name,
            signer=self.signer(session),
        )

    @contextmanager
    def key_transaction(self) -> Iterator[Session]:
        """A committing transaction that may create key files: if it fails, the files it
        created are removed, so no key exists on disk that the database does not know."""
        keys_dir = self.settings.keys_dir
        before = set(keys_dir.glob("*.pem"))
        try:
            with session_scope(self.sessions) as session:
                yield session
        except BaseException:
            for path in set(keys_dir.glob("*.pem")) - before:
                path.unlink(missing_ok=True)
            raise
