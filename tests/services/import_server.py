"""The application with the bulk import hooks of its lifespan, for tests that run it as a process.

``create`` is ``create_app()`` (settings from the environment) plus the lifespan that
``skills_vc/api/app.py`` is to carry: when the process starts, the imports left ``issuing`` by a
process that stopped are marked interrupted; when it stops (SIGTERM), the running import
finishes or is stopped cleanly. ``SKILLS_VC_TEST_IMPORT_FINISH_SECONDS`` shortens the time a
running import gets to finish, so a test can see it stopped.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from skills_vc.api.app import create_app
from skills_vc.api.deps import app_context
from skills_vc.services.bulk_import import SHUTDOWN_FINISH_SECONDS, ImportRunner


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    runner = app.state.import_runner = ImportRunner(
        app.state.session_factory, partial(app_context, app.state)
    )
    await run_in_threadpool(runner.recover)
    yield
    finish = float(os.environ.get("SKILLS_VC_TEST_IMPORT_FINISH_SECONDS", SHUTDOWN_FINISH_SECONDS))
    await run_in_threadpool(runner.shutdown, finish)


def create() -> FastAPI:
    app = create_app()
    app.router.lifespan_context = lifespan
    return app
