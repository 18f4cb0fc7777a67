"""Every query about volunteers and their activities."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from skills_vc.store.tables import Activity, Volunteer

__all__ = [
    "activities_by_id",
    "activities_of",
    "activity",
    "add",
    "volunteer",
    "volunteers_by_id",
    "volunteers_of",
]


def add(session: Session, row: Volunteer | Activity) -> None:
    session.add(row)
    session.flush()


def volunteer(session: Session, association_id: int, volunteer_id: str) -> Volunteer | None:
    return session.scalars(
        select(Volunteer).where(Volunteer.id == volunteer_id, Volunteer.association_id == association_id)
    ).one_or_none()


def volunteers_of(session: Session, association_id: int, *, limit: int, offset: int) -> Sequence[Volunteer]:
    return session.scalars(
        select(Volunteer)
        .where(Volunteer.association_id == association_id)
        .order_by(Volunteer.created_at, Volunteer.id)
        .limit(limit)
        .offset(offset)
    ).all()


def activity(session: Session, association_id: int, activity_id: str) -> Activity | None:
    return session.scalars(
        select(Activity).where(Activity.id == activity_id, Activity.association_id == association_id)
    ).one_or_none()


def activities_by_id(session: Session, association_id: int, ids: Sequence[str]) -> dict[str, Activity]:
    """The activities to issue for; the stored suggestions are not needed there and not loaded."""
    rows = session.scalars(
        select(Activity)
        .options(defer(Activity.suggested_skills))
        .where(Activity.association_id == association_id, Activity.id.in_(ids))
    )
    return {row.id: row for row in rows}


def volunteers_by_id(session: Session, association_id: int, ids: Sequence[str]) -> dict[str, Volunteer]:
    rows = session.scalars(
        select(Volunteer).where(Volunteer.association_id == association_id, Volunteer.id.in_(ids))
    )
    return {row.id: row for row in rows}


def activities_of(session: Session, association_id: int, *, limit: int, offset: int) -> Sequence[Activity]:
    return session.scalars(
        select(Activity)
        .where(Activity.association_id == association_id)
        .order_by(Activity.created_at, Activity.id)
        .limit(limit)
        .offset(offset)
    ).all()
