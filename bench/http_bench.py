"""HTTP benchmark: the service as clients see it, against a bare FastAPI app measured in the same run.

wrk loads each route for a fixed time at a fixed concurrency: first a bare FastAPI app answering
``{"ok": 1}`` (``bench/bare_app.py``), then ``skills-vc serve``'s ``/static/pages.css``,
``GET /issuers/{slug}/did.json`` and ``POST /credentials/verify`` (one vc+jwt of 5 skills), each
server with one worker and then with two. Every server is a subprocess started and stopped here,
on 127.0.0.1, with the access log off. The database is SQLite in a temporary folder, or the
PostgreSQL database given with ``--database-url`` (an association with a random slug is added).

A measure in which any answer was not 2xx, or any socket failed, is reported as failed, and the
command then exits with status 1; without wrk it says so and exits with status 2.

    python -m bench.http_bench [--output FILE] [--database-url URL] [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

import httpx

from bench.run import MASTER, SKILLS, _machine, _settings
from skills_vc.config import Settings
from skills_vc.services import associations, issuance, records
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.store.migrate import upgrade
from skills_vc.store.session import make_engine, make_session_factory

__all__ = ["Load", "Measure", "Results", "measure", "render", "section"]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
START_SECONDS = 60.0
# The server's own options, shared by the bare app: the same event loop and HTTP parser.
LOOP = ("--loop", "uvloop", "--http", "httptools")
VERIFY_TARGET = 0.5
TWO_WORKER_RATE = 1500.0
TWO_WORKER_P99_MS = 25.0


@dataclass(frozen=True)
class Load:
    """wrk's concurrency: threads, open connections, and seconds per measure (after a warm-up)."""

    threads: int = 2
    connections: int = 16
    seconds: int = 8
    warmup_seconds: int = 2


@dataclass(frozen=True)
class Measure:
    """One wrk run against one route."""

    name: str
    workers: int
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    not_2xx: int
    socket_errors: int
    server_cpu_us: float  # CPU time of the server's processes during the measure, per request

    @property
    def failed(self) -> bool:
        return self.requests == 0 or self.not_2xx > 0 or self.socket_errors > 0


@dataclass
class Results:
    load: Load
    database: str
    access_log: bool
    measures: list[Measure] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(m.failed for m in self.measures)

    def find(self, name: str, workers: int) -> Measure | None:
        return next((m for m in self.measures if m.name == name and m.workers == workers), None)


@dataclass(frozen=True)
class _Target:
    name: str
    path: str
    body: str | None = None


class WrkMissing(RuntimeError):
    """wrk is not on the PATH (Debian: ``apt-get install wrk``)."""


BARE = 'Bare FastAPI `GET /` (`{"ok": 1}`)'
CSS = "`GET /static/pages.css`"
DID = "`GET /issuers/{slug}/did.json`"
VERIFY = "`POST /credentials/verify` (vc+jwt, 5 skills)"


def _enterprise_number() -> str:
    """A random valid Belgian enterprise number, so that runs can share one PostgreSQL database."""
    first = f"0{secrets.randbelow(10**7):07d}"
    return f"{first}{97 - int(first) % 97:02d}"


def prepare(settings: Settings) -> tuple[str, str]:
    """Migrate, register an accredited association and issue one credential; its slug and vc+jwt."""
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    slug = f"bench-http-{secrets.token_hex(4)}"
    with transaction(make_session_factory(engine)) as session:
        ctx = ServiceContext(session, settings, MASTER)
        association, _ = associations.register(
            ctx, associations.NewAssociation("Bench HTTP ASBL", _enterprise_number(), slug)
        )
        associations.change_accreditation(ctx, slug, "accredited", None, "bench")
        volunteer = records.record_volunteer(ctx, association, records.NewVolunteer("Volunteer 0"))
        activity = records.record_activity(
            ctx,
            association,
            records.NewActivity(
                volunteer_id=volunteer.id,
                title="Préparation et distribution de colis alimentaires",
                description="Préparation de colis alimentaires et distribution aux familles.",
                role="Bénévole logistique",
                start_date=date(2020, 3, 16),
                end_date=date(2020, 9, 30),
                hours=120,
                language="fr",
                coordinator_name="Marie Dubois",
                coordinator_role="Coordinatrice",
                skills=[records.SkillRef(f"http://data.europa.eu/esco/skill/{u}") for u in SKILLS],
                tasks=["préparer les colis", "accueillir les familles"],
            ),
        )
        token = issuance.issue_activity(ctx, association, activity.id).secured
    engine.dispose()
    return slug, token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _server_env(settings: Settings, database_url: str) -> dict[str, str]:
    # Only this run's settings: none inherited from the shell that started the bench.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_VC_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        SKILLS_VC_MODE="development",
        SKILLS_VC_VAR_DIR=str(settings.var_dir),
        SKILLS_VC_DATABASE_URL=database_url,
        SKILLS_VC_PUBLIC_URL=settings.public_url,
        SKILLS_VC_MASTER_KEY=str(settings.master_key),
        SKILLS_VC_OPERATOR_KEY=str(settings.operator_key),
        SKILLS_VC_LOG_FORMAT="plain",
    )
    return env


