"""Every query about staff accounts and failed sign-ins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from skills_vc.store.tables import Association, SignInFailure, StaffAccount

__all__ = [
    "add",
    "add_failure",
    "association_by_id",
    "by_email",
    "by_id",
    "clear_failures",
    "delete_failures_before",
    "latest_failures",
    "list_for_association",
]


def add(session: Session, account: StaffAccount) -> StaffAccount:
    session.add(account)
    session.flush()
    return account


def by_email(session: Session, email: str) -> StaffAccount | None:
    """The account with this (already normalised, lowercase) email."""
    return session.scalars(select(StaffAccount).where(StaffAccount.email == email)).one_or_none()


def by_id(session: Session, staff_id: int) -> StaffAccount | None:
    return session.get(StaffAccount, staff_id)


def list_for_association(session: Session, association_id: int) -> Sequence[StaffAccount]:
    return session.scalars(
        select(StaffAccount).where(StaffAccount.association_id == association_id).order_by(StaffAccount.email)
    ).all()


def add_failure(session: Session, scope: str, at: datetime) -> None:
    session.add(SignInFailure(scope=scope, at=at))
    session.flush()


def latest_failures(session: Session, scope: str, since: datetime, limit: int) -> list[datetime]:
    """The times of the ``limit`` most recent failures of ``scope`` after ``since``, newest first."""
    rows = session.scalars(
        select(SignInFailure.at)
        .where(SignInFailure.scope == scope, SignInFailure.at > since)
        .order_by(SignInFailure.at.desc(), SignInFailure.id.desc())
        .limit(limit)
    ).all()
    return list(rows)


def clear_failures(session: Session, scope: str) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.scope == scope))


def delete_failures_before(session: Session, before: datetime) -> None:
    """Forget the failures that no longer count (older than the window)."""
    session.execute(delete(SignInFailure).where(SignInFailure.at <= before))


def association_by_id(session: Session, association_id: int) -> Association | None:
    return session.get(Association, association_id)
