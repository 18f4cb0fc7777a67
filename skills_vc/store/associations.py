"""Every query about associations, their accreditation history, keys and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from skills_vc.store.tables import (
    AccreditationEventRow,
    ApiKey,
    Association,
    AssociationKey,
    AuditEvent,
)

__all__ = [
    "add",
    "add_api_key",
    "add_event",
    "add_key",
    "audit",
    "by_api_key_hash",
    "by_slug",
    "exists",
    "keys_of",
    "keys_with_fragment_prefix",
    "list_all",
    "retire_keys",
]


def add(session: Session, association: Association) -> Association:
    session.add(association)
    session.flush()
    return association


def exists(session: Session, *, slug: str, enterprise_number: str) -> str | None:
    """Which unique field is already taken (``slug`` or ``enterprise_number``), if any."""
    row = session.execute(
        select(Association.slug, Association.enterprise_number).where(
            (Association.slug == slug) | (Association.enterprise_number == enterprise_number)
        )
    ).first()
    if row is None:
        return None
    return "slug" if row.slug == slug else "enterprise_number"


def by_slug(session: Session, slug: str) -> Association | None:
    return session.scalars(select(Association).where(Association.slug == slug)).one_or_none()


def list_all(session: Session) -> Sequence[Association]:
    return session.scalars(select(Association).order_by(Association.slug)).all()


def add_event(session: Session, event: AccreditationEventRow) -> None:
    session.add(event)
    session.flush()


def add_key(session: Session, key: AssociationKey) -> AssociationKey:
    session.add(key)
    session.flush()
    return key


def keys_of(session: Session, association_id: int) -> Sequence[AssociationKey]:
    """All keys of an association, oldest first, rotated ones included."""
    return session.scalars(
        select(AssociationKey)
        .where(AssociationKey.association_id == association_id)
        .order_by(AssociationKey.id)
    ).all()


def keys_with_fragment_prefix(session: Session, prefix: str) -> Sequence[AssociationKey]:
    """Keys whose fragment starts with ``prefix`` (a paper QR names a key by such a prefix)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return session.scalars(
        select(AssociationKey).where(AssociationKey.fragment.like(escaped + "%", escape="\\"))
    ).all()


def retire_keys(session: Session, association_id: int, at: datetime) -> None:
    session.execute(
        update(AssociationKey)
        .where(AssociationKey.association_id == association_id, AssociationKey.retired_at.is_(None))
        .values(retired_at=at)
    )


def add_api_key(session: Session, key: ApiKey) -> None:
    session.add(key)
    session.flush()


def by_api_key_hash(session: Session, key_hash: str) -> Association | None:
    return session.scalars(
        select(Association)
        .join(ApiKey, ApiKey.association_id == Association.id)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    ).one_or_none()


def audit(session: Session, event: AuditEvent) -> None:
    session.add(event)
