"""Staff accounts of an association (who signs in to the association portal).

An association manages its own accounts with its API key; the operator's key may manage those of
any association. Passwords are write-only: no response holds a password or its hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from skills_vc.api.deps import ContextDep, is_operator_key
from skills_vc.errors import AuthenticationError, ForbiddenError
from skills_vc.services import associations, staff
from skills_vc.store import associations as association_repo
from skills_vc.store.tables import Association, StaffAccount

__all__ = ["StaffIn", "StaffOut", "router"]

router = APIRouter(tags=["staff accounts"])


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, examples=["coordinatrice@couturieres.example"])
    name: str = Field(min_length=1, max_length=200, examples=["Marie Dubois"])
    password: str = Field(
        min_length=1,
        max_length=staff.MAX_PASSWORD_LENGTH,
        description="at least 12 characters, not one character repeated, not the email address",
    )


class StaffOut(BaseModel):
    id: int
    email: str
    name: str
    association: str
    created_at: datetime
    disabled_at: datetime | None
    last_sign_in_at: datetime | None


def _staff_out(account: StaffAccount, association: Association) -> StaffOut:
    return StaffOut(
        id=account.id,
        email=account.email,
        name=account.name,
        association=association.slug,
        created_at=account.created_at,
        disabled_at=account.disabled_at,
        last_sign_in_at=account.last_sign_in_at,
    )


def _managed_association(slug: str, request: Request, ctx: ContextDep) -> Association:
    """The association ``slug``, when the caller is that association or the operator."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("send the API key as 'Authorization: Bearer <key>'", code="unauthenticated")
    # Constant-time comparisons (the previous keys too, during a rotation).
    if is_operator_key(request.app.state, token):
        return associations.get(ctx, slug)
    caller = association_repo.by_api_key_hash(ctx.session, associations.hash_api_key(token))
    if caller is None:
        raise AuthenticationError("the API key is not valid", code="invalid_api_key")
    if caller.slug != slug:
        raise ForbiddenError(
            "an association may manage only its own staff accounts", code="not_your_association"
        )
    return caller


ManagedAssociation = Annotated[Association, Depends(_managed_association)]


@router.post(
    "/associations/{slug}/staff",
    status_code=status.HTTP_201_CREATED,
    response_model=StaffOut,
)
def create_staff(body: StaffIn, ctx: ContextDep, association: ManagedAssociation) -> StaffOut:
    """Create a staff account that signs in to the association portal (also while pending)."""
    account = staff.create_account(ctx, association.slug, body.email, body.name, body.password)
    return _staff_out(account, association)


@router.get("/associations/{slug}/staff", response_model=list[StaffOut])
def list_staff(ctx: ContextDep, association: ManagedAssociation) -> list[StaffOut]:
    """The association's staff accounts, by email."""
    return [_staff_out(a, association) for a in staff.list_accounts(ctx, association)]
