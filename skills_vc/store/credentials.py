"""Every query about issued credentials, status indexes and the signed status lists."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from skills_vc.store.tables import Credential, StatusListDocument

__all__ = [
    "by_id",
    "max_seq",
    "insert_with_status_index",
    "list_of",
    "set_bits",
    "signed_list",
    "store_signed_list",
]

# A list is closed to new credentials once this share of it is allocated, so random picks stay
# cheap and the indexes stay unguessable.
_FILL_LIMIT = 0.5
_ATTEMPTS = 32
_rng = random.SystemRandom()

# (list sequence number, index) -> the credential row to insert for that status position.
CredentialBuilder = Callable[[int, int], Credential]


def _current_seq(session: Session, association_id: int, size: int) -> int:
    row = session.execute(
        select(Credential.status_list_seq, func.count())
        .where(Credential.association_id == association_id)
        .group_by(Credential.status_list_seq)
        .order_by(Credential.status_list_seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0
    seq, used = int(row[0]), int(row[1])
    return seq + 1 if used >= size * _FILL_LIMIT else seq


def insert_with_status_index(
    session: Session, credential_for: CredentialBuilder, association_id: int, size: int
) -> Credential:
    """Allocate a random unused status index and insert the credential built for it.

    The unique constraint on (association, list, index) is what makes allocation safe when many
    requests issue at once: a collision rolls back only its savepoint and another index is drawn.
    """
    seq = _current_seq(session, association_id, size)
    for _ in range(_ATTEMPTS):
        index = _rng.randrange(size)
        row = credential_for(seq, index)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return row
    raise RuntimeError("no free status index found; the status list is full")


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
    return session.scalars(query.order_by(Credential.issued_at.desc(), Credential.id).limit(limit).offset(offset)).all()


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
