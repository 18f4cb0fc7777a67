"""The platform as an OpenID4VP 1.0 verifier: its DID document, request objects by reference and
the ``direct_post`` response endpoint. The counsellor's pages are in ``pages/ask_wallet.py``.

The response endpoint answers errors as ``{"error", "error_description", "reason", "detail"}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from skills_vc.api.deps import ContextDep, RemoteListsDep
from skills_vc.errors import OAuthError
from skills_vc.services import vp_requests

router = APIRouter(tags=["OpenID4VP"])

_NO_STORE = {"Cache-Control": "no-store"}
_MAX_FIELDS = 8


@router.get("/.well-known/did.json")
def platform_did_document(ctx: ContextDep) -> JSONResponse:
    """The platform's own ``did:web`` document: the key that signs its OpenID4VP requests."""
    return JSONResponse(
        vp_requests.platform_did_document(ctx), headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/verify/wallet/requests/{request_id}", response_class=Response)
def request_object(request_id: str, ctx: ContextDep) -> Response:
    """The signed request object (``oauth-authz-req+jwt``) of a counsellor's request."""
    token = vp_requests.request_object(ctx, request_id)
    return Response(token, media_type="application/oauth-authz-req+jwt", headers=_NO_STORE)


@router.post("/verify/wallet/responses/{request_id}")
async def response(
    request_id: str, request: Request, ctx: ContextDep, remote: RemoteListsDep
) -> JSONResponse:
    """The wallet's answer (form-encoded ``vp_token`` and ``state``, or ``error``)."""
    form = await request.form(max_files=0, max_fields=_MAX_FIELDS)
    fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        body = await run_in_threadpool(vp_requests.respond, ctx, request_id, fields, remote)
    except OAuthError as exc:
        return JSONResponse(exc.body(), status_code=exc.status, headers=_NO_STORE)
    return JSONResponse(body, headers=_NO_STORE)
