"""Issuance and verification latency on PostgreSQL, from an empty database to a million credentials.

    python -m bench.million_bench --database-url postgresql+psycopg://postgres@127.0.0.1:5432/scratch \\
        [--count 1000000] [--associations 3] [--load bulk|copy] [--output million.md]

The database must be new (nothing issued yet): the benchmark migrates it, registers the
associations and fills their status lists. At each fill level of the lists (empty, a quarter, half,
99 %, just before a list rolls over, half a million, a million) it measures, on the associations'
current lists: single issuance (one credential per transaction, as ``POST
/activities/{id}/credentials`` runs it), bulk issuance (batches of 200), verification
(``verification.verify`` through a ``ServiceContext``, a new session per call, once with the
process's verification cache as it is and once emptied before each call) and revoke-then-verify.

Loading goes through the bulk path (``issue_activities``, batches of 1,000, one transaction each)
unless ``--load copy`` is given: then the credentials between the fill levels are copied in with
``COPY``, each association's rows carrying one credential signed once and reused (their counters
set from what was copied; no audit events). Autovacuum is left as the server has it; the output
records the server's settings and what autovacuum did to ``credentials``.
"""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from skills_vc.config import Settings
from skills_vc.services import associations, issuance, mapping, records, revocation, verification
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.services.verify_cache import cache_for
from skills_vc.store import credentials as repo
from skills_vc.store.migrate import upgrade
from skills_vc.store.session import make_engine, make_read_only_session_factory, make_session_factory
from skills_vc.store.tables import Activity, Credential

__all__ = ["main", "run"]

_MASTER = bytes(range(32))
_BULK_BATCH = 200
_LOAD_BATCH = issuance.MAX_BATCH
_ACTIVITIES = 200
# An association issued through before the first measure, so that no measure pays for warming up,
# and one measured in turn with the others at every level, whose lists stay almost empty.
_WARM_UP = "million-warm-up"
_CONTROL = "million-control"
# Samples per association in a round; the measured associations and the control take turns.
_ROUND = 10
# sew protective workwear, sew pieces of fabric, work in teams, manage volunteers, show empathy
_SKILLS = (
    "e5eb5b7c-bc7f-4c25-820f-f9bdef888b86",
    "a3ef84f9-c436-437a-bc6f-4956ae13e1eb",
    "60c78287-22eb-4103-9c8c-28deaa460da0",
    "232f854a-f5b9-4d8a-8499-23f59852273c",
    "77b636e8-fab3-41a8-8022-1e0a354059dc",
)
_COPY_COLUMNS = (
    "id",
    "association_id",
    "activity_id",
    "volunteer_id",
    "status_list_seq",
    "status_index",
    "format",
    "secured",
    "kid",
    "issued_at",
    "valid_from",
)
# What the output reports of the server's maintenance settings.
_SETTINGS = (
    "autovacuum",
    "autovacuum_naptime",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_scale_factor",
    "shared_buffers",
    "synchronous_commit",
)


@dataclass
class Platform:
    """The database, the settings, and what the benchmark has issued so far per association."""

    engine: Engine
    factory: sessionmaker[Session]
    read_only: sessionmaker[Session]
    settings: Settings
    slugs: list[str]
    activities: dict[str, list[str]]
    issued: dict[str, int]
    remote: verification.RemoteStatusLists
    signed: dict[str, dict[str, Any]] = field(default_factory=dict)

    @contextmanager
    def context(self) -> Iterator[ServiceContext]:
        with transaction(self.factory) as session:
            yield ServiceContext(session, self.settings, _MASTER)

    @property
    def capacity(self) -> int:
        return repo.list_capacity(self.settings.status_list_size)


# What is measured at each level, in milliseconds (a bulk batch's time for "bulk").
_METRICS = ("single", "bulk", "verify", "verify_fresh", "revoke", "verify_revoked")


@dataclass
class Level:
    """One fill level: each metric's samples on the measured associations, and on the control
    association (whose lists stay nearly empty) measured in turn with them, one sample each."""

    name: str
    total: int
    fill: list[tuple[int, int]]
    measured: dict[str, list[float]]
    control: dict[str, list[float]]
    autovacuum: str


def _enterprise_number(n: int) -> str:
    base = f"04{n:06d}"
    return base + f"{97 - int(base) % 97:02d}"


