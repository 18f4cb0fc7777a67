"""Every query about issued credentials, status indexes and the signed status lists."""

from __future__ import annotations

import random
import threading
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Engine,
    Integer,
    Table,
    bindparam,
    column,
    create_engine,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from skills_vc.errors import ConflictError
from skills_vc.store.tables import AuditEvent, Credential, StatusListCounter, StatusListDocument

__all__ = [
    "Position",
    "RowsBuilder",
    "add_audit_events",
    "by_id",
    "insert_with_status_indexes",
    "list_capacity",
    "list_of",
    "max_seq",
    "set_bits",
    "signed_list",
    "store_signed_list",
]

# A list is closed to new credentials once this share of it is allocated, so random picks stay
# cheap and the indexes stay unguessable.
_FILL_LIMIT = 0.5
_ATTEMPTS = 8
_IN_CHUNK = 500
# How long an insert waits, on PostgreSQL, for another transaction that wrote a credential at the
# same index and has not committed yet, before drawing other indexes: that transaction may be a
# bulk import that commits minutes later. The last attempt waits for as long as it takes.
_INDEX_WAIT = "100ms"
_LOCK_NOT_AVAILABLE = "55P03"
# Connections of the small pool that raises the counters on PostgreSQL (see _reserver).
_RESERVER_POOL = 2
_rng = random.SystemRandom()
_CREDENTIALS = cast(Table, Credential.__table__)
_AUDIT_EVENTS = cast(Table, AuditEvent.__table__)
_COUNTERS = cast(Table, StatusListCounter.__table__)

# Where a credential's status is kept: (list sequence number, index in the list).
Position = tuple[int, int]
# The positions allocated, one per credential -> the credential rows to insert, in that order.
RowsBuilder = Callable[[Sequence[Position]], list[dict[str, Any]]]
# (list sequence number, how many indexes of it are reserved).
_Span = tuple[int, int]

# The statements of every issuance, built once.
_RAISE_NEWEST = (
    update(_COUNTERS)
    .where(
        _COUNTERS.c.association_id == bindparam("association"),
        _COUNTERS.c.seq
        == select(func.max(_COUNTERS.c.seq))
        .where(_COUNTERS.c.association_id == bindparam("association"))
        .scalar_subquery(),
        _COUNTERS.c.allocated + bindparam("count") <= bindparam("capacity"),
    )
    .values(allocated=_COUNTERS.c.allocated + bindparam("count"))
    .returning(_COUNTERS.c.seq)
)
_IN_LIST = (
    Credential.association_id == bindparam("association"),
    Credential.status_list_seq == bindparam("seq"),
)
# The LIMIT keeps the lookup a lateral subquery the planner cannot turn into a join: joined, an
# unanalysed table got a hash join over the whole list (16 ms at 65k credentials).
_WANTED = (
    func.unnest(bindparam("wanted", type_=ARRAY(Integer)))
    .table_valued(column("i", Integer))
    .render_derived(name="wanted")
)
_TAKEN_POSTGRESQL = (
    select(_WANTED.c.i)
    .select_from(_WANTED)
    .join(
        select(literal(1)).where(*_IN_LIST, Credential.status_index == _WANTED.c.i).limit(1).lateral("hit"),
        true(),
    )
)
# SQLite looks an IN list up in the index one value at a time.
_TAKEN_SQLITE = select(Credential.status_index).where(
    *_IN_LIST, Credential.status_index.in_(bindparam("wanted", expanding=True))
)
_BOUND_WAIT = select(
    func.current_setting("lock_timeout"), func.set_config("lock_timeout", bindparam("wait"), True)
)
_RESTORE_WAIT = select(func.set_config("lock_timeout", bindparam("previous"), True))


def list_capacity(size: int) -> int:
    """How many credentials a status list of ``size`` bits takes before a new list is opened."""
    return int(size * _FILL_LIMIT)


def _raise_newest(connection: Connection, association_id: int, capacity: int, count: int) -> int | None:
    """Raise the newest list's counter by ``count`` when it has room for them all, in one
    statement: its sequence number, or None (no list yet, or not enough room)."""
    seq = connection.execute(
        _RAISE_NEWEST, {"association": association_id, "count": count, "capacity": capacity}
    ).scalar()
    return None if seq is None else int(seq)


def _open_list(connection: Connection, association_id: int, seq: int) -> None:
    """Add list ``seq``'s counter unless a concurrent transaction just did."""
    values = {"association_id": association_id, "seq": seq, "allocated": 0}
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(_COUNTERS).values(values).on_conflict_do_nothing())


