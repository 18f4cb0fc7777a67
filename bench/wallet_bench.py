"""Wallet benchmark: SD-JWT VC signing and verification beside the raw signature rates, and the
OpenID4VCI pre-authorized code flow (offer -> credential) in process and over real HTTP.

1. ``dc+sd-jwt`` ``secure`` and ``verify`` (with and without a KB-JWT) of the claims the credential
   endpoint builds (``wallet_issuance.sd_jwt_claims`` of a real issued credential: 2 volunteer
   claims, 8 activity claims and 5 ESCO skills selectively disclosable), Ed25519 and P-256 issuers,
   each beside the raw ``cryptography`` sign / verify rate of a message of the issuer JWT's size.
2. The wallet flow per credential: POST /credentials/{id}/offers (association API key), GET the
   offer, POST token (pre-authorized code + tx_code), POST nonce, POST credential with a proof JWT
   of a fresh holder key; once per configuration when the offer carries both.
   (a) in process through FastAPI's TestClient, on a fresh SQLite file;
   (b) over HTTP with httpx against uvicorn (one worker, as ``skills-vc serve`` runs it) in a child
       process on 127.0.0.1, with 1 and 4 client threads, on SQLite, and on PostgreSQL when
       ``SKILLS_VC_BENCH_DATABASE_URL`` (or ``SKILLS_VC_TEST_DATABASE_URL``) is set: the bench then
       creates its own schema ``bench_wallet_<random>`` in that database and drops only that schema.

    python -m bench.wallet_bench
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from skills_vc.config import Settings
from skills_vc.core import keys
from skills_vc.core.formats import ResolvedKey, Signer, get_format
from skills_vc.core.holder import verify_proof
from skills_vc.core.keys import PrivateKey
from skills_vc.core.sdjwt import conceal, sd_hash
from skills_vc.services import associations, issuance, paper, records, wallet_issuance, wallet_offers
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.services.wallet_offers import CONFIG_OB3, CONFIG_SD_JWT, PRE_AUTHORIZED_GRANT
from skills_vc.store import credentials as credentials_repo
from skills_vc.store import records as records_repo
from skills_vc.store.migrate import upgrade
from skills_vc.store.session import make_engine, make_session_factory

__all__ = ["section"]

_MASTER = bytes(range(32))
_PUBLIC_URL = "https://bench.skills-vc.test"
_OPERATOR_KEY = "bench-operator-key-0123456789"
_ROOT = Path(__file__).resolve().parent.parent
_PG_ENV = ("SKILLS_VC_BENCH_DATABASE_URL", "SKILLS_VC_TEST_DATABASE_URL")
# sew protective workwear, sew pieces of fabric, work in teams, manage volunteers, show empathy
_SKILLS = [
    "e5eb5b7c-bc7f-4c25-820f-f9bdef888b86",
    "a3ef84f9-c436-437a-bc6f-4956ae13e1eb",
    "60c78287-22eb-4103-9c8c-28deaa460da0",
    "232f854a-f5b9-4d8a-8499-23f59852273c",
    "77b636e8-fab3-41a8-8022-1e0a354059dc",
]
_IN_PROCESS_FLOWS = 50  # per configuration set
_HTTP_FLOWS = 60  # per client count and database
_HTTP_CLIENTS = (1, 4)
_WARM_UP = 3
_SERVICE_FLOWS = 40  # the same flow through the services alone
_LOOKUP = "association by slug (`associations.get`, which every step calls)"


def _best_rate(work: Callable[[], int], repeats: int = 5) -> float:
    """Operations per second: the best of several runs (the least disturbed by other load)."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = work()
        rates.append(done / (time.perf_counter() - start))
    return max(rates)


def _settings(folder: Path, database_url: str) -> Settings:
    return Settings(
        var_dir=folder,
        public_url=_PUBLIC_URL,
        master_key=base64.urlsafe_b64encode(_MASTER).decode().rstrip("="),
        operator_key=_OPERATOR_KEY,
        database_url=database_url,
        default_key_type="Ed25519",
    )


# --- data -------------------------------------------------------------------------------------


