"""Issue credentials: from recorded activities (one or a batch), or from a client's credential
(VC API).

Issuing allocates random status indexes, builds and validates each credential, signs it and
stores it, all in the caller's transaction: any failure leaves no credential written (on
PostgreSQL the status list counters keep what was reserved, see ``StatusListCounter``). One code
path serves a single credential and a batch of hundreds, so the batch is what gets optimised; a
batch may span two status lists when the newest one fills up.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from skills_vc.core.status import StatusPurpose, status_entries
from skills_vc.errors import ConflictError, ForbiddenError, NotFoundError, ValidationFailed
from skills_vc.services import associations
from skills_vc.services.context import ServiceContext
from skills_vc.services.status_lists import list_urls
from skills_vc.store import credentials as repo
from skills_vc.store import records as records_repo
from skills_vc.store.tables import Activity, Association, Volunteer

__all__ = [
    "MAX_BATCH",
    "IssuedCredential",
    "issue_activities",
    "issue_activity",
    "issue_credential",
    "require_accredited",
]

MAX_BATCH = 1000
# (credential id, credentialStatus entries) -> the unsigned credential.
DocumentBuilder = Callable[[str, list[dict[str, Any]]], dict[str, Any]]
_FORBIDDEN_INPUT = ("proof", "credentialStatus")


@dataclass(frozen=True)
class IssuedCredential:
    """A credential just issued: the stored row's values and the credential it secures."""

    id: str
    association_id: int
    activity_id: str | None
    volunteer_id: str | None
    status_list_seq: int
    status_index: int
    format: str
    secured: str
    kid: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    document: dict[str, Any]
    revoked_at: datetime | None = None
    suspended_at: datetime | None = None
    revocation_reason: str | None = None
    suspension_reason: str | None = None


@dataclass(frozen=True)
class _Request:
    """One credential to issue: how to build it, and what it is about."""

    build: DocumentBuilder
    credential_id: str | None = None
    volunteer_id: str | None = None
    activity_id: str | None = None


def require_accredited(association: Association) -> None:
    """Refuse (403 ``association_not_accredited``) an association that may not issue now."""
    status = associations.accreditation_status(association)
    if status != "accredited":
        raise ForbiddenError(
            f"the association is {status}: only accredited associations may issue",
            code="association_not_accredited",
        )


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _issue(
    ctx: ServiceContext, association: Association, requests: Sequence[_Request]
) -> list[IssuedCredential]:
    require_accredited(association)
    for request in requests:
        if request.credential_id is not None and repo.by_id(ctx.session, request.credential_id) is not None:
            raise ConflictError(
                f"a credential {request.credential_id!r} already exists", code="credential_id_taken"
            )
    signer = associations.signer_for(ctx, association)
    fmt = get_format("vc+jwt")
    now = ctx.now()
    iat = int(now.timestamp())

    documents: list[dict[str, Any]] = []

    def rows_for(positions: Sequence[repo.Position]) -> list[dict[str, Any]]:
        urls: dict[int, dict[StatusPurpose, str]] = {}
        documents.clear()
        for request, (seq, index) in zip(requests, positions, strict=True):
            if seq not in urls:
                urls[seq] = list_urls(ctx, association, seq)
            cid = request.credential_id or f"urn:uuid:{uuid.uuid4()}"
            document = request.build(cid, status_entries(urls[seq], index, cid))
            try:
                validate_credential(document)
            except SchemaViolation as exc:
                raise ValidationFailed(str(exc), code=exc.code) from exc
            documents.append(document)
        secured = fmt.secure_many(documents, signer, now=iat)
        return [
            {
                "id": document["id"],
                "association_id": association.id,
                "activity_id": request.activity_id,
                "volunteer_id": request.volunteer_id,
                "status_list_seq": seq,
                "status_index": index,
                "format": fmt.name,
                "secured": token,
                "kid": signer.kid,
                "issued_at": now,
                "valid_from": _parse(document["validFrom"]),
                "valid_until": _parse(document["validUntil"]) if "validUntil" in document else None,
            }
            for request, (seq, index), document, token in zip(
                requests, positions, documents, secured, strict=True
            )
        ]

    rows = repo.insert_with_status_indexes(
        ctx.session, rows_for, association.id, ctx.settings.status_list_size, len(requests)
    )
    repo.add_audit_events(
        ctx.session,
        [
            {
                "association_id": association.id,
                "subject": row["id"],
                "action": "issued",
                "actor": association.slug,
                "at": now,
            }
            for row in rows
        ],
    )
    return [IssuedCredential(document=document, **row) for row, document in zip(rows, documents, strict=True)]


def _issuer_claims(ctx: ServiceContext, association: Association) -> IssuerClaims:
    return IssuerClaims(
        did=associations.did_of(ctx, association),
        name=association.legal_name,
        enterprise_number=format_enterprise_number(association.enterprise_number),
        url=association.website,
        email=association.email,
    )


def _activity_request(
    ctx: ServiceContext, issuer: IssuerClaims, activity: Activity, volunteer: Volunteer, now: datetime
) -> _Request:
    days = ctx.settings.credential_validity_days
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

    return _Request(build=build, volunteer_id=volunteer.id, activity_id=activity.id)


def issue_activities(
    ctx: ServiceContext, association: Association, activity_ids: Sequence[str]
) -> list[IssuedCredential]:
    """Issue the OpenBadgeCredential of each recorded activity, all in one transaction."""
    if not 0 < len(activity_ids) <= MAX_BATCH:
        raise ValidationFailed(f"a batch holds 1 to {MAX_BATCH} activities", code="invalid_batch_size")
    activities = records_repo.activities_by_id(ctx.session, association.id, activity_ids)
    missing = [i for i in activity_ids if i not in activities]
    if missing:
        raise NotFoundError(f"no activity {missing[0]!r} in this association", code="activity_not_found")
    volunteers = records_repo.volunteers_by_id(
        ctx.session, association.id, sorted({a.volunteer_id for a in activities.values()})
    )
    issuer = _issuer_claims(ctx, association)
    now = ctx.now()
    requests = [
        _activity_request(ctx, issuer, activities[i], volunteers[activities[i].volunteer_id], now)
        for i in activity_ids
    ]
    return _issue(ctx, association, requests)


def issue_activity(ctx: ServiceContext, association: Association, activity_id: str) -> IssuedCredential:
    """Issue the OpenBadgeCredential attesting one recorded activity with its confirmed skills."""
    return issue_activities(ctx, association, [activity_id])[0]


def issue_credential(
    ctx: ServiceContext, association: Association, credential: dict[str, Any]
) -> IssuedCredential:
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

    return _issue(ctx, association, [_Request(build=build, credential_id=credential_id)])[0]
