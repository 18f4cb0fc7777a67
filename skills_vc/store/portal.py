"""Every query of the association portal: the searchable list of credentials and bulk imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, defer

from skills_vc.store.tables import Activity, BulkImport, Credential, Volunteer

__all__ = [
    "CredentialFilter",
    "CredentialLine",
    "add_import",
    "existing_import_keys",
    "get_import",
    "recent_imports",
    "search_credentials",
    "volunteers_by_email",
]

# Import keys are looked up in slices, under every database's limit on bound parameters.
_SLICE = 500


@dataclass(frozen=True)
class CredentialFilter:
    """What the coordinator searches for; ``None`` means no condition."""

    text: str | None = None
    state: str | None = None  # active, suspended, revoked
    issued_from: datetime | None = None
    issued_before: datetime | None = None
    import_id: str | None = None


@dataclass(frozen=True)
class CredentialLine:
    """One line of the list: the credential and the activity and volunteer it is about."""

    credential: Credential
    activity: Activity | None
    volunteer: Volunteer | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(association_id: int, where: CredentialFilter) -> Select[Credential, Activity, Volunteer]:
    query = (
        select(Credential, Activity, Volunteer)
        .outerjoin(Activity, Activity.id == Credential.activity_id)
        .outerjoin(Volunteer, Volunteer.id == Credential.volunteer_id)
        .where(Credential.association_id == association_id)
    )
    if where.text:
        pattern = f"%{_escape_like(where.text.lower())}%"
        query = query.where(
            or_(
                func.lower(Volunteer.name).like(pattern, escape="\\"),
                func.lower(Volunteer.email).like(pattern, escape="\\"),
                func.lower(Activity.title).like(pattern, escape="\\"),
                func.lower(Activity.role).like(pattern, escape="\\"),
                func.lower(Credential.id).like(pattern, escape="\\"),
            )
        )
    if where.state == "revoked":
        query = query.where(Credential.revoked_at.is_not(None))
    elif where.state == "suspended":
        query = query.where(Credential.revoked_at.is_(None), Credential.suspended_at.is_not(None))
    elif where.state == "active":
        query = query.where(Credential.revoked_at.is_(None), Credential.suspended_at.is_(None))
    if where.issued_from is not None:
        query = query.where(Credential.issued_at >= where.issued_from)
    if where.issued_before is not None:
        query = query.where(Credential.issued_at < where.issued_before)
    if where.import_id is not None:
        query = query.where(Activity.import_id == where.import_id)
    return query


def search_credentials(
    session: Session, association_id: int, where: CredentialFilter, *, limit: int, offset: int
) -> tuple[list[CredentialLine], int]:
    """One page of the association's credentials, newest first, and how many match in all."""
    query = _filtered(association_id, where)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.execute(
        query.order_by(Credential.issued_at.desc(), Credential.id).limit(limit).offset(offset)
    ).all()
    return [CredentialLine(line[0], line[1], line[2]) for line in page], int(total)


def existing_import_keys(session: Session, association_id: int, keys: Sequence[str]) -> dict[str, str | None]:
    """For each key already recorded by the association: the id of the credential it was issued as."""
    found: dict[str, str | None] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), _SLICE):
        chunk = unique[start : start + _SLICE]
        rows = session.execute(
            select(Activity.import_key, Credential.id)
            .outerjoin(Credential, Credential.activity_id == Activity.id)
            .where(Activity.association_id == association_id, Activity.import_key.in_(chunk))
        ).all()
        for key, credential_id in rows:
            if key is not None:
                found[key] = credential_id
    return found


def volunteers_by_email(session: Session, association_id: int, emails: Sequence[str]) -> dict[str, Volunteer]:
    """The association's volunteers with these (lowercased) email addresses, the oldest one for each."""
    found: dict[str, Volunteer] = {}
    unique = sorted(set(emails))
    for start in range(0, len(unique), _SLICE):
        chunk = unique[start : start + _SLICE]
        rows = session.scalars(
            select(Volunteer)
            .where(Volunteer.association_id == association_id, func.lower(Volunteer.email).in_(chunk))
            .order_by(Volunteer.created_at)
        )
        for volunteer in rows:
            found.setdefault((volunteer.email or "").lower(), volunteer)
    return found


def add_import(session: Session, row: BulkImport) -> None:
    session.add(row)
    session.flush()


def get_import(session: Session, association_id: int, import_id: str) -> BulkImport | None:
    return session.scalars(
        select(BulkImport).where(BulkImport.id == import_id, BulkImport.association_id == association_id)
    ).first()


def recent_imports(session: Session, association_id: int, limit: int = 10) -> Sequence[BulkImport]:
    return session.scalars(
        select(BulkImport)
        .options(defer(BulkImport.rows), defer(BulkImport.groups))
        .where(BulkImport.association_id == association_id)
        .order_by(BulkImport.created_at.desc())
        .limit(limit)
    ).all()
