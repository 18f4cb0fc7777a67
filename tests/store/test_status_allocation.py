"""Status index allocation: a counter per status list decides when a list is full, and free
indexes are looked up one by one in the unique index, whatever the table's statistics.

On PostgreSQL the counter is raised in a short transaction of its own, so a long bulk import never
makes another issuance wait for its commit.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, func, make_url, select, text
from sqlalchemy.orm import Session

from skills_vc.config import Settings
from skills_vc.core.formats import get_format
from skills_vc.core.schema import SchemaViolation
from skills_vc.errors import ValidationFailed
from skills_vc.services import associations, issuance
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.store import credentials as repo
from skills_vc.store.migrate import alembic_config, upgrade
from skills_vc.store.session import make_engine, make_session_factory
from skills_vc.store.tables import AuditEvent, Credential, StatusListCounter
from tests.conftest import MASTER_KEY, PG_URL, make_settings
from tests.store.support import association_with_activity
from tests.store.test_status_bits_indexes import _captured, _insert_credentials, _plan

MASTER = base64.urlsafe_b64decode(MASTER_KEY + "=")
# A list of 64 bits takes 32 credentials: small enough to fill several in a test.
SMALL_LIST = 64


def _setup(engine: Engine, settings: Settings) -> tuple[str, str]:
    """An accredited association with one recorded activity: (slug, activity id)."""
    with transaction(make_session_factory(engine)) as session:
        ctx = ServiceContext(session=session, settings=settings, master_key=MASTER)
        activity_id = association_with_activity(ctx, "lists", "Lists ASBL")
    return "lists", activity_id


def _small_lists(tmp_path: Path) -> Settings:
    # The setting refuses lists below the W3C minimum; a copy is not validated again.
    return make_settings(tmp_path).model_copy(update={"status_list_size": SMALL_LIST})


def _issue(engine: Engine, settings: Settings, slug: str, activity_id: str, count: int) -> list[Any]:
    with transaction(make_session_factory(engine)) as session:
        ctx = ServiceContext(session=session, settings=settings, master_key=MASTER)
        return issuance.issue_activities(ctx, associations.get(ctx, slug), [activity_id] * count)


def _counters(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(StatusListCounter.seq, StatusListCounter.allocated)).all())


def _per_list(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                select(Credential.status_list_seq, func.count()).group_by(Credential.status_list_seq)
            ).all()
        )


def _check_signed_positions(engine: Engine) -> None:
    """Every credential's signed status entries name the list and the index stored for it."""
    with Session(engine) as session:
        for row in session.scalars(select(Credential)):
            for entry in get_format(row.format).read(row.secured)["credentialStatus"]:
                assert entry["statusListIndex"] == str(row.status_index)
                assert entry["statusListCredential"].endswith(f"/{row.status_list_seq}")


def test_a_list_takes_credentials_until_it_is_full_then_the_next_one_takes_the_rest(
    db: Engine, tmp_path: Path
) -> None:
    settings = _small_lists(tmp_path)
    slug, activity_id = _setup(db, settings)
    capacity = repo.list_capacity(SMALL_LIST)
    for count in (20, 10):
        _issue(db, settings, slug, activity_id, count)
    assert _counters(db) == _per_list(db) == {0: 30}
    # Two left in list 0: the batch's first two go there, the other three open list 1.
    batch = _issue(db, settings, slug, activity_id, 5)
    assert [c.status_list_seq for c in batch] == [0, 0, 1, 1, 1]
    assert _counters(db) == _per_list(db) == {0: capacity, 1: 3}
    # A batch larger than a whole list spans as many lists as it needs.
    _issue(db, settings, slug, activity_id, 2 * capacity)
    assert _counters(db) == _per_list(db) == {0: capacity, 1: capacity, 2: capacity, 3: 3}
    with db.connect() as conn:
        positions = conn.execute(select(Credential.status_list_seq, Credential.status_index)).all()
    assert len(set(positions)) == len(positions)
    assert all(0 <= index < SMALL_LIST for _, index in positions)
    _check_signed_positions(db)


def test_lists_roll_over_exactly_when_full_under_concurrent_issuance(db: Engine, tmp_path: Path) -> None:
    """8 threads issue one by one into lists of 32: every list but the newest ends exactly full."""
    settings = _small_lists(tmp_path)
    slug, activity_id = _setup(db, settings)
    threads, each = 8, 12

    def worker(_: int) -> None:
        for _ in range(each):
            _issue(db, settings, slug, activity_id, 1)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    capacity = repo.list_capacity(SMALL_LIST)
    full, rest = divmod(threads * each, capacity)
    expected = {seq: capacity for seq in range(full)} | ({full: rest} if rest else {})
    assert _counters(db) == _per_list(db) == expected
    _check_signed_positions(db)


