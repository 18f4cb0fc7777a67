"""A status list's set bits are read from partial indexes of the revoked and suspended credentials,
not from the whole list (the plan is checked on SQLite and on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event, insert, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from skills_vc.store import credentials as repo
from skills_vc.store.tables import Association, Base, Credential

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _insert_credentials(conn: Connection, association_id: int, lists: dict[int, int]) -> None:
    """``lists`` maps a list to how many credentials it holds; the n-th is at index 7n + 3,
    revoked when n % 100 == 0, suspended when n % 200 == 50."""
    conn.execute(
        insert(Association),
        {
            "id": association_id,
            "slug": f"a{association_id}",
            "legal_name": "A",
            "enterprise_number": f"04{association_id:08d}",
            "created_at": NOW,
        },
    )
    conn.execute(
        insert(Credential),
        [
            {
                "id": f"urn:uuid:{association_id}-{seq}-{n}",
                "association_id": association_id,
                "status_list_seq": seq,
                "status_index": n * 7 + 3,
                "format": "vc+jwt",
                "secured": "x",
                "kid": "k",
                "issued_at": NOW,
                "valid_from": NOW,
                "revoked_at": NOW if n % 100 == 0 else None,
                "suspended_at": NOW if n % 200 == 50 else None,
            }
            for seq, count in lists.items()
            for n in range(count)
        ],
    )


def _predicate(where: Any) -> str:
    return " ".join(str(where).replace("(", " ").replace(")", " ").split()).lower()


def test_the_migrated_partial_indexes_have_the_models_predicates(db: Engine) -> None:
    """What the comparison of the models with the migrated schema leaves out: an index's WHERE."""
    key = f"{db.dialect.name}_where"
    declared = {
        (table.name, index.name): _predicate(index.dialect_kwargs[key])
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if index.dialect_kwargs.get(key) is not None
    }
    inspector = inspect(db)
    migrated = {
        (table, index["name"]): _predicate(index["dialect_options"][key])
        for table in inspector.get_table_names()
        for index in inspector.get_indexes(table)
        if index.get("dialect_options", {}).get(key) is not None
    }
    assert migrated == declared
    assert set(declared.values()) == {"revoked_at is not null", "suspended_at is not null"}


@contextmanager
def _captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _plan(engine: Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            lines = conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars()
        else:
            lines = (row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        return "\n".join(lines)


def test_set_bits_reads_the_partial_indexes(db: Engine) -> None:
    with db.begin() as conn:
        _insert_credentials(conn, 1, {0: 12_000, 1: 8_000})
    if db.dialect.name == "postgresql":
        with db.begin() as conn:
            conn.execute(text("ANALYZE credentials"))
    for purpose, index, every, first in (
        ("revocation", "ix_credentials_revoked", 100, 0),
        ("suspension", "ix_credentials_suspended", 200, 50),
    ):
        with _captured(db) as statements, db.connect() as conn:
            bits = repo.set_bits(Session(conn), 1, 1, purpose)
        assert sorted(bits) == [i * 7 + 3 for i in range(first, 8_000, every)]
        plan = _plan(db, *statements[-1])
        assert index in plan, plan
