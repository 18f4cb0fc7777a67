"""/healthz and /readyz: liveness without the database, readiness with it (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from skills_vc.api.app import create_app
from skills_vc.store.migrate import head_revisions, upgrade
from skills_vc.store.session import make_engine
from tests.conftest import Platform, make_settings

HEAD = head_revisions()[0]


@contextmanager
def _client(tmp_path: Path, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path), engine=engine)) as client:
        yield client
    engine.dispose()


@pytest.fixture
def unreachable(tmp_path: Path) -> Iterator[TestClient]:
    """An app whose PostgreSQL is a closed port on this machine."""
    with _client(tmp_path, make_engine("postgresql+psycopg://postgres@127.0.0.1:1/x")) as client:
        yield client


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> Iterator[TestClient]:
    """An app on a new SQLite file that no migration has touched."""
    with _client(tmp_path, make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")) as client:
        yield client


def test_healthz_is_up(platform: Platform) -> None:
    response = platform.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_healthz_does_not_touch_the_database(unreachable: TestClient) -> None:
    response = unreachable.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_at_head(platform: Platform) -> None:
    response = platform.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "database": "ok", "migrations": HEAD}
    assert response.headers["cache-control"] == "no-store"


def test_readyz_leaves_no_transaction_behind(platform: Platform, db: Engine) -> None:
    # On SQLite a probe holding the write lock would make this write wait for 30 s.
    for _ in range(3):
        assert platform.client.get("/readyz").status_code == 200
    with db.begin() as conn:
        conn.execute(text("SELECT 1"))
    # The API still writes after the probes.
    platform.register()


def test_readyz_database_unreachable(unreachable: TestClient) -> None:
    started = time.monotonic()
    response = unreachable.get("/readyz")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "not_ready"
    assert body["reason"] == "database_unreachable"
    assert body["database"] == "unreachable"
    assert body["migrations"] is None
    assert body["detail"]
    assert response.headers["cache-control"] == "no-store"


def test_readyz_migrations_behind(fresh_sqlite: TestClient) -> None:
    response = fresh_sqlite.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "not_ready"
    assert body["reason"] == "migrations_behind"
    assert body["database"] == "ok"
    assert body["migrations"] is None
    assert body["expected"] == HEAD


def test_readyz_one_migration_behind_then_ready(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004")
    with _client(tmp_path, engine) as client:
        behind = client.get("/readyz")
        assert behind.status_code == 503
        assert behind.json()["reason"] == "migrations_behind"
        assert behind.json()["migrations"] == "0004"
        upgrade(engine)
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["migrations"] == HEAD


def test_readyz_never_500(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("the driver broke")

    monkeypatch.setattr("skills_vc.api.routes.health.migration_state", broken)
    response = platform.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "database_unreachable"


def test_readyz_answers_at_the_deadline(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    def hangs(*_args: object) -> None:
        time.sleep(1.0)

    monkeypatch.setattr("skills_vc.api.routes.health.READINESS_TIMEOUT_SECONDS", 0.2)
    monkeypatch.setattr("skills_vc.api.routes.health.migration_state", hangs)
    started = time.monotonic()
    response = platform.client.get("/readyz")
    assert time.monotonic() - started < 0.9
    assert response.status_code == 503
    assert response.json()["reason"] == "database_unreachable"
    assert "0.2 s" in response.json()["detail"]


def test_readyz_ready_when_a_newer_release_migrated_the_database(tmp_path: Path) -> None:
    """A rolling upgrade: the new release has migrated, the older replicas go on serving."""
    engine = make_engine(f"sqlite:///{tmp_path / 'newer.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with _client(tmp_path, engine) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "database": "ok",
        "migrations": "9999",
        "note": "database_ahead",
    }
