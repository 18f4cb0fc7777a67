"""The counsellor's verification page: a form, and the result rendered on the server.

Errors of the service (``SkillsVCError``) are rendered as the form page with a message in the
reader's language and the error's own HTTP status, never as JSON and never as a 500.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from skills_vc.api.deps import ContextDep, RemoteListsDep, read_only_request
from skills_vc.api.pages.error_pages import error_page_route
from skills_vc.api.pages.i18n import LANGS, choose_lang, environment
from skills_vc.api.pages.inputs import UPLOAD_LIMIT_BYTES, read_presented
from skills_vc.errors import ValidationFailed
from skills_vc.services import presentation, verification
from skills_vc.services.context import ServiceContext
from skills_vc.services.verification import RemoteStatusLists

__all__ = ["router"]

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The result names a volunteer: it is not kept in shared caches or the browser's history cache.
    "Cache-Control": "no-store",
    "Vary": "Accept-Language, Cookie",
}
_COOKIE_SECONDS = 365 * 24 * 3600


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` in the request's language; a valid ``?lang=`` is remembered in a cookie."""
    lang = choose_lang(request)
    html = (
        environment(lang)
        .get_template(template)
        .render(
            upload_limit=UPLOAD_LIMIT_BYTES, upload_limit_mib=UPLOAD_LIMIT_BYTES // (1024 * 1024), **context
        )
    )
    response = HTMLResponse(html, status_code=status, headers={**_SECURITY_HEADERS, "Content-Language": lang})
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(
            "lang",
            lang,
            max_age=_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


def _error_page(request: Request, code: str, status: int) -> Response:
    return render(request, "verify.html", status, error=code)


router = APIRouter(tags=["web pages"], route_class=error_page_route(_error_page), include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request) -> HTMLResponse:
    """The form: paste or scan a credential, or upload a certificate or a JSON file."""
    return render(request, "verify.html")


@router.post("/verify", response_class=HTMLResponse, dependencies=[Depends(read_only_request)])
async def verify_page(request: Request, ctx: ContextDep, remote: RemoteListsDep) -> HTMLResponse:
    """Verify what was sent and render the report in the reader's language."""
    presented = await read_presented(request)
    view, export = await run_in_threadpool(_verify, ctx, remote, presented, choose_lang(request))
    href = "data:application/json;charset=utf-8," + quote(export)
    return render(request, "result.html", view=view, export_href=href)


def _verify(
    ctx: ServiceContext, remote: RemoteStatusLists, presented: Any, lang: str
) -> tuple[presentation.VerificationView, str]:
    report = verification.verify(ctx, presented, remote)
    signature = report.check("signature")
    if signature is not None and signature.code == "unsupported_format":
        raise ValidationFailed("the input is not a credential this page can read", code="unrecognised_input")
    view = presentation.present(ctx, report, lang)
    return view, orjson.dumps(view.export(report), option=orjson.OPT_INDENT_2).decode()
