"""Probes for a load balancer or an orchestrator: is the process up, is it ready to serve."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from skills_vc.store.migrate import MigrationState, migration_state

__all__ = ["READINESS_TIMEOUT_SECONDS", "router"]

log = logging.getLogger("skills_vc.api")

router = APIRouter(tags=["health"])

# A probe answers within this time whatever the database does; orchestrators usually wait 1-5 s.
READINESS_TIMEOUT_SECONDS = 2.0

# A cached "ready" would hide a database that has just gone away.
_NO_STORE = {"Cache-Control": "no-store"}

_NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Not ready: `reason` is `database_unreachable` or `migrations_behind`",
        "content": {
            "application/json": {
                "example": {
                    "error": "not_ready",
                    "reason": "migrations_behind",
                    "detail": "the database is at revision 0004, the service needs 0005",
                    "database": "ok",
                    "migrations": "0004",
                    "expected": "0005",
                }
            }
        },
    }
}


@router.get("/healthz", responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
async def healthz() -> JSONResponse:
    """The process is up and answers; the database is not consulted."""
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


@router.get(
    "/readyz",
    responses={
        200: {
            "content": {
                "application/json": {"example": {"status": "ready", "database": "ok", "migrations": "0005"}}
            }
        },
        **_NOT_READY,
    },
)
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and is at the head of the migrations this service ships."""
    status, body = await _readiness(request.app.state.engine)
    return JSONResponse(body, status_code=status, headers=_NO_STORE)


async def _readiness(engine: Engine) -> tuple[int, dict[str, Any]]:
    # Its own connection, not the request's session: a probe must not take SQLite's write lock
    # nor wait behind a long transaction. An abandoned thread finishes on its own; the probe
    # answers at the deadline whatever the driver does (a connect to a silent host can hang).
    try:
        with anyio.fail_after(READINESS_TIMEOUT_SECONDS):
            state = await anyio.to_thread.run_sync(
                migration_state, engine, READINESS_TIMEOUT_SECONDS, abandon_on_cancel=True
            )
    except TimeoutError:
        return _unreachable(f"the database did not answer within {READINESS_TIMEOUT_SECONDS:g} s")
    except Exception as exc:
        # Any failure to reach or read the database means "not ready", never a 500: a load balancer
        # reads the status code only. The log keeps the type; the message may name the host.
        log.warning("readiness: database unreachable (%s)", exc.__class__.__name__)
        return _unreachable(f"the database did not answer ({exc.__class__.__name__})")
    return _judge(state)


def _unreachable(detail: str) -> tuple[int, dict[str, Any]]:
    return 503, {
        "error": "not_ready",
        "reason": "database_unreachable",
        "detail": detail,
        "database": "unreachable",
        "migrations": None,
    }


def _judge(state: MigrationState) -> tuple[int, dict[str, Any]]:
    current = ",".join(state.current) or None
    if state.at_head:
        return 200, {"status": "ready", "database": "ok", "migrations": current}
    if state.ahead:
        return 200, {"status": "ready", "database": "ok", "migrations": current, "note": "database_ahead"}
    expected = ",".join(state.head)
    return 503, {
        "error": "not_ready",
        "reason": "migrations_behind",
        "detail": f"the database is at revision {current or 'none'}, the service needs {expected}",
        "database": "ok",
        "migrations": current,
        "expected": expected,
    }
