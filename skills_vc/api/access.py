"""The access middleware: a request id, one access line and the request metrics for every request.

A pure ASGI middleware (no ``BaseHTTPMiddleware``), installed outermost, so that it sees every
answer, the body limit's 413 included. It names a request by its route template
(``/c/{token}``), never by its path: volunteers' link tokens, credential ids and query strings
stay out of the logs and out of the metrics' labels.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skills_vc.api import metrics
from skills_vc.api.logs import ACCESS_LOGGER, REQUEST_ID

__all__ = ["UNMATCHED", "AccessLog", "install", "request_id", "route_template"]

access_log = logging.getLogger(ACCESS_LOGGER)

REQUEST_ID_HEADER = "X-Request-ID"
# A request id the client sent is kept only if it is a short token: it is written to every line.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Requests that reached no route: unknown paths, and bodies refused before routing.
UNMATCHED = "unmatched"


def install(app: FastAPI) -> None:
    """Add the middleware; call it after every other middleware so that it is the outermost."""
    app.add_middleware(AccessLog)


def request_id(scope: Scope) -> str:
    """The client's ``X-Request-ID`` when it is a short safe token, else a new random one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given: str = value.decode("latin-1")
            if _SAFE_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


def route_template(scope: Scope, root_path: str = "") -> str:
    """The template of the route that served the request (``/credentials/{credential_id}``).

    ``root_path`` is the scope's before routing: a mounted app (``/static``) is recognised by the
    prefix routing added to it, which must be the path of one of the application's mounts.
    """
    template = getattr(scope.get("route"), "path_format", None)
    if isinstance(template, str):
        return template
    prefix = str(scope.get("root_path", ""))[len(root_path) :]
    app = scope.get("app")
    mounts = {route.path for route in getattr(app, "routes", ()) if isinstance(route, Mount)}
    return prefix + "/{path}" if prefix in mounts else UNMATCHED


class AccessLog:
    """Gives each request its id (echoed as ``X-Request-ID``), then logs and counts its answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        token = REQUEST_ID.set(rid)
        root_path = scope.get("root_path", "")
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The id stays set: the error handler outside this middleware logs the failure next,
            # in this request's own task (and so its own context).
            _finish(scope, root_path, status, started)
            raise
        _finish(scope, root_path, status, started)
        REQUEST_ID.reset(token)


def _finish(scope: Scope, root_path: str, status: int, started: float) -> None:
    seconds = time.perf_counter() - started
    method = scope["method"] if scope["method"] in _METHODS else "OTHER"
    route = route_template(scope, root_path)
    metrics.observe_request(method, route, status, seconds)
    if not access_log.isEnabledFor(logging.INFO):  # --no-access-log: no line to build
        return
    access_log.info(
        "%s %s HTTP/%s %d",
        method,
        route,
        scope.get("http_version", "1.1"),
        status,
        extra={"method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 1)},
    )
