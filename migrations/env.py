"""Alembic environment: batch mode for SQLite, type comparison for ``alembic check``
(procrastinate's own tables left out)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from issuer.store.models import DATABASE_ONLY_INDEXES, Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    return create_engine(config.get_main_option("sqlalchemy.url") or "")


def _include_object(
    _obj: object, name: str | None, type_: str, reflected: bool, _compare_to: object
) -> bool:
    """Leave the PostgreSQL-only indexes (``DATABASE_ONLY_INDEXES``) out of ``alembic check``."""
    return not (type_ == "index" and reflected and name in DATABASE_ONLY_INDEXES)


def _ours(name: str | None, type_: str, _parents: object) -> bool:
    """The task engine's tables belong to procrastinate (migration 0017): ``alembic check``
    compares only Tessera's own."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things (alembic batch.rst)
            compare_type=True,
            include_object=_include_object,
            include_name=_ours,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
