"""Credentials issued, counted from the database as their transactions commit.

Every way of issuing (the VC API, an activity, the portal, a CSV import) inserts its credential
rows with one statement, so watching that statement counts them all, from the API layer and
without a line in the services. Counting at commit leaves out the rows that a rolled back
transaction or savepoint took away.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakSet

from prometheus_client import Counter
from sqlalchemy import Connection, Engine, Insert, event

from skills_vc.core.formats import FORMATS
from skills_vc.store.tables import Credential

__all__ = ["ISSUED", "observe_issuance"]

ISSUED = Counter(
    "skills_vc_credentials_issued_total",
    "Credentials issued (counted when their transaction commits), by format",
    ("format",),
)

_CREDENTIALS = Credential.__table__
# Keys in the connection's info: the formats of the rows inserted and not yet committed, and for
# each open savepoint (innermost last) how many of them were pending when it began.
_PENDING = "skills_vc.issued.pending"
_SAVEPOINTS = "skills_vc.issued.savepoints"
_observed: WeakSet[Engine] = WeakSet()


def observe_issuance(engine: Engine) -> None:
    """Count the credentials inserted through ``engine`` as their transactions commit (once per engine)."""
    if engine in _observed:
        return
    _observed.add(engine)
    event.listen(engine, "begin", _forget)
    event.listen(engine, "after_execute", _note_inserted)
    event.listen(engine, "savepoint", _mark)
    event.listen(engine, "rollback_savepoint", _undo)
    event.listen(engine, "release_savepoint", _release)
    event.listen(engine, "commit", _count)
    event.listen(engine, "rollback", _forget)


def _pending(conn: Connection) -> list[str]:
    pending: list[str] = conn.info.setdefault(_PENDING, [])
    return pending


def _savepoints(conn: Connection) -> list[int]:
    marks: list[int] = conn.info.setdefault(_SAVEPOINTS, [])
    return marks


def _forget(conn: Connection) -> None:
    conn.info.pop(_PENDING, None)
    conn.info.pop(_SAVEPOINTS, None)


def _note_inserted(
    conn: Connection, statement: Any, multiparams: Any, params: Any, _options: Any, _result: Any
) -> None:
    if not isinstance(statement, Insert) or statement.table is not _CREDENTIALS:
        return
    # SQLAlchemy passes several rows as ``multiparams`` and a single one as ``params``.
    rows = multiparams or [params]
    _pending(conn).extend(
        row["format"] if row.get("format") in FORMATS else "other" for row in rows if isinstance(row, dict)
    )


def _mark(conn: Connection, _name: str | None) -> None:
    _savepoints(conn).append(len(_pending(conn)))


def _undo(conn: Connection, _name: str, _context: Any) -> None:
    marks = _savepoints(conn)
    if marks:
        del _pending(conn)[marks.pop() :]


def _release(conn: Connection, _name: str, _context: Any) -> None:
    marks = _savepoints(conn)
    if marks:
        marks.pop()


def _count(conn: Connection) -> None:
    for fmt in conn.info.get(_PENDING, ()):
        ISSUED.labels(fmt).inc()
    _forget(conn)
