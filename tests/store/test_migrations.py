"""The Alembic migrations build exactly the tables the models declare, on both databases."""

import threading
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, make_url, text

from skills_vc.store.migrate import migration_state, upgrade
from skills_vc.store.session import make_engine
from skills_vc.store.tables import Base
from tests.conftest import PG_URL


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_replicas_migrating_together_on_postgresql_do_not_collide() -> None:
    """Two migrations at once on a new database: one waits for the other's advisory lock, then
    finds the database at the head (without the lock, one failed on a duplicate table)."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need SKILLS_VC_TEST_DATABASE_URL (set by .ci/run)")
    admin = make_engine(PG_URL)
    name = f"skills_vc_migrate_{uuid.uuid4().hex[:10]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name)
    engines = [make_engine(url.render_as_string(hide_password=False)) for _ in range(2)]
    try:
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def migrate(engine: Engine) -> None:
            start.wait()
            try:
                upgrade(engine)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=migrate, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert migration_state(engines[0], 5).at_head
    finally:
        for engine in engines:
            engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
