"""Bitstring status lists, served as signed vc+jwt documents a CDN can cache."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from skills_vc.api.deps import ContextDep
from skills_vc.services.status_lists import signed_list

router = APIRouter(tags=["status lists"])


@router.get(
    "/status-lists/{slug}/{purpose}/{seq}",
    response_class=Response,
    responses={200: {"content": {"application/vc+jwt": {}}}, 304: {"description": "Not modified"}},
)
def status_list(slug: str, purpose: str, seq: int, request: Request, ctx: ContextDep) -> Response:
    signed = signed_list(ctx, slug, purpose, seq)
    headers = {
        "ETag": signed.etag,
        "Cache-Control": f"public, max-age={signed.ttl_ms // 1000}",
    }
    if signed.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content=signed.secured, media_type="application/vc+jwt", headers=headers)
