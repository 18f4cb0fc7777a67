"""Issue credentials: from a recorded activity, or from a credential a client sends (VC API).

Issuing allocates a random status index, builds and validates the credential, signs it and
stores it in one transaction; any failure leaves nothing written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from skills_vc.core.credential import (
    VC2_CONTEXT,
    ActivityClaims,
    IssuerClaims,
    SkillClaim,
    VolunteerClaims,
    build_credential,
    format_datetime,
)
from skills_vc.core.enterprise import format_enterprise_number
from skills_vc.core.formats import get_format
from skills_vc.core.formats.vcjwt import issuer_id
from skills_vc.core.schema import SchemaViolation, validate_credential
from skills_vc.core.status import status_entries
from skills_vc.errors import ConflictError, ForbiddenError, ValidationFailed
from skills_vc.services import associations, records
from skills_vc.services.context import ServiceContext
from skills_vc.services.status_lists import list_urls
from skills_vc.store import credentials as repo
from skills_vc.store.tables import Activity, Association, AuditEvent, Credential

__all__ = ["issue_activity", "issue_credential"]

# (credential id, credentialStatus entries) -> the unsigned credential.
DocumentBuilder = Callable[[str, list[dict[str, Any]]], dict[str, Any]]
_FORBIDDEN_INPUT = ("proof", "credentialStatus")


def _require_accredited(association: Association) -> None:
    status = associations.accreditation_status(association)
    if status != "accredited":
        raise ForbiddenError(
            f"the association is {status}: only accredited associations may issue",
            code="association_not_accredited",
        )


def _issue(
    ctx: ServiceContext,
    association: Association,
    build: DocumentBuilder,
    *,
    credential_id: str | None = None,
    volunteer_id: str | None = None,
    activity_id: str | None = None,
) -> Credential:
    _require_accredited(association)
    if credential_id is not None and repo.by_id(ctx.session, credential_id) is not None:
        raise ConflictError(f"a credential {credential_id!r} already exists", code="credential_id_taken")
    signer = associations.signer_for(ctx, association)
    fmt = get_format("vc+jwt")
    now = ctx.now()

    def row_for(seq: int, index: int) -> Credential:
        cid = credential_id or f"urn:uuid:{uuid.uuid4()}"
        document = build(cid, status_entries(list_urls(ctx, association, seq), index, cid))
        try:
            validate_credential(document)
        except SchemaViolation as exc:
            raise ValidationFailed(str(exc), code=exc.code) from exc
        valid_from = _parse(document["validFrom"])
        valid_until = _parse(document["validUntil"]) if "validUntil" in document else None
        return Credential(
            id=cid,
            association_id=association.id,
            activity_id=activity_id,
            volunteer_id=volunteer_id,
            status_list_seq=seq,
            status_index=index,
            format=fmt.name,
            secured=fmt.secure(document, signer, now=int(now.timestamp())),
            document=document,
            kid=signer.kid,
            issued_at=now,
            valid_from=valid_from,
            valid_until=valid_until,
        )

    row = repo.insert_with_status_index(ctx.session, row_for, association.id, ctx.settings.status_list_size)
    ctx.session.add(
        AuditEvent(association_id=association.id, subject=row.id, action="issued", actor=association.slug, at=now)
    )
    return row


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _issuer_claims(ctx: ServiceContext, association: Association) -> IssuerClaims:
    return IssuerClaims(
        did=associations.did_of(ctx, association),
        name=association.legal_name,
        enterprise_number=format_enterprise_number(association.enterprise_number),
        url=association.website,
        email=association.email,
    )


def issue_activity(ctx: ServiceContext, association: Association, activity_id: str) -> Credential:
    """Issue the OpenBadgeCredential attesting a recorded activity with its confirmed skills."""
    activity: Activity = records.get_activity(ctx, association, activity_id)
    volunteer = records.get_volunteer(ctx, association, activity.volunteer_id)
    now = ctx.now()
    days = ctx.settings.credential_validity_days
    issuer = _issuer_claims(ctx, association)
    claims = ActivityClaims(
        title=activity.title,
        description=activity.description,
        role=activity.role,
        start_date=activity.start_date,
        end_date=activity.end_date,
        hours=activity.hours,
        language=activity.language,
        coordinator_name=activity.coordinator_name,
        coordinator_role=activity.coordinator_role,
        skills=tuple(SkillClaim(s["uri"], s["label"]) for s in activity.skills),
        tasks=tuple(activity.tasks),
        location=activity.location,
    )
    holder = VolunteerClaims(name=volunteer.name, holder_did=volunteer.holder_did, email=volunteer.email)

    def build(cid: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
        return build_credential(
            credential_id=cid,
            issuer=issuer,
            volunteer=holder,
            activity=claims,
            valid_from=now,
            valid_until=now + timedelta(days=days) if days else None,
            credential_status=entries,
        )

    return _issue(ctx, association, build, volunteer_id=volunteer.id, activity_id=activity.id)


def issue_credential(ctx: ServiceContext, association: Association, credential: dict[str, Any]) -> Credential:
    """VC API issuance: secure a client's credential as this association, adding its status."""
    for name in _FORBIDDEN_INPUT:
        if name in credential:
            raise ValidationFailed(
                f"the credential to issue must not carry {name}: the issuer adds it",
                code=f"{name.lower()}_not_allowed",
            )
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC2_CONTEXT:
        raise ValidationFailed(f"@context must be a list starting with {VC2_CONTEXT}", code="invalid_context")
    did = associations.did_of(ctx, association)
    given = issuer_id(credential) if "issuer" in credential else did
    if given != did:
        raise ForbiddenError(f"this API key issues only as {did}, not {given}", code="issuer_mismatch")
    credential_id = credential.get("id")
    if credential_id is not None and (not isinstance(credential_id, str) or ":" not in credential_id):
        raise ValidationFailed("id must be a URL", code="invalid_credential_id")
    now = ctx.now()

    def build(cid: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
        document = {**credential, "id": cid}
        document.setdefault("issuer", did)
        document.setdefault("validFrom", format_datetime(now))
        document["credentialStatus"] = entries[0] if len(entries) == 1 else entries
        return document

    return _issue(ctx, association, build, credential_id=credential_id)
