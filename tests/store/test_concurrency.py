"""Many requests issuing at once: every status index unique, no credential lost or duplicated."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from skills_vc.core.formats import get_format
from skills_vc.services import associations, issuance
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.store.session import make_session_factory
from skills_vc.store.tables import Credential
from tests.conftest import MASTER_KEY, make_settings
from tests.store.support import association_with_activity

THREADS = 8


def _setup(engine: Engine, tmp_path: Path) -> tuple[ServiceContext, str, str]:
    settings = make_settings(tmp_path)
    factory = make_session_factory(engine)
    master = base64.urlsafe_b64decode(MASTER_KEY + "=")
    with transaction(factory) as session:
        ctx = ServiceContext(session=session, settings=settings, master_key=master)
        activity_id = association_with_activity(ctx, "load", "Load ASBL")
    return ctx, activity_id, "load"


def _run(engine: Engine, tmp_path: Path, per_thread: int) -> None:
    ctx0, activity_id, slug = _setup(engine, tmp_path)
    factory = make_session_factory(engine)

    def worker(_: int) -> list[str]:
        ids = []
        for _ in range(per_thread):
            with transaction(factory) as session:
                ctx = ServiceContext(session=session, settings=ctx0.settings, master_key=ctx0.master_key)
                ids.append(issuance.issue_activity(ctx, associations.get(ctx, slug), activity_id).id)
        return ids

    with ThreadPoolExecutor(THREADS) as pool:
        returned = [cid for ids in pool.map(worker, range(THREADS)) for cid in ids]

    with factory() as session:
        rows = session.execute(
            select(Credential.id, Credential.status_list_seq, Credential.status_index)
        ).all()
        stored_count = session.scalar(select(func.count()).select_from(Credential))
    assert len(returned) == THREADS * per_thread == len(set(returned))
    assert stored_count == len(returned)
    assert {r.id for r in rows} == set(returned)
    positions = [(r.status_list_seq, r.status_index) for r in rows]
    assert len(set(positions)) == len(positions)
    # Each credential's signed status entry names the index stored for it.
    with factory() as session:
        for row in session.scalars(select(Credential).limit(50)):
            credential = get_format(row.format).read(row.secured)
            assert credential["credentialStatus"][0]["statusListIndex"] == str(row.status_index)


def test_concurrent_issuance(db: Engine, tmp_path: Path) -> None:
    """8 threads x 200 issuances on PostgreSQL; 8 x 25 on SQLite, whose writers queue on one lock."""
    _run(db, tmp_path, per_thread=200 if db.dialect.name == "postgresql" else 25)


def test_a_taken_index_is_retried_with_another(
    db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Force the random draw onto an index already in use: another index is drawn for it."""
    from skills_vc.store import credentials as repo

    ctx0, activity_id, slug = _setup(db, tmp_path)
    factory = make_session_factory(db)

    def issue() -> Credential:
        with transaction(factory) as session:
            ctx = ServiceContext(session=session, settings=ctx0.settings, master_key=ctx0.master_key)
            return issuance.issue_activity(ctx, associations.get(ctx, slug), activity_id)

    draws = iter([[7], [7]])
    monkeypatch.setattr(repo._rng, "sample", lambda _population, _count: next(draws))
    monkeypatch.setattr(repo._rng, "randrange", lambda _size: 8)
    first = issue()
    second = issue()
    assert (first.status_index, second.status_index) == (7, 8)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 2