@dataclass
class Issuer:
    """An accredited association with N issued credentials, as a wallet flow needs them."""

    slug: str
    api_key: str
    credential_ids: list[str]  # not yet offered
    sample: str  # one of them, for the measures outside the flow

    def take(self, n: int) -> list[str]:
        taken, self.credential_ids = self.credential_ids[:n], self.credential_ids[n:]
        if len(taken) < n:
            raise RuntimeError("the bench issued too few credentials")
        return taken


def _populate(settings: Settings, n: int, slug: str = "entraide-bxl") -> Issuer:
    """Migrate, register and accredit an association, record N volunteers and activities (with an
    e-mail, tasks and a location, so the SD-JWT VC has all its disclosures) and issue them."""
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            ctx = ServiceContext(session, settings, _MASTER)
            association, api_key = associations.register(
                ctx, associations.NewAssociation("Entraide Bruxelles ASBL", "0412345020", slug)
            )
            associations.change_accreditation(ctx, slug, "accredited", None, "bench")
            activity_ids = []
            for i in range(n):
                volunteer = records.record_volunteer(
                    ctx, association, records.NewVolunteer(f"Aïcha Benali {i}", f"aicha.{i}@example.org")
                )
                # The row record_activity writes, without the mapper's suggestions (one encoder
                # call per activity, measured in its own section).
                activity = records.activity_row(
                    ctx,
                    association,
                    volunteer.id,
                    records.NewActivity(
                        volunteer_id=volunteer.id,
                        title="Couture de masques pour les hôpitaux",
                        description="Couture de masques et de blouses pour les hôpitaux bruxellois.",
                        role="Couturière bénévole",
                        start_date=date(2020, 3, 23),
                        end_date=date(2020, 6, 30),
                        hours=240,
                        language="fr",
                        coordinator_name="Marie Dubois",
                        coordinator_role="Coordinatrice",
                        skills=[records.SkillRef(f"http://data.europa.eu/esco/skill/{u}") for u in _SKILLS],
                        tasks=["découpe", "couture"],
                        location="Bruxelles",
                    ),
                    suggested=None,
                )
                records_repo.add(session, activity)
                activity_ids.append(activity.id)
            issued = []
            for start in range(0, n, issuance.MAX_BATCH):
                batch = activity_ids[start : start + issuance.MAX_BATCH]
                issued += issuance.issue_activities(ctx, association, batch)
        return Issuer(slug, api_key, [c.id for c in issued], issued[0].id)
    finally:
        engine.dispose()


@contextmanager
def _postgres_schema(url: str) -> Iterator[str]:
    """A URL on a fresh schema of the configured database, and the schema dropped afterwards.

    Only the schema created here is ever dropped: the database's other schemas (``public``,
    which the test suite wipes) are not touched.
    """
    schema = f"bench_wallet_{secrets.token_hex(4)}"
    admin = make_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield scoped.render_as_string(hide_password=False)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


# --- 1. SD-JWT VC sign and verify -------------------------------------------------------------


@dataclass(frozen=True)
class CryptoRow:
    key_type: str
    message: int  # bytes of the issuer JWT's signing input
    disclosures: int
    size: int  # characters of the SD-JWT VC as issued
    raw_sign: float
    raw_verify: float
    conceal: float
    sign: float
    verify: float
    verify_kb: float


def _raw_rates(key: PrivateKey, message: bytes, n: int) -> tuple[float, float]:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        ed_signature = key.sign(message)
        ed_public = key.public_key()

        def sign() -> int:
            for _ in range(n):
                key.sign(message)
            return n

        def verify() -> int:
            for _ in range(n):
                ed_public.verify(ed_signature, message)
            return n

    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        ecdsa = ec.ECDSA(hashes.SHA256())
        ec_signature = key.sign(message, ecdsa)
        ec_public = key.public_key()

        def sign() -> int:
            for _ in range(n):
                key.sign(message, ecdsa)
            return n

        def verify() -> int:
            for _ in range(n):
                ec_public.verify(ec_signature, message, ecdsa)
            return n

    return _best_rate(sign, repeats=3), _best_rate(verify, repeats=3)


def _kb_jwt(sd_jwt: str, holder: PrivateKey, *, aud: str, nonce: str, iat: int) -> str:
    """The presentation closed by a key binding JWT, as tests/api/wallet_support.Holder.kb_jwt does."""
    presentation = sd_jwt if sd_jwt.endswith("~") else sd_jwt + "~"
    alg = "EdDSA" if isinstance(holder, ed25519.Ed25519PrivateKey) else "ES256"
    claims = {"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": sd_hash(presentation)}
    return presentation + jwt.encode(claims, holder, algorithm=alg, headers={"typ": "kb+jwt"})


