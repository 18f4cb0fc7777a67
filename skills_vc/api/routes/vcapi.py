"""W3C VC API (VCALM): issue, verify credentials and presentations, and update status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from skills_vc.api import schemas, views
from skills_vc.api.deps import AssociationDep, ContextDep, app_context
from skills_vc.api.metrics import observe_presentation, observe_verification
from skills_vc.core.checks import Report
from skills_vc.core.formats.vcjwt import wrap_envelope
from skills_vc.core.vp_report import PresentationReport
from skills_vc.services import issuance, revocation, verification, vp_verification
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.services.verification import RemoteStatusLists

router = APIRouter(tags=["VC API"])

T = TypeVar("T")


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
)
async def verify(body: schemas.VerifyRequest, request: Request) -> Response:
    """Verify a credential: 200 with the report when verified, 400 with the report otherwise."""
    state = request.app.state
    remote: RemoteStatusLists = state.remote_lists

    def work(ctx: ServiceContext) -> Report:
        return verification.verify(ctx, body.verifiableCredential, remote)

    # Answered on the event loop when all it needs is in memory (the usual case: no I/O, about
    # 200 µs of CPU); otherwise in a worker thread, which may read the database or fetch a list.
    found = verification.verify_in_memory(
        state.engine, state.settings, state.clock, body.verifiableCredential, remote
    )
    report = observe_verification(found if found is not None else await _read_only(request, work)).as_dict()
    if report["verified"]:
        return _json(report, 200)
    failed = next((c for c in report["checks"] if c["status"] == "failed"), None)
    body_out: dict[str, Any] = {
        "error": failed["code"] if failed else "not_verified",
        "detail": failed["message"]["en"] if failed else "the credential is not verified",
        **report,
    }
    return _json(body_out, 400)


@router.post(
    "/presentations/verify",
    responses={400: {"description": "Not verified; the body carries the full report."}},
)
async def verify_presentation(body: schemas.PresentationVerifyRequest, request: Request) -> Response:
    """Verify a presentation and every credential in it: 200 when verified, 400 with the report."""
    given = body.options or schemas.PresentationOptionsIn()
    options = vp_verification.PresentationOptions(challenge=given.challenge, domain=given.domain)
    remote: RemoteStatusLists = request.app.state.remote_lists

    def work(ctx: ServiceContext) -> PresentationReport:
        return vp_verification.verify(ctx, body.verifiablePresentation, options, remote)

    report = observe_presentation(await _read_only(request, work))
    if report.verified:
        return _json(report.as_dict(), 200)
    code, detail = report.error()
    return _json({"error": code, "detail": detail, **report.as_dict()}, 400)


async def _read_only(request: Request, work: Callable[[ServiceContext], T]) -> T:
    """``work`` in a read-only transaction of its own (on SQLite it never waits for a writer),
    committed when it returns and rolled back if it raises.

    All of it runs in one worker thread, where ``read_only_request``, ``ContextDep`` (entered and
    left) and the handler took one each: five hand-offs to a thread a request, at about 70 µs of
    CPU each. It stays off the event loop: a verification that is not all in memory may fetch a
    status list hosted elsewhere (up to ``SKILLS_VC_STATUS_FETCH_DEADLINE_SECONDS``) or read the
    database, and on the loop that would hold up every other request of the worker meanwhile.
    """
    state = request.app.state

    def run() -> T:
        with transaction(state.read_only_session_factory) as session:
            return work(app_context(state, session))

    return await run_in_threadpool(run)


def _json(content: dict[str, Any], status_code: int) -> Response:
    """``content`` as JSON, written by orjson: a report carries the whole credential, several KB.

    The bytes are those of ``JSONResponse`` (no spaces, UTF-8 as it is) but for how a float is
    spelled; an integer beyond 64 bits, which orjson refuses, goes through ``JSONResponse``.
    """
    try:
        encoded = orjson.dumps(content)
    except orjson.JSONEncodeError:
        return JSONResponse(content, status_code=status_code)
    return Response(encoded, status_code=status_code, media_type="application/json")


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
