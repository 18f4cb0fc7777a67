"""Rows to HTTP response models."""

from __future__ import annotations

from skills_vc.api import schemas
from skills_vc.core.enterprise import format_enterprise_number
from skills_vc.core.formats import get_format
from skills_vc.core.formats.vcjwt import wrap_envelope
from skills_vc.services import associations
from skills_vc.services.context import ServiceContext
from skills_vc.services.issuance import IssuedCredential
from skills_vc.services.revocation import state_of
from skills_vc.services.status_lists import list_urls
from skills_vc.store import associations as association_repo
from skills_vc.store.tables import Activity, Association, Credential, Volunteer

__all__ = ["activity_out", "association_out", "credential_out", "volunteer_out"]


def association_out(ctx: ServiceContext, association: Association) -> schemas.AssociationOut:
    did = associations.did_of(ctx, association)
    return schemas.AssociationOut(
        slug=association.slug,
        did=did,
        legal_name=association.legal_name,
        enterprise_number=format_enterprise_number(association.enterprise_number),
        email=association.email,
        website=association.website,
        accreditation_status=associations.accreditation_status(association),
        accreditation_history=[
            schemas.AccreditationOut(status=e.status, at=e.at, reason=e.reason, actor=e.actor)
            for e in association.events
        ],
        keys=[
            schemas.KeyOut(
                kid=f"{did}#{k.fragment}",
                algorithm=k.algorithm,
                public_jwk=k.public_jwk,
                created_at=k.created_at,
                retired_at=k.retired_at,
            )
            for k in association_repo.keys_of(ctx.session, association.id)
        ],
    )


def volunteer_out(row: Volunteer) -> schemas.VolunteerOut:
    return schemas.VolunteerOut(
        id=row.id, name=row.name, email=row.email, holder_did=row.holder_did, created_at=row.created_at
    )


def activity_out(row: Activity) -> schemas.ActivityOut:
    return schemas.ActivityOut.model_validate(row, from_attributes=True)


def credential_out(
    ctx: ServiceContext, association: Association, row: Credential | IssuedCredential
) -> schemas.CredentialOut:
    return schemas.CredentialOut(
        id=row.id,
        state=state_of(row),
        format=row.format,
        issuer=associations.did_of(ctx, association),
        volunteer_id=row.volunteer_id,
        activity_id=row.activity_id,
        issued_at=row.issued_at,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revocation_reason=row.revocation_reason,
        suspension_reason=row.suspension_reason,
        status_list_index=row.status_index,
        status_lists=dict(list_urls(ctx, association, row.status_list_seq)),
        verifiable_credential=wrap_envelope(row.secured),
        jwt=row.secured,
        credential=row.document
        if isinstance(row, IssuedCredential)
        else get_format(row.format).read(row.secured),
    )