def _reserve(connection: Connection, association_id: int, capacity: int, count: int) -> list[_Span]:
    """Raise the counters of the association's newest lists by ``count`` in all: the newest list is
    filled up to its capacity and the rest goes to a new one, so a list closes exactly when full."""
    seq = _raise_newest(connection, association_id, capacity, count)
    if seq is not None:
        return [(seq, count)]
    spans: list[_Span] = []
    while count:
        # The newest counter's row lock orders concurrent reservations of one association.
        newest = connection.execute(
            select(_COUNTERS.c.seq, _COUNTERS.c.allocated)
            .where(_COUNTERS.c.association_id == association_id)
            .order_by(_COUNTERS.c.seq.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if newest is None or newest.allocated >= capacity:
            _open_list(connection, association_id, 0 if newest is None else newest.seq + 1)
            continue
        take = min(count, capacity - newest.allocated)
        connection.execute(
            update(_COUNTERS)
            .where(_COUNTERS.c.association_id == association_id, _COUNTERS.c.seq == newest.seq)
            .values(allocated=_COUNTERS.c.allocated + take)
        )
        spans.append((newest.seq, take))
        count -= take
    return spans


_reservers: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_reservers_lock = threading.Lock()


def _reserver(engine: Engine) -> Engine:
    """A pool of its own for the counters' transactions (PostgreSQL). Each holds a connection for
    a few round trips and never waits for a request's connection, so requests holding every
    connection of their own pool cannot leave it without one."""
    with _reservers_lock:
        reserver = _reservers.get(engine)
        if reserver is None:
            reserver = create_engine(
                engine.url,
                pool_size=_RESERVER_POOL,
                max_overflow=_RESERVER_POOL,
                pool_pre_ping=True,
                # A credential that uses a reservation commits after it, and PostgreSQL flushes
                # its log in order: a crash cannot keep the credential and lose the reservation,
                # so the reservation's commit need not wait for the disk.
                connect_args={"options": "-c synchronous_commit=off"},
            )
            _reservers[engine] = reserver
        return reserver


def _reserve_for(session: Session, association_id: int, capacity: int, count: int) -> list[_Span]:
    """Reserve ``count`` indexes in the association's newest list(s): (list, how many) per list."""
    if capacity < 1:
        raise ValueError("a status list must take at least one credential")
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        # SQLite: a writing transaction holds the database's write lock from its start, so nobody
        # waits on the counter more than on that lock; raised in the caller's transaction, it is
        # taken back with everything else when issuance fails.
        return _reserve(session.connection(), association_id, capacity, count)
    # PostgreSQL: committed at once, apart from the caller's transaction, so that a long bulk
    # import holds the counter's row lock for milliseconds, not until it commits. A transaction
    # that fails afterwards leaves its reservation counted (see StatusListCounter).
    with _reserver(bind.engine).connect() as connection:
        seq = _raise_newest(
            connection.execution_options(isolation_level="AUTOCOMMIT"), association_id, capacity, count
        )
        if seq is not None:
            return [(seq, count)]
    with _reserver(bind.engine).begin() as connection:
        return _reserve(connection, association_id, capacity, count)


def _taken(session: Session, association_id: int, seq: int, indexes: Sequence[int]) -> set[int]:
    """Which of ``indexes`` committed credentials of the list use, looked up one by one in the
    (association, list, index) unique index, however many credentials the list holds and whether
    or not the table's statistics are current."""
    where = {"association": association_id, "seq": seq}
    if session.get_bind().dialect.name == "postgresql":
        return set(session.scalars(_TAKEN_POSTGRESQL, {**where, "wanted": list(indexes)}))
    taken: set[int] = set()
    for start in range(0, len(indexes), _IN_CHUNK):
        taken.update(session.scalars(_TAKEN_SQLITE, {**where, "wanted": indexes[start : start + _IN_CHUNK]}))
    return taken


def _draw_free(session: Session, association_id: int, seq: int, size: int, count: int) -> list[int]:
    """``count`` distinct random indexes that no committed credential of the list uses."""
    picked = _rng.sample(range(size), count)
    while taken := _taken(session, association_id, seq, picked):
        keep = [i for i in picked if i not in taken]
        chosen = set(picked)
        while len(keep) < count:
            candidate = _rng.randrange(size)
            if candidate not in chosen:
                chosen.add(candidate)
                keep.append(candidate)
        picked = keep
    return picked


def _insert(session: Session, rows: list[dict[str, Any]], *, wait: bool) -> None:
    """Insert the rows in a savepoint; unless ``wait``, an index held by a transaction still open
    raises (PostgreSQL) instead of waiting for it to end."""
    bounded = not wait and session.get_bind().dialect.name == "postgresql"
    with session.begin_nested():
        # Asked for inside the block: the savepoint begins when its connection is first used.
        connection = session.connection()
        if bounded:
            # Local to the transaction, and undone with the savepoint when the insert fails.
            previous = connection.execute(_BOUND_WAIT, {"wait": _INDEX_WAIT}).scalar_one()
        # A Core insert (executemany) skips the ORM's per-row bookkeeping: the rows are plain
        # values, and nothing in this session holds them as objects.
        connection.execute(insert(_CREDENTIALS), rows)
        if bounded:
            connection.execute(_RESTORE_WAIT, {"previous": previous})


def insert_with_status_indexes(
    session: Session, build: RowsBuilder, association_id: int, size: int, count: int
) -> list[dict[str, Any]]:
    """Allocate ``count`` random unused status indexes and insert the rows built for them.

    All or nothing. The newest list takes credentials until it is full, then a new list takes the
    rest (a batch may span two lists). The unique constraint on (association, list, index) is what
    makes allocation safe when many requests issue at once: an index taken by a concurrent
    transaction after it was drawn rolls back the savepoint, and the batch is drawn and built again
    (on PostgreSQL without waiting long for a transaction that holds the index uncommitted).
    """
    spans = _reserve_for(session, association_id, list_capacity(size), count)
    for attempt in range(_ATTEMPTS):
        positions = [
            (seq, index) for seq, n in spans for index in _draw_free(session, association_id, seq, size, n)
        ]
        rows = build(positions)
        try:
            _insert(session, rows, wait=attempt == _ATTEMPTS - 1)
        except IntegrityError:
            continue
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                raise
            continue
        return rows
    raise ConflictError(
        "no free status indexes could be allocated; try again", code="status_allocation_failed"
    )


def add_audit_events(session: Session, events: Sequence[dict[str, Any]]) -> None:
    session.connection().execute(insert(_AUDIT_EVENTS), events)


def max_seq(session: Session, association_id: int) -> int:
    """The highest status list number in use (0 when nothing has been issued yet)."""
    value = session.scalar(
        select(func.max(Credential.status_list_seq)).where(Credential.association_id == association_id)
    )
    return int(value or 0)


def by_id(session: Session, credential_id: str, *, for_update: bool = False) -> Credential | None:
    """One credential; ``for_update`` locks its row (PostgreSQL) so status changes serialise."""
    return session.get(Credential, credential_id, with_for_update=for_update)


def list_of(
    session: Session,
    association_id: int,
    *,
    limit: int,
    offset: int,
    volunteer_id: str | None = None,
) -> Sequence[Credential]:
    query = select(Credential).where(Credential.association_id == association_id)
    if volunteer_id:
        query = query.where(Credential.volunteer_id == volunteer_id)
    return session.scalars(
        query.order_by(Credential.issued_at.desc(), Credential.id).limit(limit).offset(offset)
    ).all()


def set_bits(session: Session, association_id: int, seq: int, purpose: str) -> Sequence[int]:
    """The indexes whose bit is set in a list: derived from the credentials, never stored apart."""
    column = Credential.revoked_at if purpose == "revocation" else Credential.suspended_at
    return session.scalars(
        select(Credential.status_index).where(
            Credential.association_id == association_id,
            Credential.status_list_seq == seq,
            column.is_not(None),
        )
    ).all()


def signed_list(session: Session, association_id: int, purpose: str, seq: int) -> StatusListDocument | None:
    return session.get(StatusListDocument, (association_id, purpose, seq))


def store_signed_list(
    session: Session,
    association_id: int,
    purpose: str,
    seq: int,
    *,
    bits_digest: str,
    secured: str,
    issued_at: datetime,
) -> None:
    """Keep the newest signed form; a concurrent writer of the same list wins harmlessly."""
    existing = signed_list(session, association_id, purpose, seq)
    try:
        with session.begin_nested():
            if existing is None:
                session.add(
                    StatusListDocument(
                        association_id=association_id,
                        purpose=purpose,
                        seq=seq,
                        bits_digest=bits_digest,
                        secured=secured,
                        issued_at=issued_at,
                    )
                )
            else:
                existing.bits_digest = bits_digest
                existing.secured = secured
                existing.issued_at = issued_at
    except IntegrityError:
        pass
