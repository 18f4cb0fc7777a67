"""Bulk imports when the process stops: killed (a crash) or asked to stop (SIGTERM).

An import issues every row in one transaction, so a process that dies mid-import leaves nothing
of it in the database. What these tests pin down is what the import row says afterwards: never
``issuing`` for a runner that is gone, but ``failed`` with the code ``import_interrupted``, which
the portal shows with the form to confirm it again.

The process tests run the application with uvicorn in a child process, on the test database
(SQLite file, and PostgreSQL when configured), with the lifespan of ``tests/services/import_server.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from skills_vc.api.deps import app_context
from skills_vc.errors import ConflictError
from skills_vc.services import associations, bulk_import, issuance
from skills_vc.services.bulk_import import INTERRUPTED, ImportOptions, ImportRunner
from skills_vc.services.context import transaction
from skills_vc.store.tables import Activity, BulkImport, Credential, Volunteer
from tests.conftest import MASTER_KEY, OPERATOR_KEY, Clock, Platform
from tests.web.portal_support import SEWING, staff_member, wait_for_import
from tests.web.test_portal_bulk import _confirm, _groups, _preview, _rows, _suggested, excel_csv

ROOT = Path(__file__).resolve().parents[2]
ROWS = 4000  # about four seconds of issuance: long enough to stop the process in the middle


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """uvicorn serving ``factory`` in a session of its own; its output is collected by a thread."""

    def __init__(self, factory: str, env: dict[str, str]) -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1"),
                *("--port", self.url.rsplit(":", 1)[1], "--timeout-graceful-shutdown", "5"),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.output()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def kill(self) -> None:
        """SIGKILL to the server's session (only the processes this test started)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._reader.join(timeout=5)


@contextmanager
def serving(env: dict[str, str], factory: str = "tests.services.import_server:create") -> Iterator[Server]:
    server = Server(factory, env)
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def server_env(db: Engine, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_VC_")}
    env.update(
        SKILLS_VC_DATABASE_URL=db.url.render_as_string(hide_password=False),
        SKILLS_VC_VAR_DIR=str(tmp_path / "var"),
        SKILLS_VC_MASTER_KEY=MASTER_KEY,
        SKILLS_VC_OPERATOR_KEY=OPERATOR_KEY,
        # Plain http (the session cookie is not Secure) and one public URL for every process.
        SKILLS_VC_PUBLIC_URL="http://skills-vc.test",
    )
    return env


def _confirmed_import(site: Platform, rows: int) -> tuple[str, int]:
    """Upload a file of ``rows`` rows and confirm it; returns the import's id and row count."""
    import_id, html = _preview(site, excel_csv(_rows(rows)))
    choices = {group: _suggested(html, group)[:2] for group in _groups(html)}
    response = _confirm(site, import_id, choices)
    assert response.status_code == 303, response.text
    return import_id, rows


def _issuing(site: Platform, import_id: str) -> dict[str, Any]:
    """Wait until the import has issued its first chunk and is still going."""
    deadline = time.monotonic() + 60
    while True:
        progress: dict[str, Any] = site.client.get(f"/portal/bulk/{import_id}/progress").json()
        assert progress["status"] == "issuing", progress
        if progress["done"] > 0:
            return progress
        assert time.monotonic() < deadline
        time.sleep(0.02)


def _state(db: Engine, import_id: str) -> tuple[str, str | None, int, int, int]:
    """(status, error code) of the import, and the credentials, activities and volunteers stored."""
    with db.connect() as connection:
        row = connection.execute(
            select(BulkImport.status, BulkImport.error_code).where(BulkImport.id == import_id)
        ).one()
        counts = [
            int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Credential, Activity, Volunteer)
        ]
    return row.status, row.error_code, counts[0], counts[1], counts[2]


def _site(server: Server) -> Platform:
    return Platform(httpx.Client(base_url=server.url, timeout=30.0), Clock())


