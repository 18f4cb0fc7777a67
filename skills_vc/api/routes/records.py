"""Volunteers and activities of the calling association, and issuance from an activity."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from skills_vc.api import schemas, views
from skills_vc.api.deps import AssociationDep, ContextDep
from skills_vc.services import issuance, records

router = APIRouter(tags=["volunteers and activities"])

Limit = Query(default=50, ge=1, le=200)
Offset = Query(default=0, ge=0)


@router.post("/volunteers", status_code=status.HTTP_201_CREATED, response_model=schemas.VolunteerOut)
def create_volunteer(
    body: schemas.VolunteerIn, ctx: ContextDep, association: AssociationDep
) -> schemas.VolunteerOut:
    volunteer = records.record_volunteer(ctx, association, records.NewVolunteer(**body.model_dump()))
    return views.volunteer_out(volunteer)


@router.get("/volunteers", response_model=list[schemas.VolunteerOut])
def list_volunteers(
    ctx: ContextDep, association: AssociationDep, limit: int = Limit, offset: int = Offset
) -> list[schemas.VolunteerOut]:
    return [views.volunteer_out(v) for v in records.list_volunteers(ctx, association, limit, offset)]


@router.get("/volunteers/{volunteer_id}", response_model=schemas.VolunteerOut)
def get_volunteer(volunteer_id: str, ctx: ContextDep, association: AssociationDep) -> schemas.VolunteerOut:
    return views.volunteer_out(records.get_volunteer(ctx, association, volunteer_id))


@router.post("/activities", status_code=status.HTTP_201_CREATED, response_model=schemas.ActivityOut)
def create_activity(
    body: schemas.ActivityIn, ctx: ContextDep, association: AssociationDep
) -> schemas.ActivityOut:
    """Record an activity with the skills the coordinator confirmed."""
    data = body.model_dump()
    data["skills"] = [records.SkillRef(**s) for s in data["skills"]]
    activity = records.record_activity(ctx, association, records.NewActivity(**data))
    return views.activity_out(activity)


@router.get("/activities", response_model=list[schemas.ActivityOut])
def list_activities(
    ctx: ContextDep, association: AssociationDep, limit: int = Limit, offset: int = Offset
) -> list[schemas.ActivityOut]:
    return [views.activity_out(a) for a in records.list_activities(ctx, association, limit, offset)]


@router.get("/activities/{activity_id}", response_model=schemas.ActivityOut)
def get_activity(activity_id: str, ctx: ContextDep, association: AssociationDep) -> schemas.ActivityOut:
    return views.activity_out(records.get_activity(ctx, association, activity_id))


@router.post(
    "/activities/{activity_id}/credentials",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.CredentialOut,
)
def issue_for_activity(
    activity_id: str, ctx: ContextDep, association: AssociationDep
) -> schemas.CredentialOut:
    """Issue the volunteer's Open Badges 3.0 credential for this activity (as vc+jwt)."""
    row = issuance.issue_activity(ctx, association, activity_id)
    return views.credential_out(ctx, association, row)


@router.post(
    "/activities/credentials", status_code=status.HTTP_201_CREATED, response_model=list[schemas.CredentialOut]
)
def issue_batch(
    body: schemas.BatchIssue, ctx: ContextDep, association: AssociationDep
) -> list[schemas.CredentialOut]:
    """Issue the credentials of many recorded activities at once: all of them, or none."""
    rows = issuance.issue_activities(ctx, association, body.activity_ids)
    return [views.credential_out(ctx, association, row) for row in rows]
