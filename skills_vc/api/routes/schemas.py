"""The project's published schemas (the files of ``schemas/``) and the SD-JWT VC type metadata.

Public and cacheable: they change only with a deployment. Anything that is not a file of the
folder, ``..`` and encoded slashes included, is ``404 schema_not_found``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from skills_vc.published import render

__all__ = ["TYPE_METADATA", "router"]

router = APIRouter(tags=["schemas"])

TYPE_METADATA = "volunteer-activity.type-metadata.json"
_CACHE_CONTROL = "public, max-age=3600"


def _public_url(request: Request) -> str:
    return str(request.app.state.settings.public_url).rstrip("/")


# ``{name:path}`` so that a name with slashes reaches the handler and gets the same 404 as any other
# unknown name, instead of the router's own.
@router.get(
    "/schemas/{name:path}",
    response_class=Response,
    responses={
        200: {"content": {"application/schema+json": {}, "application/json": {}, "application/cddl": {}}},
        404: {"description": "No published file by that name (`schema_not_found`)"},
    },
)
def published_schema(name: str, request: Request) -> Response:
    """A JSON Schema, the CDDL of the paper QR, the CSV format of bulk issuance, or the type metadata."""
    document = render(name, _public_url(request))
    return Response(
        document.content, media_type=document.media_type, headers={"Cache-Control": _CACHE_CONTROL}
    )


@router.get(
    "/vct/volunteer-activity",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def volunteer_activity_type(request: Request) -> Response:
    """The SD-JWT VC Type Metadata of the ``vct`` this URL is (draft-ietf-oauth-sd-jwt-vc)."""
    document = render(TYPE_METADATA, _public_url(request))
    return Response(
        document.content, media_type="application/json", headers={"Cache-Control": _CACHE_CONTROL}
    )