def test_a_killed_process_issues_nothing_and_the_next_one_marks_the_import_interrupted(
    db: Engine, server_env: dict[str, str]
) -> None:
    with serving(server_env) as first:
        site = _site(first)
        staff_member(site, site.register("entraide-bxl"))
        import_id, total = _confirmed_import(site, ROWS)
        assert _issuing(site, import_id)["done"] < total
        first.kill()
    # The transaction died with the process: nothing of the import is stored, not even the
    # volunteers it recorded; the row still says issuing, and no process runs it.
    assert _state(db, import_id) == ("issuing", None, 0, 0, 0)

    with serving(server_env) as second:
        site.client.base_url = httpx.URL(second.url)
        assert _state(db, import_id) == ("failed", INTERRUPTED, 0, 0, 0)
        progress = site.client.get(f"/portal/bulk/{import_id}/progress").json()
        assert progress == {"status": "failed", "done": 0, "total": total, "error": INTERRUPTED}
        page = site.client.get(f"/portal/bulk/{import_id}?lang=en").text
        assert f'data-error="{INTERRUPTED}"' in page and 'id="confirm-form"' in page
        # Confirmed again, it issues every row, once.
        again = _confirm(site, import_id, {g: _suggested(page, g)[:2] for g in _groups(page)})
        assert again.status_code == 303, again.text
        assert wait_for_import(site, import_id)["status"] == "done"
        assert _state(db, import_id) == ("done", None, total, total, total)


def test_sigterm_stops_the_running_import_cleanly(db: Engine, server_env: dict[str, str]) -> None:
    env = {**server_env, "SKILLS_VC_TEST_IMPORT_FINISH_SECONDS": "0"}
    with serving(env) as server:
        site = _site(server)
        staff_member(site, site.register("entraide-bxl"))
        import_id, _ = _confirmed_import(site, ROWS)
        _issuing(site, import_id)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM), server.output()
        # Stopped before its next chunk: rolled back and marked, by the process itself.
        assert _state(db, import_id) == ("failed", INTERRUPTED, 0, 0, 0)


# In-process: two runners on one database play two processes; a chunk of issuance waits for the
# test, so an import is held in the middle of its transaction as long as the test needs.