def _crypto_row(key_type: str, claims: dict[str, Any], holder: PrivateKey, now: int) -> CryptoRow:
    fmt = get_format("dc+sd-jwt")
    key = keys.generate_private_key(key_type)  # type: ignore[arg-type]
    iss = str(claims["iss"])
    fragment = keys.jwk_thumbprint(keys.public_jwk(key))
    signer = Signer(key=key, kid=f"{iss}#{fragment}", algorithm=keys.algorithm_for(key_type))  # type: ignore[arg-type]
    resolved = ResolvedKey(kid=signer.kid, controller=iss, algorithm=signer.algorithm, key=key.public_key())

    def resolve(kid: str) -> ResolvedKey:
        return resolved

    sd_jwt = fmt.secure(claims, signer, now=now)
    issuer_jwt = sd_jwt.split("~", 1)[0]
    message = len(issuer_jwt.rsplit(".", 1)[0])
    presented = _kb_jwt(sd_jwt, holder, aud="https://verifier.example", nonce="n-0123456789", iat=now)
    checked = fmt.verify(presented, resolve, now=now)
    assert [c.name for c in checked.passed] == ["disclosures", "key_binding"], checked.passed
    disclosures = sd_jwt.count("~") - 1 if sd_jwt.endswith("~") else sd_jwt.count("~")
    n = 200

    def conceal_only() -> int:
        for _ in range(n):
            conceal({**claims, "iat": now})
        return n

    def sign() -> int:
        for _ in range(n):
            fmt.secure(claims, signer, now=now)
        return n

    def verify() -> int:
        for _ in range(n):
            fmt.verify(sd_jwt, resolve, now=now)
        return n

    def verify_kb() -> int:
        for _ in range(n):
            fmt.verify(presented, resolve, now=now)
        return n

    raw_sign, raw_verify = _raw_rates(key, os.urandom(message), 1000)
    return CryptoRow(
        key_type=key_type,
        message=message,
        disclosures=disclosures,
        size=len(sd_jwt),
        raw_sign=raw_sign,
        raw_verify=raw_verify,
        conceal=_best_rate(conceal_only, repeats=3),
        sign=_best_rate(sign, repeats=3),
        verify=_best_rate(verify, repeats=3),
        verify_kb=_best_rate(verify_kb, repeats=3),
    )


def _real_claims(settings: Settings, issuer: Issuer, holder: PrivateKey) -> dict[str, Any]:
    """The SD-JWT VC claims of a real issued credential, as the credential endpoint builds them."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            ctx = ServiceContext(session, settings, _MASTER)
            association = associations.get(ctx, issuer.slug)
            row = credentials_repo.by_id(session, issuer.sample)
            assert row is not None
            return wallet_issuance.sd_jwt_claims(ctx, association, row, keys.public_jwk(holder))
    finally:
        engine.dispose()


# --- 2. the OpenID4VCI flow -------------------------------------------------------------------


STEPS = ("offer", "offer_get", "token", "nonce", "proof", "credential")


@dataclass
class FlowTimes:
    """Wall time per step of the flows a client ran (the proof is the wallet signing its JWT)."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STEPS, 0.0))
    flows: int = 0
    credentials: int = 0

    def add(self, other: FlowTimes) -> None:
        for step, s in other.seconds.items():
            self.seconds[step] += s
        self.flows += other.flows
        self.credentials += other.credentials


def _path(url: str) -> str:
    if not url.startswith(_PUBLIC_URL):
        raise AssertionError(f"{url} is not under {_PUBLIC_URL}")
    return url[len(_PUBLIC_URL) :]


def _expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise AssertionError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return dict(response.json())