def _register(ctx: ServiceContext, number: int, slug: str) -> list[str]:
    """An accredited association with its volunteers and activities: the activities' ids.

    The activities are recorded as a bulk import records them (checked, skills labelled, without
    the mapper's suggestions, which would take most of the set-up time).
    """
    association, _ = associations.register(
        ctx, associations.NewAssociation(f"Association {number} ASBL", _enterprise_number(number), slug)
    )
    associations.change_accreditation(ctx, slug, "accredited", None, "bench")
    confirmed = mapping.confirmed_skills([f"http://data.europa.eu/esco/skill/{u}" for u in _SKILLS], "fr")
    values = []
    for n in range(_ACTIVITIES):
        volunteer = records.record_volunteer(ctx, association, records.NewVolunteer(f"Bénévole {n}"))
        new = records.NewActivity(
            volunteer_id=volunteer.id,
            title="Préparation et distribution de colis alimentaires",
            description="Préparation de colis et distribution aux familles (confinement).",
            role="Bénévole logistique",
            start_date=date(2020, 3, 16),
            end_date=date(2020, 9, 30),
            hours=40 + n,
            language="fr",
            coordinator_name="Marie Dubois",
            coordinator_role="Coordinatrice",
            skills=[records.SkillRef(f"http://data.europa.eu/esco/skill/{u}") for u in _SKILLS],
            tasks=["préparer les colis", "accueillir les familles"],
        )
        values.append(
            records.activity_values(ctx, association, volunteer.id, new, suggested=None, confirmed=confirmed)
        )
    ctx.session.execute(insert(Activity), values)
    return [v["id"] for v in values]


def _setup(engine: Engine, settings: Settings, count: int) -> Platform:
    """``count`` associations to measure, and one more that warms the process up first."""
    factory = make_session_factory(engine)
    slugs = [f"million-{i}" for i in range(count)]
    with transaction(factory) as session:
        ctx = ServiceContext(session, settings, _MASTER)
        extra = [*slugs, _WARM_UP, _CONTROL]
        activities = {slug: _register(ctx, i + 1, slug) for i, slug in enumerate(extra)}
    return Platform(
        engine=engine,
        factory=factory,
        read_only=make_read_only_session_factory(engine),
        settings=settings,
        slugs=slugs,
        activities=activities,
        issued=dict.fromkeys(extra, 0),
        remote=verification.RemoteStatusLists(settings.status_cache_seconds),
    )


def _issue(platform: Platform, slug: str, count: int) -> list[issuance.IssuedCredential]:
    ids = platform.activities[slug]
    batch = [ids[i % len(ids)] for i in range(platform.issued[slug], platform.issued[slug] + count)]
    with platform.context() as ctx:
        issued = issuance.issue_activities(ctx, associations.get(ctx, slug), batch)
    platform.issued[slug] += count
    return issued


def _load_bulk(platform: Platform, slug: str, count: int) -> None:
    while count > 0:
        size = min(count, _LOAD_BATCH)
        _issue(platform, slug, size)
        count -= size


