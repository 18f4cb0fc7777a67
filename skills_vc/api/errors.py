"""The one place where errors become HTTP responses, and the request body size limit."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skills_vc.errors import SkillsVCError

__all__ = ["BodySizeLimit", "install_error_handlers"]

log = logging.getLogger("skills_vc.api")


def _skills_vc_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SkillsVCError)
    return JSONResponse(exc.body(), status_code=exc.status)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = [
        {"loc": [str(part) for part in e.get("loc", ())], "type": e.get("type"), "msg": e.get("msg")}
        for e in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return JSONResponse(
            {"error": "malformed_json", "detail": "the request body is not valid JSON", "errors": errors},
            status_code=400,
        )
    if any(e["type"] == "extra_forbidden" for e in errors):
        names = ", ".join(e["loc"][-1] for e in errors if e["type"] == "extra_forbidden")
        return JSONResponse(
            {"error": "unknown_field", "detail": f"unknown fields: {names}", "errors": errors},
            status_code=400,
        )
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    return JSONResponse(
        {
            "error": "invalid_request",
            "detail": f"{'.'.join(first['loc'])}: {first['msg']}",
            "errors": errors,
        },
        status_code=422,
    )


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # The message may hold data; the log keeps the type and the traceback, the client a code.
    log.error("unexpected error: %s", exc.__class__.__name__, exc_info=exc)
    return JSONResponse(
        {"error": "internal_error", "detail": "an unexpected error occurred"}, status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SkillsVCError, _skills_vc_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


# (request scope, limit in bytes) -> an HTML page saying the file is too large, for browsers.
PageRefusal = Callable[[Scope, int], bytes]


class BodySizeLimit:
    """Refuses request bodies over ``limit`` bytes with 413, whether announced or streamed.

    ``upload_limits`` maps the paths that take files (scans of certificates, CSV files) to the
    size of file they accept (plus room for the multipart framing); their routes check the file
    itself. A browser (``Accept: text/html``) gets ``page_refusal``'s page instead of JSON.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        upload_limits: Mapping[str, int] | None = None,
        page_refusal: PageRefusal | None = None,
    ) -> None:
        self.app = app
        self.default_limit = limit
        self.upload_limits = {path: size + 64 * 1024 for path, size in (upload_limits or {}).items()}
        self.page_refusal = page_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limits.get(scope.get("path", ""), self.default_limit)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit)
            return
        seen = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    too_large = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Once the body is known to be too large, whatever the app answers is replaced.
            if not too_large:
                await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if too_large:
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        accept = dict(scope.get("headers", [])).get(b"accept", b"")
        if self.page_refusal is not None and b"text/html" in accept:
            body = self.page_refusal(scope, limit)
            headers = [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 413, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        response = JSONResponse(
            {"error": "payload_too_large", "detail": f"request bodies are limited to {limit} bytes"},
            status_code=413,
        )
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class _TooLarge(Exception):
    pass