def wallet_flow(
    client: httpx.Client,
    credential_id: str,
    api_key: str,
    configurations: list[str],
    times: FlowTimes,
) -> list[str]:
    """One credential from offer to wallet: what the coordinator's call and a wallet send."""
    tick = time.perf_counter
    t0 = tick()
    offer = _expect(
        client.post(
            f"/credentials/{credential_id}/offers",
            json={"configurations": configurations},
            headers={"Authorization": f"Bearer {api_key}"},
        ),
        201,
    )
    t1 = tick()
    document = _expect(client.get(_path(offer["credential_offer_uri"])), 200)
    t2 = tick()
    issuer = str(document["credential_issuer"])
    base = _path(issuer) + "/oid4vci"
    grant = document["grants"][PRE_AUTHORIZED_GRANT]
    access = _expect(
        client.post(
            base + "/token",
            data={
                "grant_type": PRE_AUTHORIZED_GRANT,
                "pre-authorized_code": grant["pre-authorized_code"],
                "tx_code": offer["tx_code"],
            },
        ),
        200,
    )["access_token"]
    t3 = tick()
    seconds = times.seconds
    seconds["offer"] += t1 - t0
    seconds["offer_get"] += t2 - t1
    seconds["token"] += t3 - t2
    holder = ed25519.Ed25519PrivateKey.generate()
    holder_jwk = keys.public_jwk(holder)
    out = []
    for configuration in document["credential_configuration_ids"]:
        t4 = tick()
        c_nonce = _expect(client.post(base + "/nonce"), 200)["c_nonce"]
        t5 = tick()
        proof = jwt.encode(
            {"aud": issuer, "iat": int(time.time()), "nonce": c_nonce},
            holder,
            algorithm="EdDSA",
            headers={"typ": "openid4vci-proof+jwt", "jwk": holder_jwk},
        )
        t6 = tick()
        answer = _expect(
            client.post(
                base + "/credential",
                json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
                headers={"Authorization": f"Bearer {access}"},
            ),
            200,
        )
        t7 = tick()
        seconds["nonce"] += t5 - t4
        seconds["proof"] += t6 - t5
        seconds["credential"] += t7 - t6
        out.append(str(answer["credentials"][0]["credential"]))
    times.flows += 1
    times.credentials += len(out)
    return out


@dataclass(frozen=True)
class FlowRun:
    label: str
    clients: int
    configurations: list[str]
    seconds: float
    times: FlowTimes

    @property
    def flows_per_s(self) -> float:
        return self.times.flows / self.seconds

    @property
    def credentials_per_s(self) -> float:
        return self.times.credentials / self.seconds


def _in_process_runs(folder: Path) -> tuple[list[FlowRun], Settings, Issuer]:
    from fastapi.testclient import TestClient

    from skills_vc.api.app import create_app

    settings = _settings(folder, f"sqlite:///{folder / 'in-process.db'}")
    issuer = _populate(settings, 1 + 2 * (_IN_PROCESS_FLOWS + _WARM_UP) + _SERVICE_FLOWS + _WARM_UP)
    engine = make_engine(settings.resolved_database_url)
    runs = []
    try:
        with TestClient(create_app(settings, engine=engine)) as client:
            check = FlowTimes()
            first = wallet_flow(client, issuer.take(1)[0], issuer.api_key, [CONFIG_SD_JWT, CONFIG_OB3], check)
            assert first[0].count("~") >= 15 and "~" not in first[1], "unexpected credential formats"
            for configurations in ([CONFIG_SD_JWT], [CONFIG_SD_JWT, CONFIG_OB3]):
                for cid in issuer.take(_WARM_UP):
                    wallet_flow(client, cid, issuer.api_key, configurations, FlowTimes())
                times = FlowTimes()
                ids = issuer.take(_IN_PROCESS_FLOWS)
                start = time.perf_counter()
                for cid in ids:
                    wallet_flow(client, cid, issuer.api_key, configurations, times)
                runs.append(FlowRun("in process", 1, configurations, time.perf_counter() - start, times))
    finally:
        engine.dispose()
    return runs, settings, issuer