def _load_copy(platform: Platform, slug: str, count: int) -> None:
    """``count`` rows copied in, in the lists where the service would have put them (each list
    filled to its capacity), at random indexes the list does not use yet; counters set after."""
    if slug not in platform.signed:
        platform.signed[slug] = vars(_issue(platform, slug, 1)[0])
        count -= 1
    model = platform.signed[slug]
    capacity, size = platform.capacity, platform.settings.status_list_size
    start = platform.issued[slug]
    rows: list[tuple[Any, ...]] = []
    with platform.engine.begin() as conn:
        for seq in range(start // capacity, (start + count - 1) // capacity + 1):
            first = max(start, seq * capacity)
            last = min(start + count, (seq + 1) * capacity)
            used = set(
                conn.scalars(
                    select(Credential.status_index).where(
                        Credential.association_id == model["association_id"],
                        Credential.status_list_seq == seq,
                    )
                )
            )
            free = [
                i for i in random.sample(range(size), min(size, last - first + len(used))) if i not in used
            ]
            rows.extend(
                (
                    f"urn:uuid:{uuid.uuid4()}",
                    model["association_id"],
                    model["activity_id"],
                    model["volunteer_id"],
                    seq,
                    index,
                    model["format"],
                    model["secured"],
                    model["kid"],
                    model["issued_at"],
                    model["valid_from"],
                )
                for index in free[: last - first]
            )
        raw = conn.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY credentials ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.execute(
            text(
                "INSERT INTO status_list_counters (association_id, seq, allocated) "
                "SELECT association_id, status_list_seq, count(*) FROM credentials "
                "WHERE association_id = :association GROUP BY association_id, status_list_seq "
                "ON CONFLICT (association_id, seq) DO UPDATE SET allocated = EXCLUDED.allocated"
            ),
            {"association": model["association_id"]},
        )
    platform.issued[slug] += len(rows)


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return (time.perf_counter() - start) * 1000, result


def _verify(platform: Platform, token: str, *, fresh: bool) -> tuple[float, Any]:
    """One verification as the verify route runs it: a new read-only session, committed after."""
    session = platform.read_only()
    try:
        if fresh:
            cache_for(session, platform.settings.verify_cache_seconds).invalidate()
        ctx = ServiceContext(session, platform.settings, _MASTER)
        elapsed, report = _timed(lambda: verification.verify(ctx, token, platform.remote))
        if session.in_transaction():
            session.commit()
    finally:
        session.close()
    return elapsed, report


def _revoke(platform: Platform, slug: str, credential_id: str) -> None:
    with platform.context() as ctx:
        revocation.change_status(ctx, associations.get(ctx, slug), credential_id, "revoke", "benchmark")


def _association_id(conn: Connection, slug: str) -> int:
    return int(conn.scalar(text("SELECT id FROM associations WHERE slug = :s"), {"s": slug}))


def _fill(platform: Platform, slugs: list[str]) -> list[tuple[int, int]]:
    """(newest list, credentials in it) per association, counted in the credentials."""
    out = []
    with platform.engine.connect() as conn:
        for slug in slugs:
            association_id = _association_id(conn, slug)
            seq = repo.max_seq(Session(conn), association_id)
            used = conn.scalar(
                select(func.count()).where(
                    Credential.association_id == association_id, Credential.status_list_seq == seq
                )
            )
            out.append((seq, int(used or 0)))
    return out


def _autovacuum(engine: Engine) -> str:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT n_live_tup, n_dead_tup, last_vacuum, last_autovacuum, last_analyze, "
                "last_autoanalyze, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables "
                "WHERE relname = 'credentials'"
            )
        ).one()
    analysed = row.last_analyze or row.last_autoanalyze
    return f"{row.autovacuum_count} autovacuum(s), {row.autoanalyze_count} autoanalyze(s); " + (
        f"last analysed {analysed:%H:%M:%S}" if analysed else "never analysed"
    )


def _samples(
    platform: Platform, slugs: list[str], samples: int, revocations: int, bulk_batches: int
) -> dict[str, list[float]]:
    """One round of every metric on ``slugs`` (round robin), ``samples`` credentials each."""
    times: dict[str, list[float]] = {name: [] for name in _METRICS}
    issued: list[tuple[str, str, str]] = []
    for i in range(samples * len(slugs)):
        slug = slugs[i % len(slugs)]
        elapsed, credential = _timed(lambda slug=slug: _issue(platform, slug, 1)[0])
        times["single"].append(elapsed)
        issued.append((slug, credential.id, credential.secured))
    for fresh, name in ((False, "verify"), (True, "verify_fresh")):
        for _, _, token in issued:
            elapsed, report = _verify(platform, token, fresh=fresh)
            if not report.verified:
                raise AssertionError(f"a benchmark credential failed verification: {report.as_dict()}")
            times[name].append(elapsed)
    for slug, credential_id, token in issued[: revocations * len(slugs)]:
        times["revoke"].append(_timed(lambda slug=slug, cid=credential_id: _revoke(platform, slug, cid))[0])
        elapsed, report = _verify(platform, token, fresh=False)
        status = report.check("status")
        if status is None or status.code != "revoked":
            raise AssertionError(f"a revoked credential was not reported revoked: {report.as_dict()}")
        times["verify_revoked"].append(elapsed)
    for b in range(bulk_batches * len(slugs)):
        slug = slugs[b % len(slugs)]
        times["bulk"].append(_timed(lambda slug=slug: _issue(platform, slug, _BULK_BATCH))[0])
    return times


