"""Server-rendered web pages (Jinja2, FR/NL/EN): the counsellor's verification page, the operator's page."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from skills_vc.api.pages import operator
from skills_vc.api.pages.i18n import HERE
from skills_vc.api.pages.routes import router

__all__ = ["STATIC_DIR", "install_pages", "router"]

STATIC_DIR = HERE / "static"


def install_pages(app: FastAPI) -> None:
    """Add the pages and their stylesheet and script (under ``/static``) to ``app``."""
    app.include_router(router)
    app.include_router(operator.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
