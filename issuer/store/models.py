"""SQLAlchemy 2 typed models. Migrations in ``migrations/`` must agree (``alembic check``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from issuer.vocabulary import (
    ApprovalState,
    CredentialState,
    ExportKind,
    ExportState,
    ImportState,
    KeyState,
    NoticeKind,
    NoticeState,
    PrincipalKind,
    ReissueState,
    Role,
    SessionStage,
    one_of,
)

# Alembic naming convention (alembic docs, naming.rst): stable constraint names on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(dt.UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """The usual processor, remembering its last answer: a bulk insert binds the same
        timestamp (the issuance time) thousands of times, and SQLite's formatting is slow."""
        process = super().bind_processor(dialect)
        if process is None:
            return None
        last: tuple[Any, Any] = (object(), None)

        def remembered(value: Any) -> Any:
            nonlocal last
            seen = last  # one tuple, read and replaced whole: safe across threads
            if value is seen[0]:
                return seen[1]
            result = process(value)
            last = (value, result)
            return result

        return remembered

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# Indexes the migrations create on PostgreSQL only, outside the models: the GIN index of
# holder-name pieces behind the register's partial-name search (migration 0018). ``alembic
# check`` leaves them out of its comparison (migrations/env.py).
DATABASE_ONLY_INDEXES = frozenset({"ix_credentials_name_grams"})


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # SQLAlchemy reads this class attribute; it is never mutated.
    type_annotation_map = {  # noqa: RUF012
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        dict[str, Any] | None: JSON,
        list[str]: JSON,
    }


class Unit(Base):
    """A branch, plant or subsidiary whose employees are certified."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Occupation(Base):
    """An occupation of the national classification, with its standard's criteria."""

    __tablename__ = "occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    criteria_zh: Mapped[str] = mapped_column(Text)
    criteria_en: Mapped[str] = mapped_column(Text)
    # The level codes this occupation is assessed at; ``None``: every level (decision 0036).
    levels: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class Level(Base):
    """A skill level: junior, intermediate or senior."""

    __tablename__ = "levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50))
    rank: Mapped[int] = mapped_column(Integer, unique=True)


class Holder(Base):
    """An employee who holds credentials. National ID and birth date never leave the database."""

    __tablename__ = "holders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employee_number: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    national_id: Mapped[str | None] = mapped_column(String(64))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime]


class HolderPhoto(Base):
    """A holder's photo for the printed certificate: a re-encoded JPEG sealed with AES-GCM
    (issuer/keys/sealed.py). Personal data: never in a credential, never logged."""

    __tablename__ = "holder_photos"

    holder_id: Mapped[str] = mapped_column(ForeignKey("holders.id"), primary_key=True)
    sealed_jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime]


class SigningKey(Base):
    """Metadata of a signing key; the encrypted private key lives in the keys directory."""

    __tablename__ = "signing_keys"
    __table_args__ = (CheckConstraint(one_of("state", KeyState), name="state"),)

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]
    compromised_at: Mapped[dt.datetime | None]


class StatusList(Base):
    """One published Bitstring Status List (BSL v1.0 §2.2)."""

    __tablename__ = "status_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    # Incremented in the same transaction as any bit change: publishers compare it to know
    # whether their signed copy is current (issuer/credentials/list_revisions.py).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime]


class StatusAllocation(Base):
    """A credential's index in a status list; ``set_at`` not null means the bit is 1.

    The credential is either a register credential (``credential_id``) or one issued through
    the VC-API (``api_credential_id``): exactly one of the two is set (decision 0055).
    """

    __tablename__ = "status_allocations"
    __table_args__ = (
        UniqueConstraint("list_id", "index"),
        CheckConstraint(
            "(credential_id IS NULL) <> (api_credential_id IS NULL)", name="one_credential"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    index: Mapped[int] = mapped_column(Integer)
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), unique=True)
    api_credential_id: Mapped[str | None] = mapped_column(
        ForeignKey("api_credentials.id"), unique=True
    )
    set_at: Mapped[dt.datetime | None]
    # The same index in the list's suspension twin (docs/decisions): not null = suspended.
    suspended_at: Mapped[dt.datetime | None]