def test_a_failed_issuance_leaves_no_credential(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch fails after its indexes were reserved: nothing is written. On SQLite the counter
    goes back with the rest; on PostgreSQL it keeps the failed batch (it was committed apart), so
    the list only closes that much earlier, and the next issuance is unaffected."""
    settings = make_settings(tmp_path)
    slug, activity_id = _setup(db, settings)
    _issue(db, settings, slug, activity_id, 3)
    validate = issuance.validate_credential
    calls = 0

    def fails_on_the_fifth(document: dict[str, Any]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise SchemaViolation("schema_invalid", "made to fail")
        return validate(document)

    monkeypatch.setattr(issuance, "validate_credential", fails_on_the_fifth)
    with pytest.raises(ValidationFailed):
        _issue(db, settings, slug, activity_id, 10)
    monkeypatch.setattr(issuance, "validate_credential", validate)
    assert _per_list(db) == {0: 3}
    with db.connect() as conn:
        assert (
            conn.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "issued"))
            == 3
        )
    assert _counters(db) == {0: 13 if db.dialect.name == "postgresql" else 3}
    _issue(db, settings, slug, activity_id, 2)
    assert _per_list(db) == {0: 5}


def test_migration_0008_counts_the_lists_already_issued(tmp_path: Path) -> None:
    """The counters start from the credentials each list holds (SQLite; the SQL is the same on
    PostgreSQL, where test_migrations checks the schema)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'before.db'}")
    upgrade(engine, "0007")
    with engine.begin() as conn:
        _insert_credentials(conn, 1, {0: 40, 1: 7})
        _insert_credentials(conn, 2, {0: 5})
    upgrade(engine)
    with engine.connect() as conn:
        counters = conn.execute(
            select(StatusListCounter.association_id, StatusListCounter.seq, StatusListCounter.allocated)
        ).all()
    assert sorted(counters) == [(1, 0, 40), (1, 1, 7), (2, 0, 5)]
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def unanalysed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A new database whose tables have no statistics (PostgreSQL: autovacuum kept off them)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("PostgreSQL tests need SKILLS_VC_TEST_DATABASE_URL (set by .ci/run)")
    admin = make_engine(PG_URL)
    name = f"skills_vc_alloc_{uuid.uuid4().hex[:10]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE credentials SET (autovacuum_enabled = false)"))
        yield engine
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_free_indexes_are_looked_up_in_the_unique_index_without_statistics(unanalysed: Engine) -> None:
    """The lookup of drawn indexes reads the unique index once per index, never the whole list
    (before, PostgreSQL filtered the list's 65k entries until the table was analysed); the set
    bits of verification stay on their partial index."""
    with unanalysed.begin() as conn:
        _insert_credentials(conn, 1, {0: 9_000, 1: 12_000})
    wanted = [n * 7 + 3 for n in range(0, 24_000, 97)]
    with _captured(unanalysed) as statements, Session(unanalysed) as session:
        taken = repo._taken(session, 1, 1, wanted)
    assert taken == {i for i in wanted if (i - 3) // 7 < 12_000}
    plan = _plan(unanalysed, *statements[-1])
    if unanalysed.dialect.name == "postgresql":
        assert "status_index = wanted.i" in plan and "uq_credentials_association_id" in plan, plan
        assert "Hash" not in plan, plan
    else:
        # The unique constraint's index is SQLite's own (sqlite_autoindex_credentials_N).
        assert "COVERING INDEX" in plan, plan
        assert "(association_id=? AND status_list_seq=? AND status_index=?)" in plan, plan
    with _captured(unanalysed) as statements, Session(unanalysed) as session:
        repo.set_bits(session, 1, 1, "revocation")
    assert "ix_credentials_revoked" in _plan(unanalysed, *statements[-1])


def test_an_open_bulk_transaction_does_not_hold_up_a_single_issuance(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: a bulk batch stays uncommitted while another session issues one credential, first
    with a free draw, then drawing an index the open batch wrote (its insert gives up waiting after
    a moment and draws again). Neither waits for the batch's commit."""
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a second issuance waits for the write lock")
    settings = make_settings(tmp_path)
    slug, activity_id = _setup(db, settings)
    factory = make_session_factory(db)
    bulk = factory()
    try:
        ctx = ServiceContext(session=bulk, settings=settings, master_key=MASTER)
        open_batch = issuance.issue_activities(ctx, associations.get(ctx, slug), [activity_id] * 200)
        held = open_batch[0].status_index
        started = time.monotonic()
        single = _issue(db, settings, slug, activity_id, 1)[0]
        assert time.monotonic() - started < 1

        real_sample = repo._rng.sample
        draws = iter([[held]])
        monkeypatch.setattr(
            repo._rng, "sample", lambda population, k: next(draws, None) or real_sample(population, k)
        )
        started = time.monotonic()
        colliding = _issue(db, settings, slug, activity_id, 1)[0]
        # It waited for the index the bounded time (100 ms), then drew another.
        assert 0.1 <= time.monotonic() - started < 1
        assert colliding.status_index != held
        bulk.commit()
    finally:
        bulk.close()
    assert _per_list(db) == _counters(db) == {0: 202}
    with db.connect() as conn:
        indexes = conn.execute(select(Credential.status_index)).scalars().all()
    assert len(set(indexes)) == 202
    assert {single.status_index, colliding.status_index} <= set(indexes)


def test_the_counter_is_not_locked_for_the_bulk_transaction(db: Engine, tmp_path: Path) -> None:
    """PostgreSQL: while a bulk transaction is open, another session can lock the newest counter
    row at once (it was raised and committed apart)."""
    if db.dialect.name != "postgresql":
        pytest.skip("on SQLite the counter is raised under the database's single write lock")
    settings = make_settings(tmp_path)
    slug, activity_id = _setup(db, settings)
    factory = make_session_factory(db)
    with factory() as bulk:
        ctx = ServiceContext(session=bulk, settings=settings, master_key=MASTER)
        issuance.issue_activities(ctx, associations.get(ctx, slug), [activity_id] * 50)
        with db.connect() as other:
            other.execute(text("SET LOCAL lock_timeout = '500ms'"))
            allocated = other.execute(
                select(StatusListCounter.allocated).with_for_update().where(StatusListCounter.seq == 0)
            ).scalar_one()
        assert allocated == 50
        bulk.rollback()
    # The rolled back batch is still counted: the list will close 50 credentials early.
    assert _per_list(db) == {}
    assert _counters(db) == {0: 50}
