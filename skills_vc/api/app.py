"""``create_app``: the FastAPI application (OpenAPI at /docs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from skills_vc import __version__
from skills_vc.api import access, metrics
from skills_vc.api.deps import app_context
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
from skills_vc.services.bulk_import import ImportRunner
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


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Imports left ``issuing`` by a process that stopped are marked interrupted when this one
    starts; when it stops (SIGTERM), the running import finishes or is stopped cleanly, and the
    ones waiting are marked interrupted (``bulk_import.ImportRunner``)."""
    runner = app.state.import_runner = ImportRunner(
        app.state.session_factory, partial(app_context, app.state)
    )
    await run_in_threadpool(runner.recover)
    yield
    await run_in_threadpool(runner.shutdown)


def create_app(
    settings: Settings | None = None,
    clock: Callable[[], datetime] = utc_now,
    engine: Engine | None = None,
) -> FastAPI:
    """The application; ``engine`` lets several apps (tests, workers) share one database pool."""
    settings = settings or get_settings()
    app = FastAPI(title="skills-vc", version=__version__, description=DESCRIPTION, lifespan=_lifespan)
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
    _flatten_routes(app)
    return app


def _flatten_routes(app: FastAPI) -> None:
    """Put the routes of every included router straight into the application's list of routes.

    FastAPI (0.137 and later) keeps an included router behind a node of its own: a request walks
    each node's routes in turn, and those of the router that answers twice, with bookkeeping at
    every route. The nodes cost /healthz about 40 of the 140 µs of CPU the application took to
    answer it, and /static/pages.css, which comes after every route, about 80.

    Every router here is included as it is (no prefix, dependencies, tags or responses added at
    inclusion), so each of its routes is already complete; listed flat, in the same order, they
    match as before and the OpenAPI document is the same. One difference: ``dependency_overrides``
    set on the application do not reach them (nothing in skills-vc overrides a dependency). A node
    that adds anything at inclusion is left as it is, and with a FastAPI that copies the routes at
    inclusion there are no nodes at all.
    """
    flat: list[BaseRoute] = []
    for route in app.router.routes:
        included = _included_as_is(route)
        flat.extend(included.routes if included is not None else [route])
    app.router.routes[:] = flat


def _included_as_is(route: BaseRoute) -> APIRouter | None:
    """The router behind an inclusion node that adds nothing to its routes and holds no nodes."""
    router = getattr(route, "original_router", None)
    context = getattr(route, "include_context", None)
    if not isinstance(router, APIRouter) or context is None:
        return None
    added = (
        getattr(context, "prefix", "?"),
        getattr(context, "dependencies", True),
        getattr(context, "tags", True),
        getattr(context, "responses", True),
    )
    if any(added) or any(hasattr(r, "original_router") for r in router.routes):
        return None
    return router