class HeldChunks:
    """Issuance whose chunks wait until the test releases them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self._issue = issuance.issue_activities
        monkeypatch.setattr(issuance, "issue_activities", self._held)

    def _held(self, *args: Any, **kwargs: Any) -> Any:
        self.started.set()
        assert self.release.wait(30)
        return self._issue(*args, **kwargs)


def _runner(platform: Platform) -> ImportRunner:
    state = platform.client.app.state  # type: ignore[attr-defined]
    return ImportRunner(state.session_factory, partial(app_context, state))


def _confirm_service(
    platform: Platform,
    slug: str,
    import_id: str | None,
    rows: int = 0,
    first_row: int = 0,
    confirmed: bool = True,
    **kw: Any,
) -> str:
    """Preview a file of ``rows`` rows (without ``import_id``) and confirm it, through the services."""
    state = platform.client.app.state  # type: ignore[attr-defined]
    with transaction(state.session_factory) as session:
        ctx = app_context(state, session)
        association = associations.get(ctx, slug)
        if import_id is None:
            options = ImportOptions(
                language="fr", coordinator_name="Sophie Claes", coordinator_role="Coordinatrice"
            )
            data = excel_csv(_rows(rows, first_row))
            import_id = bulk_import.preview(ctx, association, None, "benevoles.csv", data, options).id
        if confirmed:
            row = bulk_import.get_import(ctx, association, import_id)
            bulk_import.confirm(ctx, association, import_id, {g["key"]: [SEWING] for g in row.groups}, **kw)
        return import_id


def test_another_process_never_takes_a_running_import_for_an_interrupted_one(
    platform: Platform, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldChunks(monkeypatch)
    slug = platform.register()["slug"]
    import_id = _confirm_service(platform, slug, None, rows=300)
    running = _runner(platform).start(import_id, 300)
    assert held.started.wait(30)

    # A process starting now, and a coordinator confirming the import again from a process that
    # does not run it, while the import is in the middle of its transaction. On PostgreSQL the
    # row is held, so both answer at once; on SQLite they wait for the write lock, released
    # when the import commits.
    threading.Timer(1.0, held.release.set).start()
    assert _runner(platform).recover() == []
    with pytest.raises(ConflictError) as refused:
        _confirm_service(platform, slug, import_id, interrupted=True)
    expected = "import_not_confirmable" if db.dialect.name == "sqlite" else "import_running"
    assert refused.value.code == expected
    running.join(30)
    assert _state(db, import_id)[:3] == ("done", None, 300)


def test_shutdown_stops_the_running_import_and_the_waiting_ones(
    platform: Platform, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldChunks(monkeypatch)
    slug = platform.register()["slug"]
    first = _confirm_service(platform, slug, None, rows=300)  # two chunks
    second = _confirm_service(platform, slug, None, rows=10, first_row=300)
    runner = _runner(platform)
    runner.start(first, 300)
    assert held.started.wait(30)
    runner.start(second, 10)  # waits for the first

    threading.Timer(0.5, held.release.set).start()  # the first chunk ends after the deadline
    started = time.monotonic()
    runner.shutdown(finish_seconds=0.2)
    assert time.monotonic() - started < 5
    for import_id in (first, second):
        assert _state(db, import_id)[:3] == ("failed", INTERRUPTED, 0)
        progress = runner.progress(import_id)
        assert progress is not None and progress.outcome == INTERRUPTED
    # Both can be confirmed again, and issue everything.
    for import_id, rows in ((first, 300), (second, 10)):
        _confirm_service(platform, slug, import_id)
        _runner(platform).start(import_id, rows).join(30)
    assert _state(db, first)[:3] == ("done", None, 310)


def test_shutdown_lets_an_import_finish_within_the_time_it_has(
    platform: Platform, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldChunks(monkeypatch)
    import_id = _confirm_service(platform, platform.register()["slug"], None, rows=300)
    runner = _runner(platform)
    runner.start(import_id, 300)
    assert held.started.wait(30)
    threading.Timer(0.3, held.release.set).start()
    runner.shutdown(finish_seconds=20)
    assert _state(db, import_id)[:3] == ("done", None, 300)


def test_recover_marks_only_the_imports_left_issuing(platform: Platform, db: Engine) -> None:
    slug = platform.register()["slug"]
    left = _confirm_service(platform, slug, None, rows=3)  # confirmed, and no runner ever started
    preview_only = _confirm_service(platform, slug, None, rows=2, first_row=3, confirmed=False)
    assert _runner(platform).recover() == [left]
    assert _state(db, left)[:2] == ("failed", INTERRUPTED)
    assert _state(db, preview_only)[:2] == ("preview", None)
    assert _runner(platform).recover() == []


def test_an_import_run_by_another_process_shows_as_issuing_not_interrupted(
    platform: Platform, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With several processes, the portal page may be served by one that does not run the
    import: on PostgreSQL it sees the runner's lock and says issuing (not interrupted, which
    would offer to confirm it again)."""
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite cannot see a runner of another process (documented in docs/deploy.md)")
    held = HeldChunks(monkeypatch)
    association = platform.register()
    platform.client.base_url = httpx.URL("https://testserver")  # the portal's cookies are Secure
    staff_member(platform, association)
    import_id = _confirm_service(platform, association["slug"], None, rows=300)
    elsewhere = _runner(platform).start(import_id, 300)  # not the app's runner: "another process"
    assert held.started.wait(30)
    try:
        progress = platform.client.get(f"/portal/bulk/{import_id}/progress").json()
        assert progress == {"status": "issuing", "done": 0, "total": 300, "error": None}
        page = platform.client.get(f"/portal/bulk/{import_id}?lang=en").text
        assert 'id="confirm-form"' not in page
    finally:
        held.release.set()
        elsewhere.join(30)
    assert platform.client.get(f"/portal/bulk/{import_id}/progress").json()["status"] == "done"
