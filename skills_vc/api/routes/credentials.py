"""The calling association's issued credentials: list, get, revoke, suspend, unsuspend."""

from __future__ import annotations

from fastapi import APIRouter, Query

from skills_vc.api import schemas, views
from skills_vc.api.deps import AssociationDep, ContextDep
from skills_vc.services import revocation

router = APIRouter(tags=["credentials"])


@router.get("/credentials", response_model=list[schemas.CredentialOut])
def list_credentials(
    ctx: ContextDep,
    association: AssociationDep,
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0),
    volunteer_id: str | None = None,
) -> list[schemas.CredentialOut]:
    rows = revocation.list_credentials(
        ctx, association, limit=limit, offset=offset, volunteer_id=volunteer_id
    )
    return [views.credential_out(ctx, association, row) for row in rows]


@router.get("/credentials/{credential_id}", response_model=schemas.CredentialOut)
def get_credential(credential_id: str, ctx: ContextDep, association: AssociationDep) -> schemas.CredentialOut:
    return views.credential_out(ctx, association, revocation.get_credential(ctx, association, credential_id))


@router.post("/credentials/{credential_id}/revoke", response_model=schemas.CredentialOut)
def revoke(
    credential_id: str, body: schemas.StatusChange, ctx: ContextDep, association: AssociationDep
) -> schemas.CredentialOut:
    """Revoke for good (a reason is required)."""
    row = revocation.change_status(ctx, association, credential_id, "revoke", body.reason)
    return views.credential_out(ctx, association, row)


@router.post("/credentials/{credential_id}/suspend", response_model=schemas.CredentialOut)
def suspend(
    credential_id: str, body: schemas.StatusChange, ctx: ContextDep, association: AssociationDep
) -> schemas.CredentialOut:
    row = revocation.change_status(ctx, association, credential_id, "suspend", body.reason)
    return views.credential_out(ctx, association, row)


@router.post("/credentials/{credential_id}/unsuspend", response_model=schemas.CredentialOut)
def unsuspend(
    credential_id: str, body: schemas.StatusChange, ctx: ContextDep, association: AssociationDep
) -> schemas.CredentialOut:
    row = revocation.change_status(ctx, association, credential_id, "unsuspend", body.reason)
    return views.credential_out(ctx, association, row)
