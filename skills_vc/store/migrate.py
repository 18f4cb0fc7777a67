"""Run the Alembic migrations shipped inside the package, and tell whether a database is at their head."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from skills_vc.store.session import READ_ONLY

__all__ = ["MigrationState", "alembic_config", "head_revisions", "migration_state", "upgrade"]

_HERE = Path(__file__).parent
_SCRIPT_LOCATION = str(_HERE / "migrations")
# The PostgreSQL advisory lock taken while migrating (any constant, the same in every release).
_MIGRATION_LOCK = 0x736B696C6C73  # "skills"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision`` (the latest by default)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas that start together migrate one after the other: the others wait here, then
            # find the database at the head (without it, two CREATE TABLEs of one name collide).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@lru_cache(maxsize=1)
def head_revisions() -> tuple[str, ...]:
    """The head revision(s) of the migrations shipped in the package; read from disk once."""
    return tuple(sorted(ScriptDirectory(_SCRIPT_LOCATION).get_heads()))


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Every revision the package ships."""
    return frozenset(script.revision for script in ScriptDirectory(_SCRIPT_LOCATION).walk_revisions())


@dataclass(frozen=True)
class MigrationState:
    """The revision(s) a database records in its version table, and the package's head(s)."""

    current: tuple[str, ...]
    head: tuple[str, ...]

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    @property
    def ahead(self) -> bool:
        """Migrated by a newer release (a revision this package does not know): during a rolling
        upgrade the older replicas go on serving, as every migration only adds."""
        return bool(self.current) and not set(self.current) <= known_revisions()


def migration_state(engine: Engine, timeout_seconds: float) -> MigrationState:
    """Ask the database behind ``engine`` to answer ``SELECT 1`` and read its Alembic revision.

    Reads only, in a transaction of its own that is rolled back (on SQLite a deferred one, so it
    never waits for a writer); a database never migrated has no revision. Raises whatever the
    driver raises when the database does not answer.
    """
    with engine.execution_options(**{READ_ONLY: True}).connect() as connection:
        if connection.dialect.name == "postgresql":
            # Local to this transaction: the pooled connection keeps its usual timeout afterwards.
            connection.execute(
                text("SELECT set_config('statement_timeout', :ms, true)"),
                {"ms": str(max(1, int(timeout_seconds * 1000)))},
            )
        connection.execute(text("SELECT 1"))
        current = MigrationContext.configure(connection).get_current_heads()
    return MigrationState(current=tuple(sorted(current)), head=head_revisions())
