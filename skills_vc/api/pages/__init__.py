"""Server-rendered web pages (Jinja2, FR/NL/EN): the counsellor's verification page, the association
portal, the volunteer's link and the operator's page."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from skills_vc.api.pages import ask_wallet, operator, portal, portal_auth, portal_bulk, share
from skills_vc.api.pages.i18n import HERE, choose_lang, environment
from skills_vc.api.pages.routes import router

__all__ = ["STATIC_DIR", "install_pages", "router", "too_large_page"]

STATIC_DIR = HERE / "static"


def install_pages(app: FastAPI) -> None:
    """Add the pages and their stylesheet and script (under ``/static``) to ``app``."""
    app.include_router(router)
    app.include_router(ask_wallet.router)
    app.include_router(operator.router)
    app.include_router(portal_auth.router)
    app.include_router(portal.api_router)
    app.include_router(portal_bulk.api_router)
    app.include_router(portal.router)
    app.include_router(portal_bulk.router)
    app.include_router(share.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def too_large_page(scope: Scope, limit: int) -> bytes:
    """The page a browser gets when the file it sent is over the limit (refused before it is read)."""
    request = Request(scope)
    lang = choose_lang(request)
    back = request.url.path  # the form the file was sent from
    html = (
        environment(lang)
        .get_template("too_large.html")
        .render(limit_mib=max(1, limit // (1024 * 1024)), back=back, switch_path=request.url.path)
    )
    return html.encode("utf-8")
