"""Use cases for volunteers and the activities they did."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from skills_vc.core.credential import esco_skill_uuid
from skills_vc.core.emails import is_email
from skills_vc.errors import NotFoundError, ValidationFailed
from skills_vc.services import mapping
from skills_vc.services.context import ServiceContext
from skills_vc.store import records as repo
from skills_vc.store.tables import Activity, Association, Volunteer

__all__ = [
    "LANGUAGES",
    "NewActivity",
    "NewVolunteer",
    "SkillRef",
    "activity_row",
    "activity_values",
    "get_activity",
    "get_volunteer",
    "list_activities",
    "list_volunteers",
    "normalised_name",
    "record_activity",
    "record_volunteer",
]

LANGUAGES = ("fr", "nl", "en")
MAX_HOURS = 10_000
MAX_SKILLS = 40


@dataclass(frozen=True)
class NewVolunteer:
    name: str
    email: str | None = None
    holder_did: str | None = None


@dataclass(frozen=True)
class SkillRef:
    """A skill the coordinator confirmed; its label comes from ESCO in the activity's language."""

    uri: str


@dataclass(frozen=True)
class NewActivity:
    volunteer_id: str
    title: str
    description: str
    role: str
    start_date: date
    end_date: date
    hours: int
    language: str
    coordinator_name: str
    coordinator_role: str
    skills: Sequence[SkillRef]
    tasks: Sequence[str] = field(default_factory=tuple)
    location: str | None = None
    template_id: str | None = None


def record_volunteer(ctx: ServiceContext, association: Association, new: NewVolunteer) -> Volunteer:
    if not new.name.strip():
        raise ValidationFailed("a volunteer needs a name", code="invalid_volunteer_name")
    if new.email is not None and not is_email(new.email):
        raise ValidationFailed("the volunteer's email address is not valid", code="invalid_email")
    if new.holder_did is not None and not new.holder_did.startswith("did:"):
        raise ValidationFailed("holder_did must be a DID (did:key, did:jwk...)", code="invalid_holder_did")
    volunteer = Volunteer(
        id=str(uuid.uuid4()),
        association_id=association.id,
        name=new.name.strip(),
        email=new.email,
        holder_did=new.holder_did,
        created_at=ctx.now(),
    )
    repo.add(ctx.session, volunteer)
    return volunteer


def normalised_name(name: str) -> str:
    """A name as compared to find a volunteer again: spaces collapsed, case folded."""
    return " ".join(name.split()).casefold()


def get_volunteer(ctx: ServiceContext, association: Association, volunteer_id: str) -> Volunteer:
    volunteer = repo.volunteer(ctx.session, association.id, volunteer_id)
    if volunteer is None:
        raise NotFoundError(f"no volunteer {volunteer_id!r} in this association", code="volunteer_not_found")
    return volunteer


def list_volunteers(
    ctx: ServiceContext, association: Association, limit: int, offset: int
) -> Sequence[Volunteer]:
    return repo.volunteers_of(ctx.session, association.id, limit=limit, offset=offset)


def _check_activity(new: NewActivity) -> None:
    if new.language not in LANGUAGES:
        raise ValidationFailed(f"language must be one of {', '.join(LANGUAGES)}", code="unsupported_language")
    if new.end_date < new.start_date:
        raise ValidationFailed("end_date is before start_date", code="invalid_dates")
    if not 0 < new.hours <= MAX_HOURS:
        raise ValidationFailed(f"hours must be between 1 and {MAX_HOURS}", code="invalid_hours")
    for name in ("title", "description", "role", "coordinator_name", "coordinator_role"):
        if not str(getattr(new, name)).strip():
            raise ValidationFailed(f"{name} must not be empty", code="missing_field")
    if not new.skills:
        raise ValidationFailed("an activity needs at least one confirmed skill", code="no_skills")
    if len(new.skills) > MAX_SKILLS:
        raise ValidationFailed(f"at most {MAX_SKILLS} skills per activity", code="too_many_skills")
    seen: set[str] = set()
    for skill in new.skills:
        try:
            esco_skill_uuid(skill.uri)
        except ValueError:
            raise ValidationFailed(
                f"{skill.uri!r} is not an ESCO skill URI (http://data.europa.eu/esco/skill/<uuid>)",
                code="invalid_skill_uri",
            ) from None
        if skill.uri in seen:
            raise ValidationFailed(f"skill {skill.uri} is listed twice", code="duplicate_skill")
        seen.add(skill.uri)


def record_activity(ctx: ServiceContext, association: Association, new: NewActivity) -> Activity:
    """Record what a volunteer did, with the skills the coordinator confirmed.

    The mapper's suggestions for the description are kept beside the confirmed skills, for the
    record; the confirmed skills (every one an ESCO skill, labelled in the activity's language)
    are what gets issued.
    """
    _check_activity(new)
    volunteer = get_volunteer(ctx, association, new.volunteer_id)
    tasks = [t.strip() for t in new.tasks if t.strip()]
    suggested = mapping.suggestions_for_record(
        f"{new.title.strip()}. {new.description.strip()}",
        new.language,
        tasks=tasks,
        template_id=new.template_id,
    )
    activity = activity_row(ctx, association, volunteer.id, new, suggested=suggested)
    repo.add(ctx.session, activity)
    return activity


def activity_row(
    ctx: ServiceContext,
    association: Association,
    volunteer_id: str,
    new: NewActivity,
    *,
    suggested: list[dict[str, Any]] | None,
) -> Activity:
    """A checked activity row, not yet added to the session."""
    return Activity(**activity_values(ctx, association, volunteer_id, new, suggested=suggested))


def activity_values(
    ctx: ServiceContext,
    association: Association,
    volunteer_id: str,
    new: NewActivity,
    *,
    suggested: list[dict[str, Any]] | None,
    confirmed: list[dict[str, str]] | None = None,
    import_key: str | None = None,
    import_id: str | None = None,
) -> dict[str, Any]:
    """The column values of a checked activity (bulk imports insert them by the hundred).

    ``confirmed`` is the labelled skill list when the caller already has it for this set of
    skills and language (``mapping.confirmed_skills``); otherwise it is computed here.
    """
    _check_activity(new)
    if new.end_date > ctx.now().date():
        raise ValidationFailed("the activity cannot end in the future", code="date_in_future")
    return {
        "id": str(uuid.uuid4()),
        "association_id": association.id,
        "volunteer_id": volunteer_id,
        "title": new.title.strip(),
        "description": new.description.strip(),
        "role": new.role.strip(),
        "tasks": [t.strip() for t in new.tasks if t.strip()],
        "start_date": new.start_date,
        "end_date": new.end_date,
        "hours": new.hours,
        "location": new.location,
        "language": new.language,
        "coordinator_name": new.coordinator_name.strip(),
        "coordinator_role": new.coordinator_role.strip(),
        "skills": confirmed
        if confirmed is not None
        else mapping.confirmed_skills([s.uri for s in new.skills], new.language),
        "suggested_skills": suggested,
        "created_at": ctx.now(),
        "import_key": import_key,
        "import_id": import_id,
    }


def get_activity(ctx: ServiceContext, association: Association, activity_id: str) -> Activity:
    activity = repo.activity(ctx.session, association.id, activity_id)
    if activity is None:
        raise NotFoundError(f"no activity {activity_id!r} in this association", code="activity_not_found")
    return activity


def list_activities(
    ctx: ServiceContext, association: Association, limit: int, offset: int
) -> Sequence[Activity]:
    return repo.activities_of(ctx.session, association.id, limit=limit, offset=offset)
