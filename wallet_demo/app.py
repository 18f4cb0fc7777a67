"""The wallet's FastAPI application: wiring only (settings, database, HTTP client, pages).

``transport`` and ``clock`` are there for tests: a test can put an ``httpx.MockTransport`` where
the issuer would be, and move time; the running wallet uses real HTTP and the real clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from wallet_demo.config import WalletSettings, load_wallet_secret
from wallet_demo.csrf import csrf_token
from wallet_demo.errors import WalletError
from wallet_demo.i18n import choose_lang, error_message
from wallet_demo.pages import router
from wallet_demo.remote import Remote
from wallet_demo.rendering import render, render_error
from wallet_demo.store import Store
from wallet_demo.wallet import Wallet

__all__ = ["create_app"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Only the wallet's own files; no framing (the delete button must not be clickjacked); the
# camera's video is a MediaStream, which needs no media-src.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: WalletSettings | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> FastAPI:
    """The wallet app on ``settings`` (default: from the ``WALLET_DEMO_*`` environment)."""
    settings = settings or WalletSettings()
    secret = load_wallet_secret(settings)
    client = httpx.Client(
        transport=transport,
        timeout=settings.http_timeout_seconds,
        follow_redirects=True,
        headers={"User-Agent": "skills-vc-wallet-demo/0.1"},
    )
    remote = Remote(client, allow_http=settings.allow_http_issuers)
    wallet = Wallet(settings, Store(settings.database_path), secret, remote, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        client.close()

    app = FastAPI(
        title="skills-vc demo wallet", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.wallet = wallet
    app.state.csrf_token = csrf_token(secret)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Card and offer URLs stay in the wallet when the reader follows an ESCO link. Not
        # "no-referrer": browsers then send "Origin: null" with the wallet's own forms.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(WalletError)
    async def wallet_error(request: Request, exc: WalletError) -> Response:
        retry = getattr(request.state, "error_page", None)
        # Request and verifier errors carry a technical detail worth showing (who refused what).
        detail = getattr(exc, "public_detail", None)
        if retry is None:
            return render_error(request, exc.code, exc.status, detail=detail)
        template, context = retry
        message = error_message(exc.code, choose_lang(request))
        return render(
            request, template, exc.status, error_code=exc.code, error=message, error_detail=detail, **context
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return render_error(
            request, "not_found" if exc.status_code == 404 else "request_failed", exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return render_error(request, "request_failed", 400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # A bug still gets a page in the reader's language; the traceback goes to the server log.
        return render_error(request, "request_failed", 500)

    return app
