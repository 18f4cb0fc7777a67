"""The trust registry: associations, their accreditation, keys and DID documents."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response, status

from skills_vc.api import schemas, views
from skills_vc.api.deps import AssociationDep, ContextDep, OperatorDep, read_only_transaction
from skills_vc.errors import ForbiddenError
from skills_vc.services import associations, verify_cache

router = APIRouter(tags=["registry"])


@router.post(
    "/associations", status_code=status.HTTP_201_CREATED, response_model=schemas.RegisteredAssociation
)
def register_association(body: schemas.AssociationIn, ctx: ContextDep) -> schemas.RegisteredAssociation:
    """Register an association; it waits for the operator's accreditation before it can issue."""
    association, api_key = associations.register(ctx, associations.NewAssociation(**body.model_dump()))
    return schemas.RegisteredAssociation(association=views.association_out(ctx, association), api_key=api_key)


@router.get("/associations", response_model=list[schemas.AssociationOut])
def list_associations(
    ctx: ContextDep, accreditation_status: str | None = None
) -> list[schemas.AssociationOut]:
    """The public registry, optionally filtered by current accreditation status."""
    rows = associations.list_all(ctx)
    out = [views.association_out(ctx, a) for a in rows]
    return [a for a in out if accreditation_status in (None, a.accreditation_status)]


@router.get("/associations/{slug}", response_model=schemas.AssociationOut)
def get_association(slug: str, ctx: ContextDep) -> schemas.AssociationOut:
    return views.association_out(ctx, associations.get(ctx, slug))


@router.post("/associations/{slug}/accreditation", response_model=schemas.AssociationOut)
def change_accreditation(
    slug: str, body: schemas.AccreditationChange, ctx: ContextDep, operator: OperatorDep
) -> schemas.AssociationOut:
    """Operator only: accredit, suspend or withdraw an association (withdrawal is final)."""
    association = associations.change_accreditation(ctx, slug, body.status, body.reason, operator)
    return views.association_out(ctx, association)


@router.post("/associations/{slug}/keys/rotate", response_model=schemas.AssociationOut)
def rotate_key(
    slug: str, body: schemas.KeyRotation, ctx: ContextDep, association: AssociationDep
) -> schemas.AssociationOut:
    """Create a new signing key; older keys stay in the DID document so older credentials verify."""
    if association.slug != slug:
        raise ForbiddenError("an association may rotate only its own keys", code="not_your_association")
    associations.rotate_key(ctx, slug, body.key_type, association.slug)
    return views.association_out(ctx, associations.get(ctx, slug))


@router.get("/issuers/{slug}/did.json", dependencies=[Depends(read_only_transaction)])
def did_document(slug: str, ctx: ContextDep, response: Response) -> dict[str, Any]:
    """Read only (on SQLite it never waits for a writer); the document comes from the process's
    verification cache, emptied with it when a key changes."""
    response.headers["Cache-Control"] = "public, max-age=300"
    cache = verify_cache.cache_for(ctx.session, ctx.settings.verify_cache_seconds)
    return cache.get("did_document", slug, lambda: associations.document_for(ctx, slug))