def _measure(platform: Platform, name: str, samples: int, revocations: int, bulk_batches: int) -> Level:
    """Every metric on the measured associations and on the control one, in small alternating
    rounds, so that both see the same load of the machine."""
    level = Level(
        name=name,
        total=sum(platform.issued.values()),
        fill=_fill(platform, platform.slugs),
        measured={metric: [] for metric in _METRICS},
        control={metric: [] for metric in _METRICS},
        autovacuum="",
    )
    rounds = max(1, samples // _ROUND)
    revoked = max(1, revocations // rounds)
    share = len(platform.slugs)  # the control takes as many samples as all the others together
    for r in range(rounds):
        # Bulk batches come in the last rounds, after most single issuances of the level.
        bulk = 1 if r >= rounds - bulk_batches else 0
        for slugs, into, k in ((platform.slugs, level.measured, 1), ([_CONTROL], level.control, share)):
            got = _samples(platform, slugs, _ROUND * k, revoked * k, bulk * k)
            for metric, values in got.items():
                into[metric].extend(values)
    level.autovacuum = _autovacuum(platform.engine)
    return level


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _cell(values: list[float]) -> str:
    return f"{_p(values, 50):.1f} / {_p(values, 95):.1f}"


def _rate(batches: list[float]) -> float:
    """Credentials per second of the median batch."""
    return _BULK_BATCH / (statistics.median(batches) / 1000)


def _server(engine: Engine) -> tuple[str, dict[str, str]]:
    with engine.connect() as conn:
        version = str(conn.scalar(text("SHOW server_version")))
        values = {name: str(conn.scalar(text(f"SHOW {name}"))) for name in _SETTINGS}
    return version, values


def _plans(platform: Platform) -> str:
    """The plans of what issuance and verification read, on the last list of the first association."""
    with platform.engine.connect() as conn:
        association_id = _association_id(conn, platform.slugs[0])
        seq = repo.max_seq(Session(conn), association_id)
        wanted = random.sample(range(platform.settings.status_list_size), _BULK_BATCH)
        queries = {
            "free index lookup (200 drawn indexes)": (
                "SELECT wanted.i FROM unnest(CAST(:w AS integer[])) AS wanted(i) JOIN LATERAL "
                "(SELECT 1 FROM credentials WHERE association_id = :a AND status_list_seq = :s "
                "AND status_index = wanted.i LIMIT 1) AS hit ON true",
                {"w": wanted, "a": association_id, "s": seq},
            ),
            "set bits of a list (verification, status list signing)": (
                "SELECT status_index FROM credentials WHERE association_id = :a AND status_list_seq = :s "
                "AND revoked_at IS NOT NULL",
                {"a": association_id, "s": seq},
            ),
            "newest list (max_seq)": (
                "SELECT max(status_list_seq) FROM credentials WHERE association_id = :a",
                {"a": association_id},
            ),
        }
        out = []
        for title, (sql, params) in queries.items():
            plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql), params).scalars().all()
            out.append(f"{title}:\n\n```\n" + "\n".join(plan) + "\n```\n")
    return "\n".join(out)


def _render(
    levels: list[Level], platform: Platform, load: str, load_seconds: float, wall: float, server: Any
) -> str:
    version, values = server
    empty = levels[0].measured
    absolute, relative = [], []
    for level in levels:
        fills = ", ".join(f"{used:,} in list {seq}" for seq, used in level.fill)
        m, c = level.measured, level.control
        absolute.append(
            f"| {level.name} | {level.total:,} | {fills} | {_cell(m['single'])} | {_rate(m['bulk']):,.0f} "
            f"| {_cell(m['verify'])} | {_cell(m['verify_fresh'])} | {_cell(m['revoke'])} "
            f"| {_cell(m['verify_revoked'])} | {level.autovacuum} |"
        )
        cells = []
        for metric in ("single", "bulk", "verify_fresh", "revoke", "verify_revoked"):
            # Bulk is a rate: its ratio is taken on the batch time, so that above 1 is slower too.
            cells.append(
                f"{_p(m[metric], 50) / _p(empty[metric], 50) - 1:+.0%} "
                f"({_p(m[metric], 50) / _p(c[metric], 50):.2f}×)"
            )
        relative.append(f"| {level.name} | " + " | ".join(cells) + " |")
    loaded = (
        f"through the bulk path (`issue_activities`, batches of {_LOAD_BATCH:,}, one transaction each)"
        if load == "bulk"
        else "with `COPY`, each association's rows carrying one credential signed once and reused "
        "(counters set from what was copied, no audit events); every measured credential is issued "
        "through the service"
    )
    return (
        "## A million credentials on PostgreSQL\n\n"
        f"Measured by `python -m bench.million_bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"PostgreSQL {version}, {len(platform.slugs)} associations, status lists of "
        f"{platform.settings.status_list_size:,} entries taking {platform.capacity:,} credentials each. "
        f"The credentials between fill levels were loaded {loaded}: {load_seconds:,.0f} s; the whole "
        f"run took {wall:,.0f} s.\n\n"
        "Server settings: " + ", ".join(f"`{k}` = {v}" for k, v in values.items()) + ".\n\n"
        "Latencies in ms, p50 / p95. Single issuance: one credential per transaction, round robin over "
        f"the associations. Bulk: batches of {_BULK_BATCH}, credentials per second of the median batch. "
        "Verification "
        "as-is: a new session per call, the process's verification cache as the previous calls left "
        "it; fresh: the cache emptied before each call. Revoke: one transaction (the lists signed "
        "again); then the revoked credential verified.\n\n"
        "| fill level | credentials | newest list per association | single issuance | bulk /s "
        "| verification as-is | verification, fresh cache | revoke | verify after revoke "
        "| autovacuum on `credentials` |\n|---|---|---|---|---|---|---|---|---|---|\n"
        + "\n".join(absolute)
        + "\n\nThe p50 against the empty database's, and (in brackets) against a control association "
        "measured in turn with the others at the same level: its lists stay almost empty, so the "
        "ratio shows what the level itself costs, apart from the load of the machine at the time "
        "(bulk: the time of a batch).\n\n"
        "| fill level | single issuance | bulk batch | verification, fresh cache | revoke "
        "| verify after revoke |\n|---|---|---|---|---|---|\n" + "\n".join(relative) + "\n\n"
        "### Plans at the end (`EXPLAIN ANALYZE`)\n\n" + _plans(platform)
    )


