"""Alembic, configured from settings: ``tessera db upgrade`` and the migration tests use this."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from issuer.errors import ConfigurationError


def _migrations_dir() -> Path:
    """Where the Alembic scripts are: inside the installed package, else the checkout's.

    The repository keeps them in the top-level ``migrations/``; the wheel carries that folder
    as ``issuer/migrations`` (docs/decisions/0015-migrations-in-the-wheel.md). An editable
    install and a plain checkout import ``issuer`` from the checkout, beside ``migrations/``.
    """
    package = Path(str(resources.files("issuer")))
    candidates = (package / "migrations", package.parent / "migrations")
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    return candidates[0]


MIGRATIONS_DIR = _migrations_dir()


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs on ``engine`` (no alembic.ini needed)."""
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise ConfigurationError(
            f"the database migrations are missing (looked in {MIGRATIONS_DIR}); reinstall Tessera"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)


def is_at_head(engine: Engine) -> bool:
    """True when the database's revision is the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current == head
