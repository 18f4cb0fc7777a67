"""W3C VC API (VCALM): issue, verify credentials and presentations, and update status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse

from skills_vc.api import schemas, views
from skills_vc.api.deps import AssociationDep, ContextDep, RemoteListsDep, read_only_request
from skills_vc.api.metrics import observe_presentation, observe_verification
from skills_vc.core.formats.vcjwt import wrap_envelope
from skills_vc.services import issuance, revocation, verification, vp_verification

router = APIRouter(tags=["VC API"])


@router.post("/credentials/issue", status_code=status.HTTP_201_CREATED, response_model=schemas.IssueResponse)
def issue(body: schemas.IssueRequest, ctx: ContextDep, association: AssociationDep) -> schemas.IssueResponse:
    """Secure the credential as the calling association (vc+jwt), adding its credentialStatus."""
    credential = dict(body.credential)
    if body.options and body.options.credentialId and "id" not in credential:
        credential["id"] = body.options.credentialId
    row = issuance.issue_credential(ctx, association, credential)
    return schemas.IssueResponse(verifiableCredential=wrap_envelope(row.secured))


@router.post(
    "/credentials/verify",
    responses={400: {"description": "Not verified; the body carries the full report."}},
    dependencies=[Depends(read_only_request)],
)
def verify(body: schemas.VerifyRequest, ctx: ContextDep, remote: RemoteListsDep) -> JSONResponse:
    """Verify a credential: 200 with the report when verified, 400 with the report otherwise."""
    report = observe_verification(verification.verify(ctx, body.verifiableCredential, remote)).as_dict()
    if report["verified"]:
        return JSONResponse(report, status_code=200)
    failed = next((c for c in report["checks"] if c["status"] == "failed"), None)
    body_out: dict[str, Any] = {
        "error": failed["code"] if failed else "not_verified",
        "detail": failed["message"]["en"] if failed else "the credential is not verified",
        **report,
    }
    return JSONResponse(body_out, status_code=400)


@router.post(
    "/presentations/verify",
    responses={400: {"description": "Not verified; the body carries the full report."}},
    dependencies=[Depends(read_only_request)],
)
def verify_presentation(
    body: schemas.PresentationVerifyRequest, ctx: ContextDep, remote: RemoteListsDep
) -> JSONResponse:
    """Verify a presentation and every credential in it: 200 when verified, 400 with the report."""
    given = body.options or schemas.PresentationOptionsIn()
    options = vp_verification.PresentationOptions(challenge=given.challenge, domain=given.domain)
    report = observe_presentation(vp_verification.verify(ctx, body.verifiablePresentation, options, remote))
    if report.verified:
        return JSONResponse(report.as_dict(), status_code=200)
    code, detail = report.error()
    return JSONResponse({"error": code, "detail": detail, **report.as_dict()}, status_code=400)


@router.post("/credentials/status", response_model=schemas.CredentialOut)
def update_status(
    body: schemas.StatusRequest, ctx: ContextDep, association: AssociationDep
) -> dict[str, Any]:
    """Set or clear a credential's revocation or suspension status (revocation cannot be cleared)."""
    entries = body.credentialStatus if isinstance(body.credentialStatus, list) else [body.credentialStatus]
    for entry in entries:
        action = revocation.action_for(entry.statusPurpose, body.status)
        revocation.change_status(
            ctx, association, body.credentialId, action, body.reason or "VC API status update"
        )
    row = revocation.get_credential(ctx, association, body.credentialId)
    return views.credential_out(ctx, association, row).model_dump(mode="json")
