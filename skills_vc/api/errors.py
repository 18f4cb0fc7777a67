"""The one place where errors become HTTP responses, and the request body size limit."""

from __future__ import annotations

import contextlib
import logging
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


class BodySizeLimit:
    """Refuses request bodies over ``limit`` bytes with 413, whether announced or streamed.

    ``upload_paths`` take scans and photos of certificates: they get ``upload_limit`` instead (plus
    room for the multipart framing), and their routes check the file itself.
    """

    def __init__(
        self, app: ASGIApp, limit: int, upload_paths: frozenset[str] = frozenset(), upload_limit: int = 0
    ) -> None:
        self.app = app
        self.default_limit = limit
        self.upload_paths = upload_paths
        self.upload_limit = upload_limit + 64 * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope.get("path") in self.upload_paths else self.default_limit
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
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
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        response = JSONResponse(
            {"error": "payload_too_large", "detail": f"request bodies are limited to {limit} bytes"},
            status_code=413,
        )
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class _TooLarge(Exception):
    pass