def _service_flows(settings: Settings, issuer: Issuer) -> tuple[dict[str, float], float, float]:
    """The SD-JWT VC flow through the services the routes call, each step in its own transaction
    as a request has it, without HTTP or FastAPI: ms per flow of each step, of the SQL statements
    (cursor time) and their count per flow."""
    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    sql = {"seconds": 0.0, "count": 0}

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        sql["seconds"] += time.perf_counter() - conn.info.pop("bench_started")
        sql["count"] += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    seconds = dict.fromkeys(STEPS, 0.0)

    def step(name: str, call: Callable[[ServiceContext], Any]) -> Any:
        start = time.perf_counter()
        with transaction(factory) as session:
            out = call(ServiceContext(session, settings, _MASTER))
        seconds[name] += time.perf_counter() - start
        return out

    def flow(cid: str) -> None:
        offer = step(
            "offer",
            lambda ctx: wallet_offers.create_offer(
                ctx, associations.get(ctx, issuer.slug), cid, [CONFIG_SD_JWT], actor=issuer.slug
            ),
        )
        document = step(
            "offer_get", lambda ctx: wallet_offers.offer_document(ctx, issuer.slug, offer.offer_id)
        )
        code = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
        access = step(
            "token",
            lambda ctx: wallet_offers.token(
                ctx, issuer.slug, grant_type=PRE_AUTHORIZED_GRANT, code=code, tx_code=offer.tx_code
            ),
        )["access_token"]
        c_nonce = step("nonce", lambda ctx: wallet_offers.new_nonce(ctx, issuer.slug))["c_nonce"]
        start = time.perf_counter()
        holder = ed25519.Ed25519PrivateKey.generate()
        proof = jwt.encode(
            {"aud": document["credential_issuer"], "iat": int(time.time()), "nonce": c_nonce},
            holder,
            algorithm="EdDSA",
            headers={"typ": "openid4vci-proof+jwt", "jwk": keys.public_jwk(holder)},
        )
        seconds["proof"] += time.perf_counter() - start
        body = {"credential_configuration_id": CONFIG_SD_JWT, "proofs": {"jwt": [proof]}}
        step("credential", lambda ctx: wallet_issuance.issue_to_wallet(ctx, issuer.slug, access, body))

    try:
        for cid in issuer.take(_WARM_UP):
            flow(cid)
        for name in seconds:
            seconds[name] = 0.0
        sql.update(seconds=0.0, count=0)
        for cid in issuer.take(_SERVICE_FLOWS):
            flow(cid)
    finally:
        engine.dispose()
    per_flow = {name: s / _SERVICE_FLOWS * 1000 for name, s in seconds.items()}
    return per_flow, sql["seconds"] / _SERVICE_FLOWS * 1000, sql["count"] / _SERVICE_FLOWS


def _credential_parts(settings: Settings, issuer: Issuer, n: int = 30) -> dict[str, float]:
    """Microseconds per call of what the credential endpoint does besides HTTP and the database
    writes, on the in-process database (the same Ed25519 association key)."""
    engine = make_engine(settings.resolved_database_url)
    holder = ed25519.Ed25519PrivateKey.generate()
    holder_jwk = keys.public_jwk(holder)
    parts: dict[str, float] = {}
    try:
        with transaction(make_session_factory(engine)) as session:
            ctx = ServiceContext(session, settings, _MASTER)
            association = associations.get(ctx, issuer.slug)
            row = credentials_repo.by_id(session, issuer.sample)
            assert row is not None
            aud = associations.issuer_url(ctx, association)
            now = int(time.time())
            proof = jwt.encode(
                {"aud": aud, "iat": now, "nonce": "n"},
                holder,
                algorithm="EdDSA",
                headers={"typ": "openid4vci-proof+jwt", "jwk": holder_jwk},
            )
            signer = associations.signer_for(ctx, association)
            claims = wallet_issuance.sd_jwt_claims(ctx, association, row, holder_jwk)
            fmt = get_format("dc+sd-jwt")
            work: dict[str, Callable[[], object]] = {
                "proof JWT check (`verify_proof`)": lambda: verify_proof(proof, audience=aud, now=now),
                "association key lookup and unsealing (`signer_for`)": lambda: associations.signer_for(
                    ctx, association
                ),
                "claims (records, ESCO labels; `sd_jwt_claims`)": lambda: wallet_issuance.sd_jwt_claims(
                    ctx, association, row, holder_jwk
                ),
                "SD-JWT VC signature (`secure`)": lambda: fmt.secure(claims, signer, now=now),
                "paper QR text (`skills_vc_paper_qr`: reads, a second `signer_for`, COSE)": lambda: (
                    paper.qr_text(ctx, association, row.id)
                ),
            }
            for name, call in work.items():

                def repeat(call: Callable[[], object] = call) -> int:
                    for _ in range(n):
                        call()
                    return n

                parts[name] = 1e6 / _best_rate(repeat, repeats=3)

            def lookup() -> int:
                for _ in range(n):
                    session.expunge_all()  # a request starts with an empty identity map
                    associations.get(ctx, issuer.slug)
                return n

            parts[_LOOKUP] = 1e6 / _best_rate(lookup, repeats=3)
    finally:
        engine.dispose()
    return parts


