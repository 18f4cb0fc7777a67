"""Fixtures of the web page tests: the app with its pages, and a live server for the browser tests.

The browser tests drive Debian's Chromium (``/usr/bin/chromium``) through Playwright. Without it
they skip with a message, unless ``SKILLS_VC_REQUIRE_BROWSER=1`` (set by .ci/run) makes them fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from skills_vc.api.app import create_app
from tests.conftest import Clock, Platform, make_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots/ when ``SKILLS_VC_SCREENSHOTS=1`` (to refresh the committed ones), else a temp dir."""
    if os.environ.get("SKILLS_VC_SCREENSHOTS") == "1":
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOC_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


def web_app(db: Engine, clock: Clock, tmp_path: Path, **settings: Any) -> FastAPI:
    """The application with the web pages, on the test database."""
    return create_app(make_settings(tmp_path, **settings), clock=clock, engine=db)


@pytest.fixture
def site(db: Engine, clock: Clock, tmp_path: Path) -> Iterator[Platform]:
    """The API and the pages through one test client."""
    app = web_app(db, clock, tmp_path)
    with TestClient(app) as client:
        yield Platform(client, clock)


@pytest.fixture
def secure_site(db: Engine, clock: Clock, tmp_path: Path) -> Iterator[Platform]:
    """The app (public URL https) reached over https, so the client keeps Secure session cookies."""
    with TestClient(web_app(db, clock, tmp_path), base_url="https://testserver") as client:
        yield Platform(client, clock)


@pytest.fixture
def http_site(db: Engine, clock: Clock, tmp_path: Path) -> Iterator[Platform]:
    """The app with an http public URL, for the live server (plain http, where a Secure cookie is dropped)."""
    with TestClient(web_app(db, clock, tmp_path, public_url="http://skills-vc.test")) as client:
        yield Platform(client, clock)


def _no_browser(reason: str) -> None:
    if os.environ.get("SKILLS_VC_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and SKILLS_VC_REQUIRE_BROWSER=1 requires the browser tests to run")
    pytest.skip(f"{reason}: browser tests skipped (install Debian's chromium to run them)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian, shared by every browser test."""
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    finally:
        playwright.stop()


def free_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1."""
    # Naming IPPROTO_TCP makes asyncio set TCP_NODELAY on the connections (it checks sock.proto);
    # without it every response waits about 40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer:
    """The app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: FastAPI, sock: socket.socket | None = None) -> None:
        # A socket bound beforehand lets an app be built knowing its own URL (its public URL).
        self.sock = sock or free_socket()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def live(site: Platform) -> Iterator[tuple[LiveServer, Platform]]:
    """The same app as ``site``, also served over HTTP for the browser."""
    with LiveServer(site.client.app) as server:  # type: ignore[arg-type]
        yield server, site


@pytest.fixture
def page(browser: Any, live: tuple[LiveServer, Platform]) -> Iterator[Any]:
    """A fresh browser page (phone-wide enough to matter, desktop-wide enough to read)."""
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="fr-BE")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
