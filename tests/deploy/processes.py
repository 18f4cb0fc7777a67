"""The processes of the deployment, run by the tests as their own children: ``skills-vc serve``
replicas on loopback ports and nginx as the TLS reverse proxy in front of them.

Each process leads a process group of its own, so that a test ends it, and only it, by its id.
"""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx
from sqlalchemy.engine import URL

from tests.conftest import MASTER_KEY, OPERATOR_KEY

__all__ = [
    "GRACE_SECONDS",
    "NGINX",
    "PROXY_CONF",
    "ROOT",
    "VERIFY_CACHE_SECONDS",
    "Proxy",
    "Replica",
    "free_port",
    "migrate",
    "service_env",
    "wait_until",
]

ROOT = Path(__file__).resolve().parents[2]
SKILLS_VC = Path(sys.executable).parent / "skills-vc"
NGINX = Path("/usr/sbin/nginx")
PROXY_CONF = ROOT / "deploy" / "nginx" / "skills-vc-proxy.conf"
# --timeout-graceful-shutdown of the replicas: requests in flight get this long after SIGTERM.
GRACE_SECONDS = 5
# SKILLS_VC_VERIFY_CACHE_SECONDS of the replicas: how long one may verify with what it holds in
# memory before it learns of a revocation made through the other.
VERIFY_CACHE_SECONDS = 1.0


def free_port() -> int:
    """A port of 127.0.0.1 free at the time of asking."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(done: Callable[[], bool], timeout: float, what: str, why_not: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s\n{why_not()}")
        time.sleep(0.1)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


class _Child:
    """A child process leading its own process group, its output in a file."""

    def __init__(self, name: str, log: Path) -> None:
        self.name = name
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self, args: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                list(args), env=env, stdout=out, stderr=subprocess.STDOUT, process_group=0
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return f"--- {self.name} ({self.log}):\n{_tail(self.log)}"

    def _end(self, sig: signal.Signals, timeout: float) -> None:
        """``sig`` to the process, then SIGKILL to its process group if it outlives ``timeout``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class Replica(_Child):
    """One ``skills-vc serve --workers 1`` process on a loopback port: one replica of the service."""

    def __init__(self, name: str, env: Mapping[str, str], port: int, log: Path) -> None:
        super().__init__(name, log)
        self.env = dict(env)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.address = f"127.0.0.1:{port}"

    def start(self) -> None:
        self._spawn(
            [
                str(SKILLS_VC),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                # The one-shot `skills-vc migrate` ran before; replicas starting together must not
                # migrate at the same time.
                "--no-migrate-first",
                "--timeout-graceful-shutdown",
                str(GRACE_SECONDS),
                "--no-access-log",
            ],
            self.env,
        )

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}\n{self.output()}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200
        except httpx.TransportError:
            return False

    def wait_ready(self, timeout: float = 30) -> None:
        wait_until(self.ready, timeout, f"{self.name} ready on {self.url}", self.output)

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        self._end(signal.SIGTERM, GRACE_SECONDS + 5)


_NGINX_CONF = """\
{user}worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;

events {{
    worker_connections 512;
}}

http {{
    access_log {work}/access.log;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;

    # As deploy/nginx/nginx.conf, with the replicas' loopback ports and a shorter fail_timeout.
    upstream skills_vc {{
{servers}
        keepalive 32;
        keepalive_timeout 4s;
    }}

    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        # Which replica served the request (every one tried, comma-separated): for the tests only.
        add_header X-Upstream-Addr $upstream_addr always;

        include {proxy_conf};
    }}
}}
"""


class Proxy(_Child):
    """nginx with TLS on a loopback port, running ``deploy/nginx/skills-vc-proxy.conf``."""

    def __init__(self, work: Path, upstreams: Sequence[str], cert: Path, key: Path) -> None:
        super().__init__("nginx", work / "nginx.out")
        self.work = work
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        # A master process running as root hands the requests to workers running as "user"; the
        # files of the test belong to whoever runs it.
        user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" if os.geteuid() == 0 else ""
        servers = "\n".join(f"        server {a} max_fails=1 fail_timeout=2s;" for a in upstreams)
        self.conf = work / "nginx.conf"
        self.conf.write_text(
            _NGINX_CONF.format(
                user=user,
                work=work,
                servers=servers,
                port=self.port,
                cert=cert,
                key=key,
                proxy_conf=PROXY_CONF,
            )
        )

    def start(self) -> None:
        args = [str(NGINX), "-p", str(self.work), "-c", str(self.conf), "-e", str(self.work / "error.log")]
        check = subprocess.run([*args, "-t"], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        self._spawn([*args, "-g", "daemon off;"])
        wait_until(self._listening, 10, "nginx listening", self.output)

    def _listening(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"nginx exited with {self.process.returncode}\n{self.output()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def output(self) -> str:
        return f"{super().output()}\n--- nginx error.log:\n{_tail(self.work / 'error.log')}"

    def stop(self) -> None:
        # SIGQUIT: nginx's graceful shutdown.
        self._end(signal.SIGQUIT, 10)


def service_env(database_url: URL, public_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of a production replica: explicit secrets, PostgreSQL, its public URL.

    Nothing of the test's own SKILLS_VC_ environment leaks in; uvicorn trusts the proxy headers of
    127.0.0.1 (its default FORWARDED_ALLOW_IPS), where nginx runs.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SKILLS_VC_") and k not in ("PROMETHEUS_MULTIPROC_DIR", "FORWARDED_ALLOW_IPS")
    }
    env.update(
        SKILLS_VC_MODE="production",
        SKILLS_VC_DATABASE_URL=database_url.render_as_string(hide_password=False),
        SKILLS_VC_PUBLIC_URL=public_url,
        SKILLS_VC_MASTER_KEY=MASTER_KEY,
        SKILLS_VC_OPERATOR_KEY=OPERATOR_KEY,
        SKILLS_VC_VAR_DIR=str(var_dir),
        SKILLS_VC_VERIFY_CACHE_SECONDS=str(VERIFY_CACHE_SECONDS),
    )
    return env


def migrate(env: Mapping[str, str]) -> None:
    """``skills-vc migrate``: the one-shot step before any replica starts."""
    done = subprocess.run(
        [str(SKILLS_VC), "migrate"], env=dict(env), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