@contextmanager
def _serving(command: list[str], env: dict[str, str], ready_url: str, log_path: Path) -> Iterator[int]:
    """Run ``command`` in its own process group until the block ends, once ``ready_url`` answers 200;
    the block gets the process id."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{_tail(log_path)}")
            try:
                if httpx.get(ready_url, timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{ready_url} not ready after {START_SECONDS:g} s:\n{_tail(log_path)}")
            time.sleep(0.1)
        yield process.pid
    finally:
        # The group holds only this server and its workers (start_new_session above).
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _latency(output: str, percentile: int) -> float:
    found = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {percentile}% latency in wrk's output:\n{output}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _parse(name: str, workers: int, output: str, cpu_seconds: float) -> Measure:
    requests = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if requests is None or rate is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    not_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    answered = int(requests.group(1))
    return Measure(
        name=name,
        workers=workers,
        requests=answered,
        per_second=float(rate.group(1)),
        p50_ms=_latency(output, 50),
        p99_ms=_latency(output, 99),
        not_2xx=int(not_2xx.group(1)) if not_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        server_cpu_us=cpu_seconds / answered * 1e6 if answered else 0.0,
    )


def _wrk(url: str, load: Load, seconds: int, script: Path | None) -> str:
    command = ["wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True)
    return done.stdout


def _post_script(folder: Path, body: str) -> Path:
    # A long bracket string holds the JSON as it is: a vc+jwt has no "]==]" in it.
    path = folder / f"post-{secrets.token_hex(4)}.lua"
    path.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[{body}]==]\n'
    )
    return path


def _check(base: str, target: _Target) -> None:
    """One request before the load: the route must answer 200 (and a verification must succeed)."""
    if target.body is None:
        answer = httpx.get(base + target.path, timeout=10.0)
    else:
        headers = {"Content-Type": "application/json"}
        answer = httpx.post(base + target.path, content=target.body, headers=headers, timeout=10.0)
    if answer.status_code != 200:
        raise RuntimeError(f"{target.path} answered {answer.status_code}: {answer.text[:500]}")


def _cpu_seconds(pid: int) -> float:
    """CPU time, user and system, used so far by ``pid`` and its children (uvicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name sits in parentheses and may hold spaces: the fields after it are plain.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # a process that ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _load(base: str, target: _Target, workers: int, load: Load, folder: Path, pid: int) -> Measure:
    _check(base, target)
    script = _post_script(folder, target.body) if target.body is not None else None
    if load.warmup_seconds:
        _wrk(base + target.path, load, load.warmup_seconds, script)
    before = _cpu_seconds(pid)
    output = _wrk(base + target.path, load, load.seconds, script)
    return _parse(target.name, workers, output, _cpu_seconds(pid) - before)


def measure(
    load: Load = Load(),
    database_url: str | None = None,
    access_log: bool = False,
) -> Results:
    """Every measure, in one run: the bare app and the service, with one worker and with two."""
    if shutil.which("wrk") is None:
        raise WrkMissing("wrk is not installed: apt-get install -y wrk (the HTTP benchmark needs it)")
    with tempfile.TemporaryDirectory(prefix="skills-vc-http-bench-") as name:
        folder = Path(name)
        settings = _settings(folder)
        if database_url is not None:
            settings = settings.model_copy(update={"database_url": database_url})
        url = database_url or str(settings.database_url)
        slug, token = prepare(settings)
        results = Results(load, "PostgreSQL" if database_url else "SQLite (temporary file)", access_log)
        bare = _Target(BARE, "/")
        service = (
            _Target(CSS, "/static/pages.css"),
            _Target(DID, f"/issuers/{slug}/did.json"),
            _Target(VERIFY, "/credentials/verify", json.dumps({"verifiableCredential": token})),
        )
        env = _server_env(settings, url)
        for workers in (1, 2):
            port = _free_port()
            base = f"http://{HOST}:{port}"
            bare_command = [str(BIN / "uvicorn"), "bench.bare_app:app", "--host", HOST, "--port", str(port)]
            bare_command += ["--workers", str(workers), *LOOP, "--no-access-log", "--log-level", "warning"]
            with _serving(bare_command, env, base + "/", folder / "bare.log") as pid:
                results.measures.append(_load(base, bare, workers, load, folder, pid))
            serve = [str(BIN / "skills-vc"), "serve", "--host", HOST, "--port", str(port)]
            serve += ["--workers", str(workers), "--timeout-graceful-shutdown", "2"]
            serve.append("--access-log" if access_log else "--no-access-log")
            with _serving(serve, env, base + "/readyz", folder / "serve.log") as pid:
                results.measures.extend(_load(base, t, workers, load, folder, pid) for t in service)
    return results


def _versions() -> str:
    names = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "orjson")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    first = (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "wrk"
    return ", ".join(found) + "; " + " ".join(first.split()[:2])


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def render(results: Results) -> str:
    """The markdown section: the machine, the load, one row per measure and the targets."""
    load = results.load
    rows = []
    for m in results.measures:
        bare = results.find(BARE, m.workers)
        share = f"{m.per_second / bare.per_second:.0%}" if bare and bare.per_second else "—"
        errors = f"{m.not_2xx}" + (f" (+{m.socket_errors} socket errors)" if m.socket_errors else "")
        state = "**failed**" if m.failed else "ok"
        rows.append(
            f"| {m.name} | {m.workers} | {m.per_second:,.0f} /s | {m.p50_ms:.2f} ms | {m.p99_ms:.2f} ms "
            f"| {errors} | {share} | {m.server_cpu_us:,.0f} µs | {state} |"
        )
    machine = "\n".join(f"- {k}: {v}" for k, v in _machine().items())
    lines = [
        "## HTTP",
        "",
        f"Measured by `python -m bench.http_bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        machine,
        f"- server: {_versions()}",
        "",
        f"Load: wrk with {load.threads} threads and {load.connections} connections, {load.seconds} s per "
        f"measure after a {load.warmup_seconds} s warm-up, on the same machine as the server (wrk's "
        f"threads take CPU from the workers). Servers on 127.0.0.1, uvloop and httptools, access log "
        f"{'on' if results.access_log else 'off'}; database: {results.database}. The bare app is served "
        "by the same uvicorn with the same number of workers; *ratio* is a row's rate over the bare "
        "app's with as many workers. *Not 2xx* is wrk's count of answers with a status of 400 or more "
        "(each route is first checked to answer 200, and none redirects); a measure with any, or with "
        "any socket error, is marked failed. *Server CPU* is the CPU time the server's processes used "
        "during the "
        "measure, divided by the requests answered: it moves much less than the rates when other work "
        "shares the machine.",
        "",
        "| measure | workers | rate | p50 | p99 | not 2xx | ratio to bare | server CPU / request | result |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    one, bare_one = results.find(VERIFY, 1), results.find(BARE, 1)
    two, bare_two = results.find(VERIFY, 2), results.find(BARE, 2)
    if one and bare_one:
        ratio = one.per_second / bare_one.per_second
        lines.append(
            f"- Verification, one worker: {ratio:.0%} of the bare app's rate "
            f"(target >= {VERIFY_TARGET:.0%}): {_met(ratio >= VERIFY_TARGET and not one.failed)}."
        )
    if two and bare_two:
        ok = two.per_second >= TWO_WORKER_RATE and two.p99_ms <= TWO_WORKER_P99_MS and not two.failed
        lines.append(
            f"- Verification, two workers: {two.per_second:,.0f} /s with p99 {two.p99_ms:.1f} ms "
            f"(target >= {TWO_WORKER_RATE:,.0f} /s with p99 <= {TWO_WORKER_P99_MS:g} ms): {_met(ok)}; "
            f"{two.per_second / bare_two.per_second:.0%} of the bare app's rate with two workers."
        )
    if results.failed:
        lines.append("- **This run failed**: some answers were not 2xx or some sockets failed (see above).")
    return "\n".join(lines) + "\n"


def section(
    load: Load = Load(),
    database_url: str | None = None,
    access_log: bool = False,
) -> str:
    """The HTTP section of docs/benchmarks.md (a failed run is marked failed in it)."""
    return render(measure(load, database_url, access_log))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, help="also write the section to this file")
    parser.add_argument("--database-url", help="a PostgreSQL database instead of a temporary SQLite file")
    parser.add_argument("--threads", type=int, default=Load.threads)
    parser.add_argument("--connections", type=int, default=Load.connections)
    parser.add_argument("--seconds", type=int, default=Load.seconds)
    parser.add_argument("--warmup-seconds", type=int, default=Load.warmup_seconds)
    parser.add_argument("--access-log", action="store_true", help="serve with the access log on")
    args = parser.parse_args()
    load = Load(args.threads, args.connections, args.seconds, args.warmup_seconds)
    try:
        results = measure(load, args.database_url, args.access_log)
    except WrkMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    text = render(results)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    print(text)
    if results.failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
