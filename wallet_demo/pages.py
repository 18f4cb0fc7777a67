"""The wallet's pages: each route reads its input, calls the wallet once, and renders.

A form whose action fails is shown again with the message beside it (the route names that page
with :func:`_on_error_show` before acting; the app's one error handler renders it), so a wrong
transaction code means retyping it, not starting over. Every POST checks the CSRF token first.
Card ids are credential ids (``urn:uuid:…``), so actions carry them in a field, not in the path.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from wallet_demo.cards import card_view
from wallet_demo.claim_labels import claim_label, claim_preview
from wallet_demo.csrf import CSRF_FIELD, check_csrf
from wallet_demo.i18n import LANGS, choose_lang, translator
from wallet_demo.metadata import configuration_display, display_name
from wallet_demo.openid4vp import verifier_host
from wallet_demo.qr import link_from_picture, offer_from_picture, qr_svg
from wallet_demo.rendering import render
from wallet_demo.store import StoredCard, StoredPresentation
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
def add_form(request: Request, offer: Annotated[str, Query(max_length=4000)] = "") -> HTMLResponse:
    """The "Add a credential" page; ``?offer=<link>`` fills the link in (an issuer's page on the
    same device links here, since the wallet registers no openid-credential-offer:// handler)."""
    return render(request, "add.html", nav="add", link=offer.strip())


def _is_request(link: str) -> bool:
    """An OpenID4VP request link (``openid4vp://``, or an https link carrying its parameters)."""
    parts = urlsplit(link.strip())
    scheme = parts.scheme.lower()
    if scheme == "openid4vp":
        return True
    params = parse_qs(parts.query)
    offer = "credential_offer_uri" in params or "credential_offer" in params
    return (
        scheme in ("https", "http")
        and not offer
        and bool({"request_uri", "request", "client_id"} & set(params))
    )


def _is_offer(link: str) -> bool:
    return link.strip().lower().startswith("openid-credential-offer:")


def _picture(wallet: Wallet, upload: UploadFile | None) -> bytes:
    limit = wallet.settings.max_upload_bytes
    return upload.file.read(limit + 1) if upload is not None and upload.filename else b""


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
    picture = _picture(wallet, qr_picture)
    if picture and not offer_link.strip():
        offer_link = offer_from_picture(picture, max_bytes=wallet.settings.max_upload_bytes)
    if _is_request(offer_link):  # one way in: a request pasted or scanned here is opened too
        _on_error_show(request, "present.html", nav="present", link=offer_link)
        return _see_other(f"/present/{wallet.open_request(offer_link)}")
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


def _shown(record: StoredPresentation, lang: str) -> dict[str, Any]:
    """A presentation record as the pages show it: to whom, when, which claims (in ``lang``)."""
    gettext = translator(lang)
    host = record.disclosed.get("verifier_host")
    if not isinstance(host, str) or not host:
        host = verifier_host(record.verifier.removeprefix("decentralized_identifier:"))
    claims = record.disclosed.get("claims")
    labels = [
        claim_label(c["path"], gettext)
        for c in (claims if isinstance(claims, list) else [])
        if isinstance(c, dict) and isinstance(c.get("path"), list)
    ]
    return {
        "record": record,
        "host": host,
        "labels": list(dict.fromkeys(labels)),
        "accepted": record.disclosed.get("accepted") is not False,
    }


@router.get("/credentials/{card_id:path}", response_class=HTMLResponse)
def card_page(request: Request, card_id: str, wallet: WalletDep, done: str | None = None) -> HTMLResponse:
    lang = choose_lang(request)
    context = _card(wallet, wallet.card(card_id), lang)
    paper = context["card"].paper_qr
    svg = qr_svg(paper, title=translator(lang)("QR code of the paper credential")) if paper else None
    shown = [_shown(record, lang) for record in wallet.presentations(context["card"].id)]
    return render(request, "card.html", **context, qr=svg, done=done, shown=shown)


# Presenting a credential (OpenID4VP).


@router.get("/present", response_class=HTMLResponse, response_model=None)
def present_form(
    request: Request, wallet: WalletDep, request_link: Annotated[str, Query(alias="request")] = ""
) -> HTMLResponse | RedirectResponse:
    """The "Show a credential" page; ``?request=<openid4vp link>`` opens that request at once
    (a verifier's page on the same device links here, since the wallet registers no scheme)."""
    if not request_link.strip():
        return render(request, "present.html", nav="present", link="")
    _on_error_show(request, "present.html", nav="present", link=request_link)
    lang = request.query_params.get("lang")
    keep = f"?lang={lang}" if lang in LANGS else ""  # a linking page may name the reader's language
    return _see_other(f"/present/{wallet.open_request(request_link)}{keep}")


@router.post("/present")
def open_request(
    request: Request,
    wallet: WalletDep,
    csrf: CsrfField = "",
    request_link: Annotated[str, Form()] = "",
    qr_picture: Annotated[UploadFile | None, File()] = None,
) -> RedirectResponse:
    _csrf(request, csrf)
    _on_error_show(request, "present.html", nav="present", link=request_link)
    picture = _picture(wallet, qr_picture)
    if picture and not request_link.strip():
        request_link = link_from_picture(
            picture, max_bytes=wallet.settings.max_upload_bytes, not_found="request_qr_not_found"
        )
    if _is_offer(request_link):  # an offer scanned here is taken too
        return _see_other(f"/offers/{wallet.start_offer(request_link)}")
    return _see_other(f"/present/{wallet.open_request(request_link)}")


def _request_context(
    request: Request, wallet: Wallet, request_id: str, ticked: dict[str, set[str]] | None = None
) -> dict[str, Any]:
    """What the consent page shows: who asks, for which claims of which credential."""
    lang = choose_lang(request)
    gettext = translator(lang)
    verified = wallet.presentation_request(request_id)
    matched = wallet.match(verified)
    answers = []
    for answer in matched.answers:
        kept = ticked.get(answer.query.id) if ticked is not None else None
        claims = [
            {
                "choice": choice,
                "label": claim_label(choice.path, gettext),
                "preview": claim_preview(list(choice.values), lang) if choice.available else None,
                "checked": choice.available
                and (not choice.optional or kept is None or choice.claim_id in kept),
            }
            for choice in answer.claims
        ]
        cards = [
            {
                "card": card,
                "view": card_view(card.id, [(c.format, c.raw) for c in card.credentials], lang),
                "status": wallet.status(card).status,  # cached: a revoked card is shown as such
            }
            for card in answer.cards
        ]
        answers.append({"query": answer.query, "cards": cards, "claims": claims})
    missing = [[claim_label(query.claim(i).path, gettext) for i in query.asked] for query in matched.missing]
    response_host = urlsplit(verified.response_uri).netloc
    return {
        "nav": "present",
        "request_id": request_id,
        "verifier": verified.verifier,
        "did": verified.did,
        "response_host": response_host if response_host != verified.verifier else None,
        "answers": answers,
        "missing": missing,
        "can_answer": matched.can_answer,
    }


@router.get("/present/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, request_id: str, wallet: WalletDep) -> HTMLResponse:
    return render(request, "request.html", **_request_context(request, wallet, request_id))


@router.post("/present/{request_id}")
def share(
    request: Request,
    request_id: str,
    wallet: WalletDep,
    csrf: CsrfField = "",
    claim: Annotated[list[str] | None, Form()] = None,
    card: Annotated[list[str] | None, Form()] = None,
) -> RedirectResponse:
    """Share what is ticked.

    Fields: ``claim`` = ``<query id>/<claim id>``, ``card`` = ``<query id>/<card id>``.
    """
    _csrf(request, csrf)
    ticked: dict[str, set[str]] = {}
    for value in claim or []:
        query_id, _, claim_id = value.partition("/")
        ticked.setdefault(query_id, set()).add(claim_id)
    cards = {q: c for q, _, c in (value.partition("/") for value in card or [])}
    _on_error_show(request, "request.html", **_request_context(request, wallet, request_id, ticked))
    shared = wallet.share(request_id, ticked, cards)
    return _see_other(f"/presented/{shared.presentation_id}")


@router.post("/present/{request_id}/decline")
def decline(request: Request, request_id: str, wallet: WalletDep, csrf: CsrfField = "") -> RedirectResponse:
    _csrf(request, csrf)
    wallet.decline(request_id)
    return _see_other("/?done=declined")


# A same-device verifier's page is shown again this long after sharing, not when the page is
# reopened from the history later.
_REDIRECT_WINDOW = timedelta(minutes=2)


@router.get("/presented/{presentation_id}", response_class=HTMLResponse)
def presented(request: Request, presentation_id: int, wallet: WalletDep) -> HTMLResponse:
    lang = choose_lang(request)
    record = wallet.presented(presentation_id)
    redirect = record.disclosed.get("redirect_uri")
    if not isinstance(redirect, str) or wallet.clock() - record.presented_at > _REDIRECT_WINDOW:
        redirect = None
    return render(request, "presented.html", shown=_shown(record, lang), redirect=redirect, nav="present")


@router.get("/healthz")
def health() -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _quote(card_id: str) -> str:
    return quote(card_id, safe=":")
