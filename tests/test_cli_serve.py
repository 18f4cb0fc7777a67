"""``skills-vc serve`` as real processes on 127.0.0.1: probes, two workers, SIGTERM, the access log."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from skills_vc.cli import app

ROOT = Path(__file__).resolve().parent.parent
SKILLS_VC = Path(sys.executable).parent / "skills-vc"
GRACE_SECONDS = 5
STARTED = re.compile(r"Started server process \[(\d+)\]")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    # The command name sits in parentheses and may hold spaces: the fields after it are plain.
    return int(stat.rsplit(")", 1)[1].split()[1])


class Server:
    """The command running in its own session, its output (logs, access log) collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(SKILLS_VC), "serve", *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def worker_pids(self) -> set[int]:
        return {int(m.group(1)) for line in list(self.lines) for m in STARTED.finditer(line)}

    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        """Last resort: end the session this test started (only its own processes)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._reader.join(timeout=5)


def _wait_for(url: str, server: Server, deadline: float) -> httpx.Response:
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"serve exited early:\n{server.output()}"
        try:
            response = httpx.get(url, timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if response.status_code == 200:
            return response
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 in time:\n{server.output()}")


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_VC_")}
    env["SKILLS_VC_VAR_DIR"] = str(tmp_path / "var")
    return env


@contextmanager
def _serving(env: dict[str, str], cwd: Path, *args: str) -> Iterator[tuple[Server, int]]:
    port = _free_port()
    server = Server(["--port", str(port), "--timeout-graceful-shutdown", str(GRACE_SECONDS), *args], env, cwd)
    try:
        yield server, port
    finally:
        server.stop()


def _terminate(server: Server) -> None:
    """SIGTERM to the command alone, as an orchestrator sends it; it must be gone within the grace."""
    server.process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code = server.process.wait(timeout=GRACE_SECONDS + 10)
    assert time.monotonic() - started < GRACE_SECONDS + 10
    # One worker shuts down, then uvicorn re-raises the signal it caught: it ends "by SIGTERM".
    assert code in (0, -signal.SIGTERM), server.output()
    assert "Finished server process" in server.output()


@pytest.fixture
def two_workers(server_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Server, int]]:
    with _serving(server_env, tmp_path, "--workers", "2") as serving:
        yield serving


def test_two_workers_probes_and_sigterm(two_workers: tuple[Server, int], tmp_path: Path) -> None:
    server, port = two_workers
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    health = _wait_for(f"{base}/healthz", server, deadline)
    assert health.json() == {"status": "ok"}
    ready = _wait_for(f"{base}/readyz", server, deadline)
    assert ready.json()["status"] == "ready"
    assert ready.json()["database"] == "ok"

    # Both workers have started, and both are children of the command the test ran.
    while len(server.worker_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = server.worker_pids()
    assert len(workers) == 2, server.output()
    assert server.process.pid not in workers
    assert all(_parent_of(pid) == server.process.pid for pid in workers), server.output()
    # Migrations ran once, in the parent, before the workers: the SQLite file is in the var dir.
    assert (tmp_path / "var" / "skills_vc.db").exists()
    assert "share one SQLite file" in server.output()
    # Many requests are served, whichever worker takes them.
    for _ in range(20):
        assert httpx.get(f"{base}/healthz", timeout=2.0).status_code == 200

    _terminate(server)
    assert "GET /healthz HTTP/1.1" in server.output()  # the access log is on by default
    assert all(_parent_of(pid) is None for pid in workers)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/healthz", timeout=1.0)


def test_no_access_log_keeps_link_tokens_out(server_env: dict[str, str], tmp_path: Path) -> None:
    with _serving(server_env, tmp_path, "--no-access-log") as (server, port):
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/readyz", server, time.monotonic() + 30)
        httpx.get(f"{base}/c/volunteer-link-token-0123456789", timeout=2.0)
        _terminate(server)
        assert "Application startup complete" in server.output()
        assert "volunteer-link-token" not in server.output()
        assert "GET /readyz" not in server.output()


def test_serve_help_names_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for option in ("--workers", "--timeout-graceful-shutdown", "--access-log", "--no-access-log"):
        assert option in text
    assert "/c/<token>" in text


def test_serve_refuses_zero_workers(cli: CliRunner) -> None:
    result = cli.invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 2
