"""What the app and the CLI share: settings, database, issuer identity, signer, clock.
Built once, passed down."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from issuer.config import Settings
from issuer.credentials.issuance import IssuerIdentity
from issuer.credentials.list_revisions import ListRevisions
from issuer.credentials.notices import NOTICES_ON
from issuer.credentials.profile import IssuerProfile, current_profile
from issuer.credentials.status_list import PublishedList, StatusListPublisher
from issuer.credentials.token_status_list import TokenStatusListPublisher
from issuer.errors import ConfigurationError, IssuerError, NotFoundError
from issuer.keys.keystore import active_key, load_signer
from issuer.keys.signer import Signer
from issuer.store import migration
from issuer.store.engine import (
    check_database,
    create_db_engine,
    create_session_factory,
    session_scope,
)
from issuer.store.identity import NO_IDENTITY, identity_in_force, same_base_url, stored_base_url
from verifier.urls import IssuerUrls

SIGNER_MAX_AGE_HOT_PATH = 5.0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Services:
    """Long-lived objects for one process.

    ``stored_base_url`` is the issuer's identity as the database stores it (read at start;
    ``None`` before ``tessera init``); everything this process signs or links uses it, never
    ``TESSERA_BASE_URL`` (docs/decisions/0017-issuer-identity.md).
    """

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    revisions: ListRevisions
    clock: Callable[[], dt.datetime] = utc_now
    stored_base_url: str | None = None
    _publisher: StatusListPublisher | None = field(default=None, repr=False)
    _token_publisher: TokenStatusListPublisher | None = field(default=None, repr=False)
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
        require_identity: bool = True,
    ) -> Services:
        """Connect and check; ``require_schema`` refuses a database not migrated to head and
        reads the issuer's identity; ``require_identity`` then refuses a database that stores
        none, or a ``TESSERA_BASE_URL`` that differs from it (processes that sign)."""
        engine = create_db_engine(settings.database_url)
        try:
            check_database(engine)
            if require_schema and not migration.is_at_head(engine):
                raise ConfigurationError("the database is not migrated: run `tessera db upgrade`")
            sessions = create_session_factory(engine)
            if settings.notices_on:  # changes queue notices only when they can be sent
                sessions.configure(info={NOTICES_ON: True})
            services = cls(
                settings=settings,
                engine=engine,
                sessions=sessions,
                read_sessions=create_session_factory(engine, read_only=True),
                revisions=ListRevisions(engine),
                clock=clock,
            )
            if require_schema:
                services.load_identity()
                if require_identity:
                    services.check_identity()
        except BaseException:
            engine.dispose()
            raise
        return services

    def load_identity(self) -> str | None:
        """Read the issuer's identity from the database (after a migration, or a change)."""
        with self.read_sessions() as session:
            self.stored_base_url = stored_base_url(session)
        self._publisher = None
        self._token_publisher = None
        return self.stored_base_url

    def check_identity(self) -> str:
        """The identity in force; ``ConfigurationError`` when none is stored or when
        ``TESSERA_BASE_URL`` is set and differs from it: such a process must not sign."""
        return identity_in_force(self.settings.base_url, self.stored_base_url)

    @property
    def base_url(self) -> str:
        """The issuer's public base URL (its id), as stored in the database."""
        if self.stored_base_url is None:
            raise ConfigurationError(NO_IDENTITY)
        return self.stored_base_url

    @property
    def urls(self) -> IssuerUrls:
        """This issuer's public URLs, built from the stored identity."""
        return IssuerUrls(self.base_url)

    @property
    def publisher(self) -> StatusListPublisher:
        """The status-list publisher of this issuer (made on first use)."""
        if self._publisher is None:
            self._publisher = StatusListPublisher(
                self.base_url,
                self.settings.status_list_ttl_seconds,
                resign_after=dt.timedelta(hours=1),
            )
        return self._publisher

    @property
    def token_publisher(self) -> TokenStatusListPublisher:
        """The Token Status List publisher of this issuer (made on first use)."""
        if self._token_publisher is None:
            self._token_publisher = TokenStatusListPublisher(
                self.base_url,
                self.settings.status_list_ttl_seconds,
                resign_after=dt.timedelta(hours=1),
            )
        return self._token_publisher

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

    def published_token_status_list(self, list_id: int) -> PublishedList:
        """The signed Token Status List of list ``list_id``, current at once (the same
        revision check as ``published_list``)."""
        revision = self.revisions.current(list_id)
        if revision is None:
            raise NotFoundError("no such status list")
        signer = self.hot_signer()
        now = self.clock()
        published = self.token_publisher.cached(list_id, revision, signer.kid, now=now)
        if published is not None:
            return published
        with self.read_sessions() as session:
            return self.token_publisher.publish(session, list_id, signer, now=now)

    def issuer(self, session: Session) -> IssuerIdentity:
        """Who signs a new credential. The stored identity is read again first: if it was
        changed since this process started, this process refuses until it is restarted."""
        base_url = self.base_url
        current = stored_base_url(session)
        if current is None:
            raise ConfigurationError(NO_IDENTITY)
        if not same_base_url(current, base_url):
            raise ConfigurationError(
                f"this issuer's identity changed from {base_url} to {current} since this "
                "process started: restart it"
            )
        return IssuerIdentity(
            base_url=base_url,
            name=self.profile(session).name,
            signer=self.signer(session),
        )

    def profile(self, session: Session) -> IssuerProfile:
        """The issuer's profile in force: the stored one, ``TESSERA_ISSUER_NAME`` standing in
        for names not set (issuer/credentials/profile.py)."""
        return current_profile(session, self.settings.issuer_name)

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


def peek_stored_base_url(settings: Settings) -> str | None:
    """The stored identity if the configured database exists and is at the newest schema,
    else ``None``; creates nothing (a SQLite file that is not there is not made)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return None
    try:
        services = Services.from_settings(settings, require_identity=False)
    except (IssuerError, SQLAlchemyError):
        return None
    try:
        return services.stored_base_url
    finally:
        services.engine.dispose()
