"""``make bench``: throughput of issuance and verification, each against the raw Ed25519 rate of
``cryptography`` measured in the same run, written to docs/benchmarks.md with the machine."""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519

from bench import mapper_bench, paper_bench, portal_bench, presentation_bench, wallet_bench
from skills_vc.config import Settings
from skills_vc.core.verify import VerifiedListCache, VerifyContext, verify_presented
from skills_vc.services import associations, issuance, records, status_lists, verification, verify_cache
from skills_vc.services.context import ServiceContext, transaction, utc_now
from skills_vc.store.migrate import upgrade
from skills_vc.store.session import make_engine, make_read_only_session_factory, make_session_factory

MASTER = bytes(range(32))
BATCH = 200
# sew protective workwear, sew pieces of fabric, work in teams, manage volunteers, show empathy
SKILLS = [
    "e5eb5b7c-bc7f-4c25-820f-f9bdef888b86",
    "a3ef84f9-c436-437a-bc6f-4956ae13e1eb",
    "60c78287-22eb-4103-9c8c-28deaa460da0",
    "232f854a-f5b9-4d8a-8499-23f59852273c",
    "77b636e8-fab3-41a8-8022-1e0a354059dc",
]


def _best_rate(work: Callable[[], int], repeats: int = 5) -> float:
    """Operations per second: the best of several runs (the least disturbed by other load)."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = work()
        rates.append(done / (time.perf_counter() - start))
    return max(rates)


def raw_ed25519(message_size: int) -> tuple[float, float]:
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key()
    message = os.urandom(message_size)
    signature = key.sign(message)
    n = 3000

    def sign() -> int:
        for _ in range(n):
            key.sign(message)
        return n

    def verify() -> int:
        for _ in range(n):
            public.verify(signature, message)
        return n

    return _best_rate(sign), _best_rate(verify)


def _settings(folder: Path) -> Settings:
    return Settings(
        var_dir=folder,
        public_url="https://bench.skills-vc.test",
        master_key=base64.urlsafe_b64encode(MASTER).decode().rstrip("="),
        operator_key="bench-operator-key-0123456789",
        database_url=f"sqlite:///{folder / 'bench.db'}",
    )


def _prepare(settings: Settings) -> tuple[Any, str, list[str]]:
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ctx = ServiceContext(session, settings, MASTER)
        association, _ = associations.register(
            ctx, associations.NewAssociation("Bench ASBL", "0412345020", "bench")
        )
        associations.change_accreditation(ctx, "bench", "accredited", None, "bench")
        activity_ids = []
        for i in range(BATCH):
            volunteer = records.record_volunteer(ctx, association, records.NewVolunteer(f"Volunteer {i}"))
            activity = records.record_activity(
                ctx,
                association,
                records.NewActivity(
                    volunteer_id=volunteer.id,
                    title="Préparation et distribution de colis alimentaires",
                    description=(
                        "Préparation de colis alimentaires et distribution aux familles "
                        "pendant le confinement."
                    ),
                    role="Bénévole logistique",
                    start_date=date(2020, 3, 16),
                    end_date=date(2020, 9, 30),
                    hours=120 + i,
                    language="fr",
                    coordinator_name="Marie Dubois",
                    coordinator_role="Coordinatrice",
                    skills=[records.SkillRef(f"http://data.europa.eu/esco/skill/{u}") for u in SKILLS],
                    tasks=["préparer les colis", "accueillir les familles"],
                ),
            )
            activity_ids.append(activity.id)
    return factory, "bench", activity_ids


def bench_issuance(settings: Settings, batches: int) -> tuple[float, list[str]]:
    factory, slug, activity_ids = _prepare(settings)
    tokens: list[str] = []

    def work() -> int:
        for _ in range(batches):
            with transaction(factory) as session:
                ctx = ServiceContext(session, settings, MASTER)
                issued = issuance.issue_activities(ctx, associations.get(ctx, slug), activity_ids)
                tokens.extend(c.secured for c in issued[:5])
        return batches * len(activity_ids)

    return _best_rate(work, repeats=3), tokens


def bench_verification(settings: Settings, tokens: list[str]) -> tuple[float, float, float]:
    """Three views of one verification (each token is a distinct credential of one association):
    the core alone with everything at hand; as ``POST /credentials/verify`` runs it (from the
    process's cache with no session, falling back to a session once the change counter is due
    for a read, every ``verify_cache_seconds``); and with that cache emptied before each call (the
    registry and the lists read from SQLite every time, as before the cache)."""
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    remote = verification.RemoteStatusLists(settings.status_cache_seconds)
    with transaction(factory) as session:
        ctx = ServiceContext(session, settings, MASTER)
        resolve = associations.key_resolver(ctx)
        trust_lookup = associations.trust_lookup(ctx)
        report = verification.verify(ctx, tokens[0], remote)
        assert report.verified, report.as_dict()
        lists: dict[str, str] = {}
        assert report.credential is not None
        for entry in report.credential["credentialStatus"]:
            url = entry["statusListCredential"]
            slug_, purpose, seq = url.rsplit("/", 3)[1:]
            lists[url] = status_lists.signed_list(ctx, slug_, purpose, int(seq)).secured
        trust_cache: dict[tuple[str, datetime], Any] = {}

        def cached_trust(did: str, moment: datetime) -> Any:
            if (did, moment) not in trust_cache:
                trust_cache[(did, moment)] = trust_lookup(did, moment)
            return trust_cache[(did, moment)]

        for token in tokens:  # warm the key cache of the resolver
            resolve(jwt.get_unverified_header(token)["kid"])
        core_ctx = VerifyContext(
            resolve_key=resolve,
            trust=cached_trust,
            load_status_list=lists.__getitem__,
            now=datetime.now(UTC),
            list_cache=VerifiedListCache(),
        )
    n = 2000
    sample = (tokens * (n // len(tokens) + 1))[:n]

    def core() -> int:
        for token in sample:
            if not verify_presented(token, core_ctx).verified:
                raise AssertionError("a benchmark credential failed verification")
        return n

    read_only = make_read_only_session_factory(engine)

    def as_a_request(token: str) -> bool:
        # As the verify route runs it: from memory when all is there, else with a session.
        found = verification.verify_in_memory(engine, settings, utc_now, token, remote)
        if found is not None:
            return found.verified
        session = read_only()  # as the verify route's (a deferred transaction on SQLite)
        try:
            verified = verification.verify(ServiceContext(session, settings, MASTER), token, remote).verified
            session.commit()
        finally:
            session.close()
        return verified

    def service() -> int:
        for token in sample:
            if not as_a_request(token):
                raise AssertionError("a benchmark credential failed verification")
        return n

    with factory() as session:
        cache = verify_cache.cache_for(session, settings.verify_cache_seconds)
    m = 300

    def cold() -> int:
        for token in sample[:m]:
            cache.invalidate()
            if not as_a_request(token):
                raise AssertionError("a benchmark credential failed verification")
        return m

    core_rate = _best_rate(core)
    service_rate = _best_rate(service)
    cold_rate = _best_rate(cold, repeats=3)
    engine.dispose()
    return core_rate, service_rate, cold_rate


def _machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {
        name: metadata.version(name) for name in ("cryptography", "pyjwt", "sqlalchemy", "jsonschema-rs")
    }
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "libraries": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--batches", type=int, default=5)
    args = parser.parse_args()
    sections: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        settings = _settings(Path(folder))
        issue_rate, tokens = bench_issuance(settings, args.batches)
        message = len(tokens[0].rsplit(".", 1)[0])
        sign_rate, verify_rate = raw_ed25519(message)
        core_rate, service_rate, cold_rate = bench_verification(settings, tokens)
    machine = _machine()
    rows = [
        ("Raw Ed25519 sign (`cryptography`)", sign_rate, "—", "—"),
        ("Raw Ed25519 verify (`cryptography`)", verify_rate, "—", "—"),
        (
            f"Bulk issuance, sign + persist on SQLite (batches of {BATCH}, one transaction each)",
            issue_rate,
            f"{issue_rate / sign_rate:.0%} of raw sign",
            ">= 25 %",
        ),
        (
            "Verification in process as `POST /credentials/verify` runs it (`verify_in_memory`: "
            "registry and status lists from the process's cache, no session, no SQL; `vc+jwt`)",
            service_rate,
            f"{service_rate / verify_rate:.0%} of raw verify",
            ">= 50 %",
        ),
        (
            "Verification core alone, keys, accreditation and lists handed in (`verify_presented`)",
            core_rate,
            f"{core_rate / verify_rate:.0%} of raw verify",
            "—",
        ),
        (
            "Verification with the process cache emptied before each call (registry and lists read "
            "from SQLite, as before the cache)",
            cold_rate,
            f"{cold_rate / verify_rate:.0%} of raw verify",
            "—",
        ),
    ]
    table = "\n".join(
        f"| {name} | {rate:,.0f} /s | {ratio} | {target} |" for name, rate, ratio, target in rows
    )
    sections.append(
        "## Credential core\n\n"
        f"Signing input of {message} bytes (a credential with {len(SKILLS)} ESCO skills); "
        "the raw rates sign and verify a message of that size.\n\n"
        "| measure | rate | ratio | target |\n|---|---|---|---|\n" + table + "\n"
    )
    sections.append(mapper_bench.section())
    sections.append(paper_bench.section())
    sections.append(portal_bench.section())
    sections.append(wallet_bench.section())
    sections.append(presentation_bench.section())
    from bench import http_bench  # it imports this module's helpers

    sections.append(http_bench.section())
    header = (
        "# Benchmarks\n\n"
        f"Measured by `make bench` (`python -m bench.run`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        + "\n".join(f"- {k}: {v}" for k, v in machine.items())
        + "\n\nRates are the best of several runs. Targets are goals, not test assertions. On a shared "
        "virtual machine, rates vary by up to a third from one run to the next: compare the ratios "
        "measured in the same run. A million credentials on PostgreSQL: "
        "[benchmarks-million.md](benchmarks-million.md) (`make bench-million`).\n\n"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(header + "\n".join(sections))
    print(header + "\n".join(sections))
    print(
        json.dumps(
            {
                "issue_per_s": issue_rate,
                "sign_per_s": sign_rate,
                "verify_core_per_s": core_rate,
                "verify_service_per_s": service_rate,
                "verify_per_s": verify_rate,
            }
        )
    )


if __name__ == "__main__":
    main()
