"""OpenID4VCI 1.0 credential issuer of each association, its metadata, and its Token Status List.

The OAuth endpoints answer their errors as ``{"error", "error_description", "reason", "detail"}``
without rolling back the request's transaction: a wrong transaction code must stay counted.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from skills_vc.api.deps import AssociationDep, ContextDep
from skills_vc.api.metrics import observe_wallet_issuance
from skills_vc.services import associations, issuer_metadata, wallet_issuance, wallet_offers
from skills_vc.services.status_lists import TOKEN_LIST_PATH, signed_token_list
from skills_vc.services.wallet_offers import OAuthError

router = APIRouter(tags=["OpenID4VCI"])

_NO_STORE = {"Cache-Control": "no-store"}
_PUBLIC = {"Cache-Control": "public, max-age=300"}


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    configurations: list[str] | None = Field(default=None, max_length=2)


class OfferOut(BaseModel):
    offer_id: str
    credential_id: str
    credential_offer_uri: str
    offer_link: str
    tx_code: str
    expires_at: str
    configurations: list[str]


def _oauth_error(exc: OAuthError) -> JSONResponse:
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


def _json(body: dict[str, Any], headers: dict[str, str]) -> JSONResponse:
    return JSONResponse(body, headers=headers)


@router.post(
    "/credentials/{credential_id}/offers", status_code=status.HTTP_201_CREATED, response_model=OfferOut
)
def create_offer(
    credential_id: str, ctx: ContextDep, association: AssociationDep, body: OfferIn | None = None
) -> OfferOut:
    """A wallet offer (pre-authorized code + 6-digit tx_code) for one of the association's credentials.

    The tx_code is returned only here: give it to the volunteer apart from the QR or link.
    """
    offer = wallet_offers.create_offer(
        ctx, association, credential_id, body.configurations if body else None, actor=association.slug
    )
    return OfferOut(
        offer_id=offer.offer_id,
        credential_id=offer.credential_id,
        credential_offer_uri=offer.credential_offer_uri,
        offer_link=offer.offer_link,
        tx_code=offer.tx_code,
        expires_at=offer.expires_at.isoformat().replace("+00:00", "Z"),
        configurations=offer.configurations,
    )


@router.get("/.well-known/openid-credential-issuer/issuers/{slug}")
@router.get("/issuers/{slug}/.well-known/openid-credential-issuer")
def credential_issuer_metadata(slug: str, ctx: ContextDep) -> JSONResponse:
    return _json(issuer_metadata.credential_issuer_metadata(ctx, slug), _PUBLIC)


@router.get("/.well-known/oauth-authorization-server/issuers/{slug}")
@router.get("/issuers/{slug}/.well-known/oauth-authorization-server")
def authorization_server_metadata(slug: str, ctx: ContextDep) -> JSONResponse:
    return _json(issuer_metadata.authorization_server_metadata(ctx, slug), _PUBLIC)


@router.get("/.well-known/jwt-vc-issuer/issuers/{slug}")
def jwt_vc_issuer_metadata(slug: str, ctx: ContextDep) -> JSONResponse:
    """The association's SD-JWT VC signing keys (JWT VC Issuer Metadata)."""
    return _json(issuer_metadata.jwt_vc_issuer_metadata(ctx, slug), _PUBLIC)


@router.get("/issuers/{slug}/logo.svg", response_class=Response)
def logo(slug: str, ctx: ContextDep) -> Response:
    """The logo wallets show for the association (its initials on its colour)."""
    svg = issuer_metadata.logo_svg(associations.get(ctx, slug))
    return Response(svg, media_type="image/svg+xml", headers=_PUBLIC)


@router.get("/issuers/{slug}/oid4vci/offers/{offer_id}")
def credential_offer(slug: str, offer_id: str, ctx: ContextDep) -> JSONResponse:
    """The credential offer, by reference; 410 once it is used, burnt or expired."""
    return _json(wallet_offers.offer_document(ctx, slug, offer_id), _NO_STORE)


@router.post("/issuers/{slug}/oid4vci/token")
def token(
    slug: str,
    ctx: ContextDep,
    grant_type: Annotated[str, Form(max_length=200)] = "",
    pre_authorized_code: Annotated[str, Form(alias="pre-authorized_code", max_length=200)] = "",
    tx_code: Annotated[str, Form(max_length=50)] = "",
) -> JSONResponse:
    """Token endpoint (form-encoded): the pre-authorized code and its tx_code for an access token."""
    try:
        body = wallet_offers.token(
            ctx, slug, grant_type=grant_type, code=pre_authorized_code or None, tx_code=tx_code or None
        )
    except OAuthError as exc:
        return _oauth_error(exc)
    return _json(body, _NO_STORE)


@router.post("/issuers/{slug}/oid4vci/nonce")
def nonce(slug: str, ctx: ContextDep) -> JSONResponse:
    """A fresh single-use c_nonce for the proof of possession."""
    return _json(wallet_offers.new_nonce(ctx, slug), _NO_STORE)


@router.post("/issuers/{slug}/oid4vci/credential")
async def credential(slug: str, request: Request, ctx: ContextDep) -> JSONResponse:
    """Credential endpoint: the offered credential, bound to the key of the proof (``proofs.jwt``)."""
    scheme, _, access_token = request.headers.get("authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer" or not access_token.strip():
            raise OAuthError(
                "invalid_token", "token_missing", "send the access token as a Bearer token", status=401
            )
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise OAuthError(
                "invalid_credential_request", "body_not_json", "the request body is not a JSON object"
            )
        # The service blocks on the database (SQLite waits for its write lock): never on the loop.
        answer = await run_in_threadpool(
            observe_wallet_issuance(wallet_issuance.issue_to_wallet), ctx, slug, access_token.strip(), body
        )
    except OAuthError as exc:
        return _oauth_error(exc)
    return _json(answer, _NO_STORE)


@router.get(
    TOKEN_LIST_PATH + "/{slug}/{seq}",
    response_class=Response,
    responses={200: {"content": {"application/statuslist+jwt": {}}}, 304: {"description": "Not modified"}},
    tags=["status lists"],
)
def token_status_list(slug: str, seq: int, request: Request, ctx: ContextDep) -> Response:
    """The association's IETF Token Status List (SD-JWT VCs), a ``statuslist+jwt`` a CDN can cache."""
    signed = signed_token_list(ctx, slug, seq)
    headers = {"ETag": signed.etag, "Cache-Control": f"public, max-age={signed.ttl_ms // 1000}"}
    if signed.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content=signed.secured, media_type="application/statuslist+jwt", headers=headers)
