"""Every query about issued credentials, status indexes and the signed status lists."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from skills_vc.errors import ConflictError
from skills_vc.store.tables import AuditEvent, Credential, StatusListDocument

__all__ = [
    "add_audit_events",
    "by_id",
    "insert_with_status_indexes",
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
_rng = random.SystemRandom()
_CREDENTIALS = cast(Table, Credential.__table__)
_AUDIT_EVENTS = cast(Table, AuditEvent.__table__)

# (list sequence number, status indexes) -> the credential rows to insert, one per index.
RowsBuilder = Callable[[int, Sequence[int]], list[dict[str, Any]]]


def _current_seq(session: Session, association_id: int, size: int, count: int) -> int:
    """The list new credentials go to: the newest, unless ``count`` more would overfill it."""
    seq = max_seq(session, association_id)
    used = session.scalar(
        select(func.count()).where(
            Credential.association_id == association_id, Credential.status_list_seq == seq
        )
    )
    return seq + 1 if int(used or 0) + count > size * _FILL_LIMIT else seq


def _taken(session: Session, association_id: int, seq: int, indexes: Sequence[int]) -> set[int]:
    taken: set[int] = set()
    for start in range(0, len(indexes), _IN_CHUNK):
        taken.update(
            session.scalars(
                select(Credential.status_index).where(
                    Credential.association_id == association_id,
                    Credential.status_list_seq == seq,
                    Credential.status_index.in_(indexes[start : start + _IN_CHUNK]),
                )
            )
        )
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


def insert_with_status_indexes(
    session: Session, build: RowsBuilder, association_id: int, size: int, count: int
) -> list[dict[str, Any]]:
    """Allocate ``count`` random unused status indexes and insert the rows built for them.

    All or nothing. The unique constraint on (association, list, index) is what makes allocation
    safe when many requests issue at once: an index taken by a concurrent transaction after it was
    drawn rolls back the savepoint, and the batch is drawn and built again.
    """
    for _ in range(_ATTEMPTS):
        seq = _current_seq(session, association_id, size, count)
        rows = build(seq, _draw_free(session, association_id, seq, size, count))
        try:
            with session.begin_nested():
                # A Core insert (executemany) skips the ORM's per-row bookkeeping: the rows are
                # plain values, and nothing in this session holds them as objects.
                session.connection().execute(insert(_CREDENTIALS), rows)
        except IntegrityError:
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