def _levels(capacity: int, associations_count: int, count: int, samples: int) -> list[tuple[str, int]]:
    """(name, credentials per association to have issued before measuring) of each fill level."""
    per = count // associations_count
    wanted = [
        ("empty", 0),
        ("25 % of the first list", capacity // 4),
        ("50 %", capacity // 2),
        ("99 %", capacity * 99 // 100),
        # Most single issuances of the level take the list's last free indexes, then a bulk batch
        # spans the roll-over.
        ("just before a roll-over", capacity - samples - _BULK_BATCH // 2),
        ("half a million in all", 500_000 // associations_count),
        ("a million in all", 1_000_000 // associations_count),
    ]
    return [(name, target) for name, target in wanted if target <= per] + (
        [("the count asked for", per)] if per not in {t for _, t in wanted} else []
    )


def run(args: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory() as folder:
        return _run(args, Path(folder))


def _run(args: argparse.Namespace, folder: Path) -> str:
    started = time.perf_counter()
    engine = make_engine(args.database_url)
    upgrade(engine)
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(Credential)):
            raise SystemExit("the database already holds credentials: give the benchmark a new one")
    settings = Settings(
        var_dir=folder,
        public_url="https://bench.skills-vc.test",
        master_key=base64.urlsafe_b64encode(_MASTER).decode().rstrip("="),
        operator_key="bench-operator-key-0123456789",
        database_url=args.database_url,
    )
    platform = _setup(engine, settings, args.associations)
    _samples(platform, [_WARM_UP], samples=20, revocations=5, bulk_batches=2)
    load = _load_bulk if args.load == "bulk" else _load_copy
    levels: list[Level] = []
    load_seconds = 0.0
    for name, target in _levels(platform.capacity, args.associations, args.count, args.samples):
        load_started = time.perf_counter()
        for slug in platform.slugs:
            if platform.issued[slug] < target:
                load(platform, slug, target - platform.issued[slug])
        load_seconds += time.perf_counter() - load_started
        print(f"{name}: {sum(platform.issued.values()):,} issued, measuring", file=sys.stderr, flush=True)
        levels.append(_measure(platform, name, args.samples, args.revocations, args.bulk_batches))
    server = _server(engine)
    text_out = _render(levels, platform, args.load, load_seconds, time.perf_counter() - started, server)
    engine.dispose()
    return text_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a new PostgreSQL database")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--associations", type=int, default=3)
    parser.add_argument("--load", choices=("bulk", "copy"), default="bulk")
    parser.add_argument("--samples", type=int, default=60, help="single issuances per association and level")
    parser.add_argument("--revocations", type=int, default=10, help="revocations per association and level")
    parser.add_argument("--bulk-batches", type=int, default=2, help="bulk batches per association and level")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    section = run(args)
    if args.output:
        args.output.write_text(section)
    print(section)


if __name__ == "__main__":
    main()
