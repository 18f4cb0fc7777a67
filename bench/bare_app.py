"""The yardstick of the HTTP benchmark: a bare FastAPI application with one route, ``GET /``.

It answers ``{"ok": 1}`` and does nothing else: no middleware, no database, no dependency. Served
by the same uvicorn, event loop and HTTP parser as ``skills-vc serve``, its rate is what one
worker of this machine can answer at all; the service's routes are measured against it.

    uvicorn bench.bare_app:app --loop uvloop --http httptools
"""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["app"]

app = FastAPI()


@app.get("/")
async def ok() -> dict[str, int]:
    return {"ok": 1}
