"""Every query about the platform's own keys."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from skills_vc.store.tables import PlatformKey

__all__ = ["add", "current", "of_purpose"]


def add(session: Session, key: PlatformKey) -> PlatformKey:
    """Store a new platform key."""
    session.add(key)
    session.flush()
    return key


def current(session: Session, purpose: str) -> PlatformKey | None:
    """The newest key of ``purpose`` that is not retired."""
    return session.scalars(
        select(PlatformKey)
        .where(PlatformKey.purpose == purpose, PlatformKey.retired_at.is_(None))
        .order_by(PlatformKey.id.desc())
        .limit(1)
    ).one_or_none()


def of_purpose(session: Session, purpose: str) -> list[PlatformKey]:
    """Every key of ``purpose``, retired ones included, oldest first."""
    return list(
        session.scalars(select(PlatformKey).where(PlatformKey.purpose == purpose).order_by(PlatformKey.id))
    )
