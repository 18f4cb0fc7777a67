"""The counsellor asks the volunteer's wallet: the request's QR and link, waiting for the answer,
and the result with what the volunteer disclosed and kept back.

The request is bound to the counsellor's browser by a cookie scoped to its own path: the result
page and its state are found only with it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import orjson
import segno
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from skills_vc.api.deps import ContextDep
from skills_vc.api.pages.error_pages import error_page_route
from skills_vc.api.pages.i18n import choose_lang
from skills_vc.api.pages.routes import render
from skills_vc.services import presentation, vp_requests
from skills_vc.services.context import ServiceContext

__all__ = ["router"]

BASE = "/verify/wallet"
_COOKIE = "vp_viewer"


def _error_page(request: Request, code: str, status: int) -> Response:
    return render(request, "verify.html", status, error=code)


router = APIRouter(tags=["web pages"], route_class=error_page_route(_error_page), include_in_schema=False)


@router.post(BASE, response_model=None)
def ask(
    request: Request, ctx: ContextDep, claims: Annotated[list[str] | None, Form(max_length=10)] = None
) -> Response:
    """A new request to the volunteer's wallet, with the claims the counsellor ticked."""
    made = vp_requests.create_request(ctx, claims or [])
    path = f"{BASE}/{made.id}"
    response = RedirectResponse(path, status_code=303)
    response.set_cookie(
        _COOKIE,
        made.viewer_secret,
        max_age=ctx.settings.presentation_keep_seconds,
        path=path,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _page(request: Request, ctx: ServiceContext, request_id: str) -> HTMLResponse:
    lang = choose_lang(request)
    answer = vp_requests.read_answer(ctx, request_id, request.cookies.get(_COOKIE))
    if answer.report is None:
        qr = segno.make(answer.link, error="m").svg_data_uri(scale=4, border=2)
        demo = ctx.settings.demo_wallet_url
        demo_link = f"{demo.rstrip('/')}/present?request={quote(answer.link, safe='')}" if demo else None
        return render(
            request,
            "ask_wallet.html",
            answer=answer,
            qr=qr,
            status_url=f"{BASE}/{answer.id}/status",
            demo_link=demo_link,
        )
    view = presentation.present(ctx, answer.report, lang)
    export = orjson.dumps(
        {**view.export(answer.report), "disclosed": answer.disclosed, "keptBack": answer.kept_back},
        option=orjson.OPT_INDENT_2,
    ).decode()
    return render(
        request,
        "result.html",
        view=view,
        export_href="data:application/json;charset=utf-8," + quote(export),
        disclosure=answer,
    )


@router.get(BASE + "/{request_id}", response_class=HTMLResponse)
async def wait_or_result(request: Request, request_id: str, ctx: ContextDep) -> HTMLResponse:
    """While the wallet has not answered: the QR and the link; then the result."""
    return await run_in_threadpool(_page, request, ctx, request_id)


@router.get(BASE + "/{request_id}/status")
def state(request: Request, request_id: str, ctx: ContextDep) -> JSONResponse:
    """``{"state": "pending" | "answered" | "declined" | "expired"}`` for the page's script."""
    current = vp_requests.state_of(ctx, request_id, request.cookies.get(_COOKIE))
    return JSONResponse({"state": current}, headers={"Cache-Control": "no-store"})
