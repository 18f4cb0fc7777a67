"""Revoke (final), suspend and unsuspend credentials: only by the association that issued them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from skills_vc.errors import ConflictError, NotFoundError, ValidationFailed
from skills_vc.services.context import ServiceContext
from skills_vc.services.issuance import IssuedCredential
from skills_vc.services.status_lists import refresh_lists
from skills_vc.store import credentials as repo
from skills_vc.store.tables import Association, AuditEvent, Credential

__all__ = ["Action", "action_for", "change_status", "get_credential", "list_credentials", "state_of"]

Action = Literal["revoke", "suspend", "unsuspend"]
MAX_REASON = 1000


def get_credential(
    ctx: ServiceContext, association: Association, credential_id: str, *, for_update: bool = False
) -> Credential:
    """The association's own credential; another association's is reported as not found."""
    row = repo.by_id(ctx.session, credential_id, for_update=for_update)
    if row is None or row.association_id != association.id:
        raise NotFoundError(
            f"no credential {credential_id!r} issued by this association", code="credential_not_found"
        )
    return row


def list_credentials(
    ctx: ServiceContext, association: Association, *, limit: int, offset: int, volunteer_id: str | None
) -> Sequence[Credential]:
    return repo.list_of(ctx.session, association.id, limit=limit, offset=offset, volunteer_id=volunteer_id)


def state_of(row: Credential | IssuedCredential) -> Literal["active", "suspended", "revoked"]:
    if row.revoked_at is not None:
        return "revoked"
    if row.suspended_at is not None:
        return "suspended"
    return "active"


def action_for(purpose: str, set_status: bool) -> Action:
    """The action a VC API status update means; clearing a revocation is refused."""
    if purpose == "revocation":
        if not set_status:
            raise ConflictError("revocation is final and cannot be cleared", code="revocation_final")
        return "revoke"
    return "suspend" if set_status else "unsuspend"


def change_status(
    ctx: ServiceContext,
    association: Association,
    credential_id: str,
    action: Action,
    reason: str | None,
    actor: str | None = None,
) -> Credential:
    """Revoke, suspend or unsuspend; ``actor`` (the association by default) goes to the audit trail."""
    row = get_credential(ctx, association, credential_id, for_update=True)
    reason = (reason or "").strip() or None
    if action in ("revoke", "suspend") and reason is None:
        raise ValidationFailed(f"a reason is required to {action} a credential", code="reason_required")
    if reason is not None and len(reason) > MAX_REASON:
        raise ValidationFailed(f"the reason is longer than {MAX_REASON} characters", code="reason_too_long")
    if row.revoked_at is not None:
        raise ConflictError("the credential is revoked; revocation is final", code="already_revoked")
    now = ctx.now()
    if action == "revoke":
        row.revoked_at, row.revocation_reason = now, reason
    elif action == "suspend":
        if row.suspended_at is not None:
            raise ConflictError("the credential is already suspended", code="already_suspended")
        row.suspended_at, row.suspension_reason = now, reason
    else:
        if row.suspended_at is None:
            raise ConflictError("the credential is not suspended", code="not_suspended")
        row.suspended_at, row.suspension_reason = None, None
    row.status_changed_at = now
    ctx.session.flush()
    refresh_lists(ctx, association, row.status_list_seq)
    ctx.session.add(
        AuditEvent(
            association_id=association.id,
            subject=row.id,
            action=action,
            reason=reason,
            actor=(actor or association.slug)[:64],
            at=now,
        )
    )
    ctx.session.flush()
    return row