class Credential(Base):
    """An issued credential and its lifecycle state."""

    __tablename__ = "credentials"
    __table_args__ = (
        CheckConstraint(one_of("state", CredentialState), name="state"),
        # Every order of the register's search ends with the id: one index per order (and
        # per filter the list is most often cut by) reads a page and stops, whatever the
        # register's size (docs/decisions/0062-reads-at-a-million.md).
        Index("ix_credentials_issued_at_id", "issued_at", "id"),
        Index("ix_credentials_exam_date_id", "exam_date", "id"),
        Index("ix_credentials_holder_name_key_id", "holder_name_key", "id"),
        Index("ix_credentials_unit_id_issued_at_id", "unit_id", "issued_at", "id"),
        Index("ix_credentials_state_issued_at_id", "state", "issued_at", "id"),
        Index("ix_credentials_unit_id_state_issued_at_id", "unit_id", "state", "issued_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    holder_id: Mapped[str] = mapped_column(ForeignKey("holders.id"), index=True)
    # The name this credential was signed with: documents show it, whatever the holder's
    # record says now (a correction reaches a credential only when it is itself reissued).
    holder_name: Mapped[str] = mapped_column(String(200))
    # ``holder_name`` as searched (issuer/credentials/lookup.py ``holder_name_key``: NFKC,
    # case-folded, no spaces): the register's search matches part of a name (decision 0034).
    holder_name_key: Mapped[str] = mapped_column(String(200))
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupations.id"))
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    exam_date: Mapped[dt.date] = mapped_column(Date)
    exam_session: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime | None]
    issued_at: Mapped[dt.datetime]
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    jws: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=CredentialState.ACTIVE.value)
    state_changed_at: Mapped[dt.datetime | None]
    state_reason: Mapped[str | None] = mapped_column(String(32))
    replaced_by_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    # "<employee number>|<exam session>" for a first issuance: the database refuses a second
    # credential for the same candidate and session (imports re-run exactly once).
    issuance_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Where notices about this credential go (docs/decisions/0030): personal data, never
    # signed into the credential, never logged, never exported.
    holder_email: Mapped[str | None] = mapped_column(String(254))

    holder: Mapped[Holder] = relationship(lazy="joined", innerjoin=True)
    occupation: Mapped[Occupation] = relationship(lazy="joined", innerjoin=True)
    level: Mapped[Level] = relationship(lazy="joined", innerjoin=True)
    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)


class RegisterCount(Base):
    """A change in how many credentials one (unit, level, state) has: ``n`` more (or,
    negative, fewer). Triggers on ``credentials`` add these rows in the transaction that
    changes the credentials (migration 0019); a count is the sum of its group's rows, and
    ``fold_counts`` merges them (issuer/credentials/register_counts.py)."""

    __tablename__ = "register_counts"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    unit_id: Mapped[int]
    level_id: Mapped[int]
    state: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(BigInteger)


