"""The wallet's pages: each route reads its input, calls the wallet once, and renders.

A form whose action fails is shown again with the message beside it (the route names that page
with :func:`_on_error_show` before acting; the app's one error handler renders it), so a wrong
transaction code means retyping it, not starting over. Every POST checks the CSRF token first.
Card ids are credential ids (``urn:uuid:…``), so actions carry them in a field, not in the path.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from wallet_demo.cards import card_view
from wallet_demo.csrf import CSRF_FIELD, check_csrf
from wallet_demo.i18n import choose_lang, translator
from wallet_demo.metadata import configuration_display, display_name
from wallet_demo.qr import offer_from_picture, qr_svg
from wallet_demo.rendering import render
from wallet_demo.store import StoredCard
from wallet_demo.wallet import Wallet

__all__ = ["router"]

router = APIRouter()


def _wallet(request: Request) -> Wallet:
    wallet: Wallet = request.app.state.wallet
    return wallet


WalletDep = Annotated[Wallet, Depends(_wallet)]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]


def _csrf(request: Request, submitted: str) -> None:
    check_csrf(request, request.app.state.csrf_token, submitted)


def _on_error_show(request: Request, template: str, **context: Any) -> None:
    """If the action fails, show ``template`` again with the error (see the app's handler)."""
    request.state.error_page = (template, context)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _card(wallet: Wallet, card: StoredCard, lang: str) -> dict[str, Any]:
    """A card as its pages show it: what it says, and its status (checked now, or cached)."""
    credentials = [(c.format, c.raw) for c in card.credentials]
    return {"card": card, "view": card_view(card.id, credentials, lang), "status": wallet.status(card)}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, wallet: WalletDep, done: str | None = None) -> HTMLResponse:
    lang = choose_lang(request)
    cards = [_card(wallet, card, lang) for card in wallet.cards()]
    return render(request, "home.html", cards=cards, done=done, nav="home")


@router.get("/add", response_class=HTMLResponse)
def add_form(request: Request) -> HTMLResponse:
    return render(request, "add.html", nav="add", link="")


@router.post("/offers")
def start_offer(
    request: Request,
    wallet: WalletDep,
    csrf: CsrfField = "",
    offer_link: Annotated[str, Form()] = "",
    qr_picture: Annotated[UploadFile | None, File()] = None,
) -> RedirectResponse:
    _csrf(request, csrf)
    _on_error_show(request, "add.html", nav="add", link=offer_link)
    limit = wallet.settings.max_upload_bytes
    picture = qr_picture.file.read(limit + 1) if qr_picture is not None and qr_picture.filename else b""
    if picture and not offer_link.strip():
        offer_link = offer_from_picture(picture, max_bytes=limit)
    return _see_other(f"/offers/{wallet.start_offer(offer_link)}")


def _offer_context(request: Request, wallet: Wallet, pending_id: str) -> dict[str, Any]:
    lang = choose_lang(request)
    resolved = wallet.pending_offer(pending_id)
    metadata = resolved.issuer_metadata
    offered = [configuration_display(metadata, c, lang) or c for c in resolved.offer.configuration_ids]
    issuer = display_name(metadata.get("display"), lang) or translator(lang)("An association")
    return {"pending_id": pending_id, "offer": resolved.offer, "issuer": issuer, "offered": offered}


@router.get("/offers/{pending_id}", response_class=HTMLResponse)
def offer_page(request: Request, pending_id: str, wallet: WalletDep) -> HTMLResponse:
    return render(request, "offer.html", **_offer_context(request, wallet, pending_id))


@router.post("/offers/{pending_id}")
def accept_offer(
    request: Request,
    pending_id: str,
    wallet: WalletDep,
    csrf: CsrfField = "",
    tx_code: Annotated[str, Form()] = "",
) -> RedirectResponse:
    _csrf(request, csrf)
    _on_error_show(request, "offer.html", **_offer_context(request, wallet, pending_id))
    card_id = wallet.accept(pending_id, tx_code)
    return _see_other(f"/credentials/{_quote(card_id)}?done=added")


@router.post("/check")
def check_again(
    request: Request,
    wallet: WalletDep,
    csrf: CsrfField = "",
    card_id: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "list",
) -> RedirectResponse:
    _csrf(request, csrf)
    wallet.status(wallet.card(card_id), fresh=True)
    return _see_other(f"/credentials/{_quote(card_id)}" if back == "card" else "/")


@router.get("/delete", response_class=HTMLResponse)
def delete_form(request: Request, wallet: WalletDep, card: Annotated[str, Query()] = "") -> HTMLResponse:
    found = wallet.card(card)
    view = card_view(found.id, [(c.format, c.raw) for c in found.credentials], choose_lang(request))
    return render(request, "delete.html", card=found, view=view)


@router.post("/delete")
def delete(
    request: Request, wallet: WalletDep, csrf: CsrfField = "", card_id: Annotated[str, Form()] = ""
) -> RedirectResponse:
    _csrf(request, csrf)
    wallet.delete(card_id)
    return _see_other("/?done=deleted")


@router.get("/credentials/{card_id:path}", response_class=HTMLResponse)
def card_page(request: Request, card_id: str, wallet: WalletDep, done: str | None = None) -> HTMLResponse:
    lang = choose_lang(request)
    context = _card(wallet, wallet.card(card_id), lang)
    paper = context["card"].paper_qr
    svg = qr_svg(paper, title=translator(lang)("QR code of the paper credential")) if paper else None
    return render(request, "card.html", **context, qr=svg, done=done)


@router.get("/healthz")
def health() -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _quote(card_id: str) -> str:
    return quote(card_id, safe=":")
