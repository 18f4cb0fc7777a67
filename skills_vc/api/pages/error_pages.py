"""Pages answer errors with a page: a route class that renders the service's errors (and malformed
form posts) with the page's own error view, in the reader's language, never as JSON or a 500."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from skills_vc.errors import SkillsVCError

__all__ = ["ErrorPage", "error_page_route"]

# (request, error code, HTTP status) -> the page that shows the error.
ErrorPage = Callable[[Request, str, int], Response]


def error_page_route(error_page: ErrorPage) -> type[APIRoute]:
    """An ``APIRoute`` class whose handlers' errors are rendered by ``error_page``."""

    class ErrorPageRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def page_handler(request: Request) -> Response:
                try:
                    return await handler(request)
                except SkillsVCError as exc:
                    code, status = exc.code, exc.status
                except RequestValidationError:
                    code, status = "invalid_request", 400
                except StarletteHTTPException as exc:
                    if exc.status_code >= 500:
                        raise
                    code, status = "invalid_request", exc.status_code
                # An error page may read the database: not on the event loop.
                return await run_in_threadpool(error_page, request, code, status)

            return page_handler

    return ErrorPageRoute