class ApiCredential(Base):
    """A credential issued through the VC-API (``POST /credentials/issue``): any VC 2.0
    credential the caller composed, signed as ``vc+jwt`` by this issuer (decision 0055).

    Not part of the register of certificates (no holder, unit or exam): it has a status
    slot (``status_allocations.api_credential_id``) so that it can be revoked or suspended
    through ``POST /credentials/status``.
    """

    __tablename__ = "api_credentials"
    __table_args__ = (CheckConstraint(one_of("state", CredentialState), name="state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The credential's own ``id`` (a URL), as signed; the caller's or ``urn:uuid:<id>``.
    credential_id: Mapped[str] = mapped_column(String(2000))
    # Its SHA-256 (hex): the look-up key of ``POST /credentials/status``.
    credential_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(index=True)
    issued_by: Mapped[str] = mapped_column(String(200))
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    jws: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=CredentialState.ACTIVE.value)
    state_changed_at: Mapped[dt.datetime | None]


class PrincipalRecord(Base):
    """A person or service account that holds API tokens; rights are the principal's.

    Maker-checker compares principals, not tokens (docs/decisions/0020-principals.md). A
    person signing in to a web console later adds nullable columns here (an email, a
    password hash); tokens and approvals already point at the principal.
    """

    __tablename__ = "principals"
    __table_args__ = (
        CheckConstraint(one_of("kind", PrincipalKind), name="kind"),
        CheckConstraint(one_of("role", Role), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    units: Mapped[list[str]]
    created_at: Mapped[dt.datetime]
    # The admin who created it through the API: its revocations count against that admin's
    # limit too (issuer/access/limits.py). Null when the operator's CLI, the migration or an
    # approved request created it.
    created_by_principal_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    disabled_at: Mapped[dt.datetime | None]
    # People who sign in to the console (docs/decisions/0038-console-sign-in.md). A service
    # principal has none of these; a person may have no password when single sign-on is used.
    email: Mapped[str | None] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # The TOTP secret, encrypted at rest; the last time step accepted, so no code is used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None]
    # ``<issuer> <subject>`` of the OpenID Connect identity linked to this person.
    oidc_subject: Mapped[str | None] = mapped_column(String(600), unique=True, index=True)


class ApiToken(Base):
    """An API token of a principal; only its SHA-256 hash is stored.

    Its role and units are at most its principal's (issuer/access/principals.py).
    """

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(one_of("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    units: Mapped[list[str]]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    # Who created it through the API for another principal: that principal could act as this
    # token's, so it never decides their requests (issuer/access/approvals.py). Null when the
    # owner itself, the operator's CLI, the migration or an approved request created it.
    created_by_principal_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))


class AuditEvent(Base):
    """An append-only record of a state-changing action; ``hash`` chains to the previous one."""

    __tablename__ = "audit_events"
    # A principal's recent revocations and suspensions (issuer/access/limits.py).
    __table_args__ = (Index("ix_audit_events_actor_occurred_at", "actor", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(200), index=True)
    reason: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the chain never forks
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The newest audit event's hash: one row, updated (and so locked) by every append."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed statement of the audit chain's head: event ``event_id`` has hash ``head_hash``.

    ``token`` is the compact JWS (``typ`` ``audit-checkpoint+jwt``) signed with the issuer's
    key; exported and kept elsewhere, it shows a later truncation or rewrite of the chain.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    kid: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(Text)


class Approval(Base):
    """A maker-checker request: recorded, carried out only when a second admin approves."""

    __tablename__ = "approvals"
    __table_args__ = (CheckConstraint(one_of("state", ApprovalState), name="state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    action: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(200))
    # The principals behind ``requested_by`` and ``decided_by``; null for the CLI operator.
    requested_by_principal_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    requested_at: Mapped[dt.datetime]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_by_principal_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    decided_at: Mapped[dt.datetime | None]
    result: Mapped[dict[str, Any] | None]


class ReissueRun(Base):
    """A bulk re-issue of the credentials a compromised key signed, run chunk by chunk.

    Planned when ``key.reissue_compromised`` is approved; its chunks are jobs
    (docs/decisions/0066-bulk-reissue-and-notices-as-jobs.md).
    """

    __tablename__ = "reissue_runs"
    __table_args__ = (CheckConstraint(one_of("state", ReissueState), name="state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    approval_id: Mapped[str | None] = mapped_column(ForeignKey("approvals.id"))
    requested_by: Mapped[str | None] = mapped_column(String(200))
    approved_by: Mapped[str] = mapped_column(String(200))
    # Who approved (``Actor`` fields): the re-issues' audit events name them. Kept here, not
    # in the jobs' arguments, which the task engine logs.
    actor: Mapped[dict[str, Any]] = mapped_column(JSON)
    credentials: Mapped[int] = mapped_column(Integer)  # planned: active or suspended then
    chunks: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(200))


class ReissueChunk(Base):
    """One chunk of a re-issue run: a keyset range over ``(issued_at, id)`` of the key's
    credentials, both ends included, and what its job did. ``done_at`` is set in the
    transaction that re-issues the chunk's credentials."""

    __tablename__ = "reissue_chunks"

    run_id: Mapped[str] = mapped_column(ForeignKey("reissue_runs.id"), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_issued_at: Mapped[dt.datetime]
    first_id: Mapped[str] = mapped_column(String(36))
    last_issued_at: Mapped[dt.datetime]
    last_id: Mapped[str] = mapped_column(String(36))
    planned: Mapped[int] = mapped_column(Integer)
    reissued: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # revoked or replaced meanwhile
    done_at: Mapped[dt.datetime | None]


class ImportJob(Base):
    """One import of an exam campaign's results file (CSV or XLSX)."""

    __tablename__ = "imports"
    __table_args__ = (CheckConstraint(one_of("state", ImportState), name="state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(8))
    dry_run: Mapped[bool]
    state: Mapped[str] = mapped_column(String(16))
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    already_issued: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    # The importer's units (a registrar's token); None: every unit (admins, the CLI).
    units: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    bundle_path: Mapped[str | None] = mapped_column(String(500))
    # None until a bundle is asked for, then a ``BundleState``.
    bundle_state: Mapped[str | None] = mapped_column(String(16))
    # The bundle build in force (its chunks in ``bundle_chunks``) and how many chunks it has.
    bundle_run: Mapped[str | None] = mapped_column(String(36))
    bundle_chunks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)


class BundleChunk(Base):
    """One chunk of a bundle build: the credentials one job renders, and when it finished.

    ``done_at`` is set in the transaction that commits the chunk's share links, after its
    files were renamed into place (docs/decisions/0060-bundle-rendering-on-a-task-engine.md).
    """

    __tablename__ = "bundle_chunks"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id"), index=True)
    credential_ids: Mapped[list[str]] = mapped_column(JSON)
    # Who asked for the bundle (``Actor`` fields): its share links' audit events name them.
    # Kept here, not in the job's arguments, which the task engine logs.
    actor: Mapped[dict[str, Any]] = mapped_column(JSON)
    done_at: Mapped[dt.datetime | None]


class ExportJob(Base):
    """A register CSV or the audit log written to a file by a job, for whoever asked.

    ``units`` and ``criteria`` are the asker's unit scope and search at the time of asking
    (docs/decisions/0065-exports-as-jobs.md); ``rows`` counts the lines written so far.
    """

    __tablename__ = "exports"
    __table_args__ = (
        CheckConstraint(one_of("kind", ExportKind), name="kind"),
        CheckConstraint(one_of("state", ExportState), name="state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    principal_id: Mapped[int] = mapped_column(Integer, index=True)
    # The asker's units (a registrar); None: every unit (admins, auditors).
    units: Mapped[list[str] | None] = mapped_column(JSON)
    # The search's filters and order (register); None for the audit log.
    criteria: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rows: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]


class ImportRow(Base):
    """The outcome of one row of an import: ok, issued, already issued, or the error."""

    __tablename__ = "import_rows"
    __table_args__ = (UniqueConstraint("import_id", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    column: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    credential_id: Mapped[str | None] = mapped_column(String(36))


class ShareLink(Base):
    """An unguessable holder link to one credential; only the token's hash is stored."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    # The holder asked to be told when the link is opened (at most one notice an hour).
    notify_on_open: Mapped[bool] = mapped_column(default=False, server_default=false())
    open_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notified_at: Mapped[dt.datetime | None]
    # Set by the holder: past it the link opens nothing (null: until revoked).
    expires_at: Mapped[dt.datetime | None]
    # Made by the holder from their own link ``parent_id`` to hand to someone: a view only.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("share_links.id"), index=True)


class Notice(Base):
    """A notice to a credential's holder, waiting in the outbox until an SMTP server took it.

    Written in the transaction of the change it tells of; the recipient is read from the
    credential when it is sent, so the address is stored once (docs/decisions/0030).
    """

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(one_of("kind", NoticeKind), name="kind"),
        CheckConstraint(one_of("state", NoticeState), name="state"),
        Index("ix_notices_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    share_link_id: Mapped[int | None] = mapped_column(ForeignKey("share_links.id"))
    reason: Mapped[str | None] = mapped_column(String(32))  # the change's reason code
    # "expiring:<credential id>": the expiry scan enqueues once per credential.
    once_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    last_error: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[dt.datetime | None]


class StoredIdentity(Base):
    """The issuer's identity: its public base URL, signed into every credential (``issuer.id``,
    ``iss``, status-list and QR URLs). One row (``id`` 1), written by ``tessera init`` or
    ``tessera db upgrade`` and changed only by ``tessera identity set-base-url``."""

    __tablename__ = "issuer_identity"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    base_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class IssuerProfileRecord(Base):
    """The issuer's profile as its pages and certificates show it: names in both languages,
    contact, time zone, and a logo and seal (PNG, re-encoded on the way in). One row (``id``
    1), set by ``tessera profile set`` or the admin API; until then the settings stand in."""

    __tablename__ = "issuer_profile"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name_zh: Mapped[str | None] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(500))
    time_zone: Mapped[str] = mapped_column(String(64))
    # The certificate's accent colour, "#rrggbb" (null: the house colour).
    colour: Mapped[str | None] = mapped_column(String(7))
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    seal_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime]


class IdempotencyRecord(Base):
    """One ``Idempotency-Key`` a principal sent to a creating endpoint, and its answer.

    ``key_hash`` is SHA-256 of the principal, the endpoint and the key (never the key
    itself); ``request_hash`` of the request's canonical body. While ``status_code`` is null
    the first request is still being carried out (docs/decisions/0035).
    """

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal_id: Mapped[int] = mapped_column(Integer, index=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    media_type: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)


class FormToken(Base):
    """A one-time token issued with a console form and consumed by its submission; only its
    SHA-256 hash is stored. A second submission of the same form finds it used."""

    __tablename__ = "form_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal_id: Mapped[int] = mapped_column(Integer, index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None]


class ConsoleSession(Base):
    """A signed-in console session; only the SHA-256 of its cookie value is stored.

    ``stage`` is ``second_factor`` between a correct password and the TOTP code, then
    ``signed_in``. A session ends at ``expires_at`` (absolute) or after the idle time-out
    counted from ``last_seen_at``; deleting the row signs it out.
    """

    __tablename__ = "console_sessions"
    __table_args__ = (CheckConstraint(one_of("stage", SessionStage), name="stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))  # password | sso
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class PresentationRequest(Base):
    """An employer's OpenID4VP request for a holder's certificate, and the verdict of its one
    answer. Only SHA-256 of the employer's result token is stored; ``disclosed`` holds only
    the asked-for claims (docs/decisions/0058-presentation-requests.md)."""

    __tablename__ = "presentation_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # In the wallet's request_uri and response_uri: names the request, opens nothing.
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    result_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    # x509_hash:<...> of the certificate of the key active when the request was made: the
    # audience the wallet's key-binding JWT must name.
    client_id: Mapped[str] = mapped_column(String(100))
    claims: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    # Set once, by the conditional UPDATE that takes the one answer.
    answered_at: Mapped[dt.datetime | None]
    verdict: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    disclosed: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class WalletOffer(Base):
    """An OpenID4VCI credential offer (pre-authorised code flow) of one credential to a
    holder's wallet (docs/decisions/0057-wallet-offers.md).

    Nothing secret is stored in the clear: the by-reference token, the pre-authorised code
    and the access token as SHA-256, the transaction code as HMAC-SHA-256 under a key derived
    from the key passphrase. ``redeemed_at`` set: the code was used (once); ``tx_code_tries``
    at 0: wrong transaction codes used the offer up.
    """

    __tablename__ = "wallet_offers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    configuration_ids: Mapped[list[str]]
    reference_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str] = mapped_column(String(64))
    tx_code_tries: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    redeemed_at: Mapped[dt.datetime | None]
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    access_token_expires_at: Mapped[dt.datetime | None]


class WalletOfferCredential(Base):
    """The credentials an offer holds, all of one holder, in the order offered; the
    offer's own ``credential_id`` is the first."""

    __tablename__ = "wallet_offer_credentials"

    offer_id: Mapped[str] = mapped_column(ForeignKey("wallet_offers.id"), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class WalletNonce(Base):
    """A ``c_nonce`` of the nonce endpoint (SHA-256 only): single-use, short-lived."""

    __tablename__ = "wallet_nonces"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None]


class WalletIssuance(Base):
    """One copy of a credential handed to a wallet: which offer, which format, bound to
    which holder key (its RFC 7638 thumbprint). Every copy carries the credential's own
    status entry, so revoking the credential revokes every copy."""

    __tablename__ = "wallet_issuances"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("wallet_offers.id"), index=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    format: Mapped[str] = mapped_column(String(32))
    holder_key_thumbprint: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime]


def core_table(model: type[Base]) -> Table:
    """The Core ``Table`` of a model, for executemany inserts that skip the unit of work."""
    return Base.metadata.tables[model.__tablename__]