@contextmanager
def _server(settings: Settings) -> Iterator[str]:
    """uvicorn serving the app in a child process on 127.0.0.1 (its own interpreter and GIL): its URL."""
    config = {"var_dir": str(settings.var_dir), "database_url": settings.resolved_database_url}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.wallet_bench", "--serve", json.dumps(config)],
            cwd=_ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            deadline = time.monotonic() + 20
            while url.startswith("http://127.0.0.1:"):
                try:
                    if httpx.get(url + "/openapi.json", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    url = ""
                time.sleep(0.05)
            if not url:
                log.seek(0)
                raise RuntimeError(f"the bench server did not start: {log.read().decode()[-2000:]}")
            yield url
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
            if process.stdout is not None:
                process.stdout.close()


def _serve(config: str) -> None:
    """The child process of ``_Server``: the app on a free port of 127.0.0.1, its URL on stdout."""
    import uvicorn

    from skills_vc.api.app import create_app

    values = json.loads(config)
    settings = _settings(Path(values["var_dir"]), values["database_url"])
    app = create_app(settings)
    # IPPROTO_TCP, as uvicorn's own bind gets from getaddrinfo: asyncio sets TCP_NODELAY only on
    # sockets of that protocol, and without it Nagle + delayed ACK add ~40 ms to each response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    server.run(sockets=[sock])


def _http_runs(settings: Settings, label: str) -> list[FlowRun]:
    issuer = _populate(settings, (_HTTP_FLOWS + _WARM_UP * max(_HTTP_CLIENTS)) * len(_HTTP_CLIENTS))

    def run(client: httpx.Client, chunk: list[str]) -> FlowTimes:
        times = FlowTimes()
        for cid in chunk:
            wallet_flow(client, cid, issuer.api_key, [CONFIG_SD_JWT], times)
        return times

    runs = []
    with _server(settings) as url:
        for clients in _HTTP_CLIENTS:
            warm = issuer.take(_WARM_UP * clients)
            ids = issuer.take(_HTTP_FLOWS)
            http = [httpx.Client(base_url=url, timeout=60) for _ in range(clients)]
            try:
                with ThreadPoolExecutor(clients) as pool:
                    # Each client opens its connection and warms up before the clock starts.
                    list(pool.map(run, http, [warm[i::clients] for i in range(clients)]))
                    start = time.perf_counter()
                    parts = list(pool.map(run, http, [ids[i::clients] for i in range(clients)]))
                    elapsed = time.perf_counter() - start
            finally:
                for client in http:
                    client.close()
            total = FlowTimes()
            for part in parts:
                total.add(part)
            runs.append(FlowRun(label, clients, [CONFIG_SD_JWT], elapsed, total))
    return runs


def _postgres_url() -> tuple[str, str] | None:
    for name in _PG_ENV:
        value = os.environ.get(name)
        if value:
            return name, value
    return None


# --- the section ------------------------------------------------------------------------------


def _rate(value: float) -> str:
    return f"{value:,.0f} /s"


def _us(rate: float) -> str:
    return f"{1e6 / rate:,.0f} µs"


_STEP_NAMES = {
    "offer": "POST /credentials/{id}/offers (API key)",
    "offer_get": "GET the offer",
    "token": "POST token",
    "nonce": "POST nonce",
    "proof": "wallet signs its proof JWT (Ed25519)",
    "credential": "POST credential",
}


def section() -> str:
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    holder = ec.generate_private_key(ec.SECP256R1())
    now = int(datetime.now(UTC).timestamp())
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        in_process, settings, issuer = _in_process_runs(folder / "a")
        claims = _real_claims(settings, issuer, holder)
        crypto = [_crypto_row(kt, claims, holder, now) for kt in ("Ed25519", "P-256")]
        parts = _credential_parts(settings, issuer)
        services, sql_ms, statements = _service_flows(settings, issuer)
        http = _http_runs(_settings(folder / "b", f"sqlite:///{folder / 'b' / 'http.db'}"), "HTTP, SQLite")
        pg = _postgres_url()
        if pg is not None:
            with _postgres_schema(pg[1]) as url:
                http += _http_runs(_settings(folder / "c", url), "HTTP, PostgreSQL")
    elapsed = time.perf_counter() - started

    lines = [
        "## Wallets: SD-JWT VC and the OpenID4VCI flow",
        "",
        "Measured by `bench/wallet_bench.py` (`python -m bench.wallet_bench` runs this section alone).",
        "",
        "### SD-JWT VC (`dc+sd-jwt`) sign and verify",
        "",
        f"The claims the credential endpoint builds for a real issued credential "
        f"(`wallet_issuance.sd_jwt_claims`): {crypto[0].disclosures} disclosures (2 volunteer claims, "
        "8 activity claims, 5 ESCO skills with fr/nl/en labels), a P-256 holder key in `cnf`; "
        f"an issued SD-JWT VC is {crypto[0].size:,} characters. Sign is `secure` (salts, digests, "
        "one signature); verify is `verify` with a resolver that returns the key (signature, then "
        "every disclosure); with KB-JWT also checks the holder's key binding JWT (a second "
        "signature, ES256, and its `sd_hash`). "
        "The raw rates sign and verify a message of the issuer JWT's signing input size "
        f"({crypto[0].message:,} bytes Ed25519, {crypto[1].message:,} bytes P-256).",
        "",
        "| issuer key | measure | rate | per op | ratio to raw |",
        "|---|---|---|---|---|",
    ]
    for row in crypto:
        algo = "Ed25519" if row.key_type == "Ed25519" else "ECDSA P-256"
        entries = [
            (f"raw {algo} sign (`cryptography`)", row.raw_sign, "—"),
            (f"raw {algo} verify (`cryptography`)", row.raw_verify, "—"),
            ("conceal only (salts, disclosures, digests; no signature)", row.conceal, "—"),
            ("SD-JWT VC sign", row.sign, f"{row.sign / row.raw_sign:.0%} of raw sign"),
            ("SD-JWT VC verify", row.verify, f"{row.verify / row.raw_verify:.0%} of raw verify"),
            (
                "SD-JWT VC verify with KB-JWT",
                row.verify_kb,
                f"{row.verify_kb / row.raw_verify:.0%} of raw verify",
            ),
        ]
        for name_, rate, ratio in entries:
            lines.append(f"| {row.key_type} | {name_} | {_rate(rate)} | {_us(rate)} | {ratio} |")

    in_sd = next(r for r in in_process if r.configurations == [CONFIG_SD_JWT])
    lines += [
        "",
        "### OpenID4VCI: offers to credentials",
        "",
        "One flow per credential already issued: `POST /credentials/{id}/offers` (the association's "
        "API key), GET the offer, POST token (pre-authorized code + tx_code), POST nonce, POST "
        "credential with a proof JWT of a fresh Ed25519 holder key; with both configurations the "
        "wallet asks a nonce and a credential for each (SD-JWT VC, then Open Badges 3.0 `vc+jwt`). "
        "Issuer keys Ed25519; the wallet skips the `.well-known` metadata (cacheable). "
        f"In process: FastAPI's TestClient on a fresh SQLite file, {_IN_PROCESS_FLOWS} flows each, "
        "sequential. HTTP: httpx clients (one keep-alive connection and one thread each) against "
        "uvicorn (one worker, h11, as `skills-vc serve` runs it) in a child process on 127.0.0.1, "
        f"{_HTTP_FLOWS} SD-JWT VC flows per row, shared between the clients. "
        "Clients and server share the machine's cores.",
        "",
        "| path | clients | configurations per offer | flows | time | flows/s | credentials/s "
        "| ms per flow |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in in_process + http:
        configs = " + ".join("SD-JWT VC" if c == CONFIG_SD_JWT else "OB3 vc+jwt" for c in run.configurations)
        lines.append(
            f"| {run.label} | {run.clients} | {configs} | {run.times.flows} | {run.seconds:.2f} s | "
            f"{run.flows_per_s:,.1f} | {run.credentials_per_s:,.1f} | "
            f"{run.seconds / run.times.flows * 1000:.1f} |"
        )
    if pg is None:
        lines += [
            "",
            f"PostgreSQL not measured: set {_PG_ENV[0]} (or {_PG_ENV[1]}) to a PostgreSQL URL; the "
            "bench creates its own schema in that database and drops only that schema.",
        ]
    else:
        lines += ["", f"PostgreSQL from `{pg[0]}`, in a schema the bench created and dropped."]

    per_flow = {step: in_sd.times.seconds[step] / in_sd.times.flows * 1000 for step in STEPS}
    flow_ms = in_sd.seconds / in_sd.times.flows * 1000
    lines += [
        "",
        f"Where a flow's time goes: ms per flow of each step, through the TestClient (the SD-JWT VC "
        f"row above, client-side wall time) and through the services alone ({_SERVICE_FLOWS} more "
        "flows calling what the routes call, each step in its own transaction as a request has it, "
        "without HTTP or FastAPI):",
        "",
        "| step | through the TestClient | services alone |",
        "|---|---|---|",
    ]
    for step in STEPS:
        lines.append(f"| {_STEP_NAMES[step]} | {per_flow[step]:.2f} | {services[step]:.2f} |")
    service_ms = sum(services.values())
    lines.append(f"| whole flow | {sum(per_flow.values()):.2f} | {service_ms:.2f} |")
    lines += [
        "",
        "Parts of the services' work (µs per call, each measured alone on the same database; all "
        "but the first are the credential request's, the rest of whose "
        f"{services['credential']:.1f} ms is the access token, nonce and credential lookups, the "
        "accreditation check, and the writes and commit of the issuance and its audit event):",
        "",
        "| part | µs per call |",
        "|---|---|",
    ]
    lines += [
        f"| {name_} | {parts[name_]:,.0f} |" for name_ in [_LOOKUP, *(k for k in parts if k != _LOOKUP)]
    ]
    signing_ms = (
        services["proof"]
        + (parts["proof JWT check (`verify_proof`)"] + parts["SD-JWT VC signature (`secure`)"]) / 1000
    )
    credential_parts = {k: v for k, v in parts.items() if k != _LOOKUP}
    biggest = max(credential_parts, key=lambda k: credential_parts[k])
    lines += [
        "",
        f"What dominates: not the signatures, nor SQLite. The wallet's proof JWT, its check and the "
        f"SD-JWT VC signature take {signing_ms:.1f} ms of the {flow_ms:.0f} ms of an in-process flow "
        f"({signing_ms / flow_ms:.0%}), and the SQL statements ({statements:.0f} per flow) "
        f"{sql_ms:.1f} ms of cursor time. The services take {service_ms:.0f} ms "
        f"({service_ms / flow_ms:.0%}), nearly all of it Python around the statements: SQLAlchemy's "
        "ORM building them, loading objects and their relationships, flushing and committing five "
        "transactions (four write: offer, token, nonce, credential); the association lookup that "
        f"every step repeats is {parts[_LOOKUP] / 1000:.1f} ms each. The rest is FastAPI and the "
        "TestClient around the services (routing, dependencies such as the API key lookup, "
        "validation, JSON). Inside the credential request the largest part is the "
        f"{biggest.split(' (')[0]} ({parts[biggest] / 1000:.1f} ms).",
    ]
    sqlite_http = {r.clients: r for r in http if r.label == "HTTP, SQLite"}
    if len(sqlite_http) == len(_HTTP_CLIENTS):
        few, many = sqlite_http[min(_HTTP_CLIENTS)], sqlite_http[max(_HTTP_CLIENTS)]
        lines[-1] += (
            f" Over HTTP on SQLite, {many.clients} clients reach {many.flows_per_s / few.flows_per_s:.1f}× "
            f"the rate of {few.clients}: one client already keeps the server busy most of the time, the "
            f"server is one process (one GIL) on {os.cpu_count()} cores it shares with the clients, and "
            "SQLite takes one writer at a time (`BEGIN IMMEDIATE`)."
        )
    lines += [
        "",
        f"This section ran in {elapsed:.0f} s; the 1-minute load average was {load_before:.1f} at its "
        f"start and {os.getloadavg()[0]:.1f} at its end, on {os.cpu_count()} cores (other processes "
        "share the CPU: the rates vary from run to run, the ratios and shares less).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        _serve(sys.argv[2])
    else:
        print(section())
