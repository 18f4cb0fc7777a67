"""The volunteer's link: a page where the volunteer, without an account, downloads their credential.

The link holds the credential id, signed (HMAC-SHA256, a key derived from the master key) with an
expiry of :data:`SHARE_DAYS` days read from the application's clock. It shows only that
credential; once revoked, the page says so and offers nothing to download. Anyone holding the link
can open it, as with any emailed download link: the coordinator sends it to the volunteer only.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from skills_vc.api.deps import ContextDep, read_only_transaction
from skills_vc.api.pages import security
from skills_vc.api.pages.error_pages import error_page_route
from skills_vc.api.pages.i18n import LANGS, choose_lang
from skills_vc.api.pages.routes import render
from skills_vc.api.pages.wallet_offer import OfferView, offer_view
from skills_vc.core.formats import get_format
from skills_vc.errors import ConflictError, NotFoundError
from skills_vc.services import certificate, paper, revocation, wallet_offers
from skills_vc.services.context import ServiceContext
from skills_vc.services.presentation import grouped_skills
from skills_vc.store import credentials as credentials_repo
from skills_vc.store.tables import Association, Credential

__all__ = ["SHARE_DAYS", "attachment", "envelope", "router", "share_link"]

SHARE_DAYS = 365
_PREFIX = "/c"
_PURPOSE = "share-link"


def share_link(request: Request, credential_id: str) -> str:
    """The absolute link of ``credential_id``'s page for its volunteer."""
    token = security.sign(request, _PURPOSE, {"cid": credential_id}, SHARE_DAYS * 24 * 3600)
    return f"{str(request.app.state.settings.public_url).rstrip('/')}{_PREFIX}/{token}"


def _credential_id(request: Request, token: str) -> str:
    payload = security.unsign(request, _PURPOSE, token)
    if payload is None or not isinstance(payload.get("cid"), str):
        raise NotFoundError("this link is not valid or has expired", code="invalid_link")
    return str(payload["cid"])


def _load(ctx: ServiceContext, request: Request, token: str) -> tuple[Credential, Association]:
    row = credentials_repo.by_id(ctx.session, _credential_id(request, token))
    association = ctx.session.get(Association, row.association_id) if row is not None else None
    if row is None or association is None:
        raise NotFoundError("this link is not valid or has expired", code="invalid_link")
    return row, association


def _error_page(request: Request, code: str, status: int) -> Response:
    return render(request, "holder.html", status, error=code, switch_path=request.url.path)


router = APIRouter(
    tags=["web pages"],
    route_class=error_page_route(_error_page),
    include_in_schema=False,
    dependencies=[Depends(read_only_transaction)],
)


def attachment(body: bytes, media_type: str, filename: str) -> Response:
    """A download that is neither cached nor sniffed (the portal's downloads use it too)."""
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def envelope(row: Credential) -> dict[str, Any]:
    """The credential as JSON: an ``EnvelopedVerifiableCredential`` holding the ``vc+jwt``."""
    return {
        "verifiableCredential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": f"data:application/vc+jwt,{row.secured}",
            "type": "EnvelopedVerifiableCredential",
        }
    }


def _live(row: Credential) -> None:
    if row.revoked_at is not None:
        raise ConflictError("the association revoked this credential", code="credential_revoked")


@router.get(_PREFIX + "/{token}", response_class=HTMLResponse)
def holder_page(request: Request, token: str, ctx: ContextDep) -> HTMLResponse:
    """The volunteer's page: their credential, its state, the downloads, and "Add to my wallet"."""
    return _holder_page(request, token, ctx, None)


@router.post(_PREFIX + "/{token}/wallet", response_class=HTMLResponse)
def wallet_offer(request: Request, token: str, ctx: ContextDep) -> HTMLResponse:
    """A new wallet offer for the volunteer (it replaces an unused one), shown with its code.

    The link itself is the volunteer's key to their credential, as for the downloads.
    """
    row, association = _load(ctx, request, token)
    offer = wallet_offers.create_offer(ctx, association, row.id, actor="volunteer-link")
    return _holder_page(request, token, ctx, offer_view(offer, ctx.settings.demo_wallet_url))


def _holder_page(request: Request, token: str, ctx: ServiceContext, offer: OfferView | None) -> HTMLResponse:
    row, association = _load(ctx, request, token)
    document = get_format(row.format).read(row.secured)
    subject = document.get("credentialSubject", {})
    achievement = subject.get("achievement", {})
    uris = [a.get("targetUrl", "") for a in achievement.get("alignment", []) if isinstance(a, dict)]
    return render(
        request,
        "holder.html",
        token=token,
        state=revocation.state_of(row),
        volunteer=subject.get("name", ""),
        activity=achievement.get("name", ""),
        association=association.legal_name,
        skills=grouped_skills(uris, choose_lang(request)),
        base=f"{_PREFIX}/{token}",
        switch_path=f"{_PREFIX}/{token}",
        offer=offer,
    )


@router.get(_PREFIX + "/{token}/credential.json")
def holder_json(request: Request, token: str, ctx: ContextDep) -> Response:
    row, _ = _load(ctx, request, token)
    _live(row)
    return attachment(
        orjson.dumps(envelope(row), option=orjson.OPT_INDENT_2), "application/json", "credential.json"
    )


@router.get(_PREFIX + "/{token}/certificate.pdf")
def holder_pdf(request: Request, token: str, ctx: ContextDep, lang: str = "") -> Response:
    row, association = _load(ctx, request, token)
    _live(row)
    pdf = certificate.certificate_pdf(
        ctx, association, row.id, lang if lang in LANGS else choose_lang(request)
    )
    return attachment(pdf, "application/pdf", "certificate.pdf")


@router.get(_PREFIX + "/{token}/qr.png")
def holder_qr(request: Request, token: str, ctx: ContextDep) -> Response:
    row, association = _load(ctx, request, token)
    _live(row)
    return attachment(paper.qr_png(paper.qr_text(ctx, association, row.id)), "image/png", "qr.png")
