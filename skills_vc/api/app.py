"""``create_app``: the FastAPI application (OpenAPI at /docs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine

from skills_vc import __version__
from skills_vc.api import access, metrics
from skills_vc.api.errors import BodySizeLimit, install_error_handlers
from skills_vc.api.pages import install_pages, too_large_page
from skills_vc.api.pages.portal_bulk import BULK_UPLOAD_BYTES, BULK_UPLOAD_PATH
from skills_vc.api.routes import (
    credentials,
    health,
    mapping,
    oid4vci,
    oid4vp,
    paper,
    records,
    registry,
    schemas,
    staff,
    status,
    vcapi,
)
from skills_vc.config import Settings, get_settings, load_master_key, load_operator_key
from skills_vc.services import qr_scan
from skills_vc.services.context import utc_now
from skills_vc.services.verification import RemoteStatusLists
from skills_vc.store.session import make_engine, make_read_only_session_factory, make_session_factory

__all__ = ["create_app"]

DESCRIPTION = """
Verifiable credentials for skills acquired while volunteering: Belgian associations attest what
a volunteer did, skills are linked to ESCO, credentials are Open Badges 3.0 on W3C VC 2.0,
secured as `vc+jwt`, with Bitstring Status Lists. Authenticate with
`Authorization: Bearer <API key>` (an association's key, or the operator's key).
Request bodies are limited to 256 KiB by default (`SKILLS_VC_MAX_BODY_BYTES`).
"""


def create_app(
    settings: Settings | None = None,
    clock: Callable[[], datetime] = utc_now,
    engine: Engine | None = None,
) -> FastAPI:
    """The application; ``engine`` lets several apps (tests, workers) share one database pool."""
    settings = settings or get_settings()
    app = FastAPI(title="skills-vc", version=__version__, description=DESCRIPTION)
    engine = engine or make_engine(settings.resolved_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.read_only_session_factory = make_read_only_session_factory(engine)
    app.state.master_key = load_master_key(settings)
    app.state.operator_key = load_operator_key(settings)
    app.state.clock = clock
    app.state.remote_lists = RemoteStatusLists(max_age_seconds=settings.status_cache_seconds)
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        upload_limits={
            "/verify": qr_scan.MAX_UPLOAD_BYTES,
            "/verify/qr": qr_scan.MAX_UPLOAD_BYTES,
            BULK_UPLOAD_PATH: BULK_UPLOAD_BYTES,
        },
        page_refusal=too_large_page,
    )
    # Outermost, after every other middleware: request ids, access lines and request metrics.
    access.install(app)
    metrics.install(app)
    # vcapi first: its fixed paths (/credentials/issue...) must win over /credentials/{id}.
    routers = (
        vcapi.router,
        registry.router,
        records.router,
        credentials.router,
        paper.router,
        status.router,
        mapping.router,
        staff.router,
        oid4vci.router,
        oid4vp.router,
        schemas.router,
        health.router,
    )
    for router in routers:
        app.include_router(router)
    install_pages(app)
    return app
