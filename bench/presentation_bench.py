"""Presentation benchmark: what the platform does with a holder's presentation, beside the raw
signature rates, in process and over real HTTP.

1. In process, on a fresh SQLite file, with credentials issued to a P-256 holder key through the
   OpenID4VCI services (the realistic SD-JWT VC and Open Badges 3.0 ``vc+jwt`` of wallet_bench):
   (a) an SD-JWT VC presentation (the disclosures a counsellor asks for, as
       tests/api/wallet_support.py ``select`` keeps them, closed by a KB-JWT as ``Holder.kb_jwt``
       closes it) through ``services.verification.verify``, what the OpenID4VP response endpoint
       calls; its parts timed (registry, accreditation, status list, schema, SQL);
   (b) the OpenID4VP answer end to end through ``services.vp_requests``: ``create_request``,
       ``request_object``, the wallet checking the request object and signing its KB-JWT,
       ``respond`` (and ``state_of``, the counsellor's page polling), each service call in its own
       transaction as a request has it;
   (c) the W3C VC API ``POST /presentations/verify`` when ``services.vp_verification`` and its route
       exist: a ``vp+jwt`` holding two ``vc+jwt`` (bound to the holder's ``did:jwk``) and an
       SD-JWT+KB, each with a challenge and a domain, through the service and the TestClient.
2. Over HTTP with httpx against uvicorn (wallet_bench's server: one worker in a child process on
   127.0.0.1, TCP_NODELAY), 1 and 4 client threads: the counsellor's request (POST /verify/wallet,
   which sets a cookie and redirects), GET the request object, POST the wallet's answer to the
   response URI, GET the status JSON; on SQLite, and on PostgreSQL when
   ``SKILLS_VC_BENCH_DATABASE_URL`` (or ``SKILLS_VC_TEST_DATABASE_URL``) is set, in a schema of its
   own that is dropped afterwards (wallet_bench's ``_postgres_schema``).

    python -m bench.presentation_bench
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bench import wallet_bench as wb
from skills_vc.config import Settings
from skills_vc.core import keys
from skills_vc.core.formats import get_format
from skills_vc.core.formats.vcjwt import wrap_envelope
from skills_vc.core.holder import did_jwk
from skills_vc.core.keys import b64url_decode
from skills_vc.core.sdjwt import join, split
from skills_vc.core.verify import VerifyContext, verify_presented
from skills_vc.services import associations, verification, vp_requests, wallet_issuance, wallet_offers
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.services.verification import RemoteStatusLists
from skills_vc.services.wallet_offers import CONFIG_OB3, CONFIG_SD_JWT, PRE_AUTHORIZED_GRANT
from skills_vc.store import associations as associations_repo
from skills_vc.store.session import make_engine, make_session_factory
from skills_vc.store.tables import Association

__all__ = ["section"]

# What the counsellor ticks besides the skills, the activity and the role, and the SD-JWT VC
# disclosures that answer it (the skills are array elements, kept whole).
_EXTRAS = ("name", "start", "end")
_DISCLOSED = {"title", "role", "name", "start_date", "end_date"}
_DOMAIN = "https://verifier.bench.example"
_HTTP_FLOWS = 48  # per client count and database
_HTTP_CLIENTS = (1, 4)
_WARM_UP = 2  # flows per client before the clock starts
_SERVICE_FLOWS = 30
_FLOOR_PATH = "/vct/volunteer-activity"
_FLOOR_REQUESTS = 100
_BUDGET = 0.35  # seconds per timed repeat of an in-process measure


# --- the holder and its presentations ---------------------------------------------------------


def select(sd_jwt: str, names: set[str]) -> str:
    """The SD-JWT with the skills (array elements) and the named property disclosures only, as
    tests/api/wallet_support.select keeps them."""
    issuer_jwt, disclosures, _ = split(sd_jwt)
    kept = []
    for disclosure in disclosures:
        decoded = json.loads(b64url_decode(disclosure))
        if (len(decoded) == 2 and isinstance(decoded[1], dict) and "uri" in decoded[1]) or (
            len(decoded) == 3 and decoded[1] in names
        ):
            kept.append(disclosure)
    return join(issuer_jwt, kept)


@dataclass
class Wallet:
    """A P-256 holder key and what was issued to it: one SD-JWT VC, N OB3 ``vc+jwt``."""

    key: ec.EllipticCurvePrivateKey
    sd_jwt: str
    ob3: list[str]

    @property
    def did(self) -> str:
        return did_jwk(keys.public_jwk(self.key))

    def sd_presentation(self, *, aud: str, nonce: str, iat: int | None = None) -> str:
        """The asked disclosures closed by a KB-JWT (``Holder.kb_jwt``)."""
        chosen = select(self.sd_jwt, _DISCLOSED)
        return wb._kb_jwt(chosen, self.key, aud=aud, nonce=nonce, iat=iat or int(time.time()))

    def vp_jwt(self, *, challenge: str, domain: str) -> str:
        """A VC-JOSE-COSE ``vp+jwt``: the presentation is the payload, the credentials enveloped."""
        now = int(time.time())
        payload = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": self.did,
            "verifiableCredential": [wrap_envelope(token) for token in self.ob3],
            "nonce": challenge,
            "aud": domain,
            "iat": now,
            "exp": now + 300,
        }
        headers = {"typ": "vp+jwt", "kid": self.did + "#0"}
        return jwt.encode(payload, self.key, algorithm="ES256", headers=headers)


def _issue_to(settings: Settings, issuer: wb.Issuer, holder: ec.EllipticCurvePrivateKey, config: str) -> str:
    """One credential of ``issuer`` through the OpenID4VCI services, bound to ``holder``."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            ctx = ServiceContext(session, settings, wb._MASTER)
            association = associations.get(ctx, issuer.slug)
            offer = wallet_offers.create_offer(
                ctx, association, issuer.take(1)[0], [config], actor=issuer.slug
            )
            document = wallet_offers.offer_document(ctx, issuer.slug, offer.offer_id)
            code = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
            access = wallet_offers.token(
                ctx, issuer.slug, grant_type=PRE_AUTHORIZED_GRANT, code=code, tx_code=offer.tx_code
            )["access_token"]
            c_nonce = wallet_offers.new_nonce(ctx, issuer.slug)["c_nonce"]
            proof = jwt.encode(
                {"aud": document["credential_issuer"], "iat": int(time.time()), "nonce": c_nonce},
                holder,
                algorithm="ES256",
                headers={"typ": "openid4vci-proof+jwt", "jwk": keys.public_jwk(holder)},
            )
            body = {"credential_configuration_id": config, "proofs": {"jwt": [proof]}}
            answer = wallet_issuance.issue_to_wallet(ctx, issuer.slug, access, body)
            return str(answer["credentials"][0]["credential"])
    finally:
        engine.dispose()


def _prepare(settings: Settings, ob3: int = 0) -> Wallet:
    """An accredited association, its credentials, and a wallet holding an SD-JWT VC of one and
    the OB3 ``vc+jwt`` of ``ob3`` others."""
    Path(settings.var_dir).mkdir(parents=True, exist_ok=True)
    issuer = wb._populate(settings, 1 + ob3)
    holder = ec.generate_private_key(ec.SECP256R1())
    sd_jwt = _issue_to(settings, issuer, holder, CONFIG_SD_JWT)
    return Wallet(holder, sd_jwt, [_issue_to(settings, issuer, holder, CONFIG_OB3) for _ in range(ob3)])


# --- timing helpers ---------------------------------------------------------------------------


def _rate_of(call: Callable[[], object], repeats: int = 3, limit: int = 2000) -> float:
    """Calls per second of ``call``, the best of ``repeats`` runs of about ``_BUDGET`` seconds."""
    call()
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-6)
    n = max(5, min(limit, int(_BUDGET / once)))

    def work() -> int:
        for _ in range(n):
            call()
        return n

    return wb._best_rate(work, repeats=repeats)


@dataclass
class SqlMeter:
    """Cursor time and count of the SQL statements an engine runs while ``on``."""

    seconds: float = 0.0
    count: int = 0
    on: bool = False

    def attach(self, engine: Engine) -> None:
        def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            conn.info["bench_started"] = time.perf_counter()

        def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            started = conn.info.pop("bench_started", None)
            if self.on and started is not None:
                self.seconds += time.perf_counter() - started
                self.count += 1

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)


def _raw_verify(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, size: int) -> float:
    return wb._raw_rates(key, os.urandom(size), 1000)[1]


def _signing_input(token: str) -> int:
    return len(token.split("~", 1)[0].rsplit(".", 1)[0])


# --- 1. in process ----------------------------------------------------------------------------

REST = "the rest: parsing, 3 signatures (issuer JWT, KB-JWT, status list), disclosures, status bits"
VERIFY_PARTS = (
    "registry key lookup (`key_resolver`)",
    "accreditation lookup (`trust_lookup`)",
    "status list read and re-derived (`signed_token_list`)",
    "claims against the SD-JWT VC JSON Schema",
)


@dataclass
class Verifications:
    message: dict[str, int]  # signing input sizes: issuer JWT, KB-JWT, vc+jwt, vp+jwt
    raw: dict[str, float]  # raw verify rates at those sizes
    rates: dict[str, float]
    parts_us: dict[str, float]  # of verification.verify on the SD-JWT+KB, µs per call
    sql_ms: float
    statements: float
    lookup_us: float  # one association lookup by slug
    lookups_per_call: float
    presentation_chars: int
    disclosures: int
    vp_api: bool = False
    vp_missing: str = ""


def _vp_api_missing() -> str:
    """Why ``POST /presentations/verify`` cannot be measured ("" when it can)."""
    try:
        from skills_vc.services import vp_verification  # noqa: F401
    except ImportError:
        return "`skills_vc/services/vp_verification.py` does not exist yet"
    from skills_vc.api.routes import vcapi

    if not any(getattr(route, "path", "") == "/presentations/verify" for route in vcapi.router.routes):
        return "`skills_vc/api/routes/vcapi.py` has no `POST /presentations/verify` route yet"
    return ""


def _verifications(settings: Settings, wallet: Wallet) -> Verifications:
    engine = make_engine(settings.resolved_database_url)
    meter = SqlMeter()
    meter.attach(engine)
    remote = RemoteStatusLists(settings.status_cache_seconds)
    rates: dict[str, float] = {}
    parts = dict.fromkeys(VERIFY_PARTS, 0.0)
    missing = _vp_api_missing()
    try:
        with transaction(make_session_factory(engine)) as session:
            ctx = ServiceContext(session, settings, wb._MASTER)
            nonce = secrets.token_urlsafe(24)
            presented = wallet.sd_presentation(aud=vp_requests.client_id(ctx), nonce=nonce)
            report = verification.verify(ctx, presented, remote)
            assert report.verified, report.as_dict()
            binding = report.check("key_binding")
            assert binding is not None and binding.status == "passed", report.as_dict()

            def service() -> None:
                session.expunge_all()  # a request starts with an empty identity map
                verification.verify(ctx, presented, remote)

            fmt = get_format("dc+sd-jwt")
            resolve = associations.key_resolver(ctx)  # keeps the key once resolved
            now = int(time.time())
            rates["format"] = _rate_of(lambda: fmt.verify(presented, resolve, now=now))
            rates["service"] = _rate_of(service)

            # The same calls verification.verify makes, each of its callables timed.
            def timed(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
                def wrapped(*args: Any) -> Any:
                    start = time.perf_counter()
                    try:
                        return call(*args)
                    finally:
                        parts[name] += time.perf_counter() - start

                return wrapped

            # The association lookup by slug (with its accreditation events, loaded with it) that
            # several of them repeat, counted and timed where it is defined.
            by_slug = associations_repo.by_slug

            def counted(session: Session, slug: str) -> Association | None:
                start = time.perf_counter()
                try:
                    return by_slug(session, slug)
                finally:
                    lookups[0] += time.perf_counter() - start
                    lookups[1] += 1

            lookups = [0.0, 0]
            n = max(10, int(rates["service"]))  # about one second
            meter.seconds, meter.count, meter.on = 0.0, 0, True
            associations_repo.by_slug = counted
            start = time.perf_counter()
            try:
                for _ in range(n):
                    session.expunge_all()
                    verify_presented(
                        presented,
                        VerifyContext(
                            resolve_key=timed(VERIFY_PARTS[0], associations.key_resolver(ctx)),
                            trust=timed(VERIFY_PARTS[1], associations.trust_lookup(ctx)),
                            load_status_list=timed(VERIFY_PARTS[2], verification.status_loader(ctx, remote)),
                            now=ctx.now(),
                            list_cache=remote.verified,
                            check_claims=timed(VERIFY_PARTS[3], verification.sd_jwt_claims_validator(ctx)),
                        ),
                    )
                total = time.perf_counter() - start
            finally:
                associations_repo.by_slug = by_slug
            meter.on = False
            parts_us = {name: s / n * 1e6 for name, s in parts.items()}
            parts_us[REST] = total / n * 1e6 - sum(parts_us.values())
            lookup_us, lookups_per_call = lookups[0] / lookups[1] * 1e6, lookups[1] / n
            sql_ms, statements = meter.seconds / n * 1000, meter.count / n

            # One OB3 vc+jwt through the same service, to weigh a vp+jwt carrying two.
            envelope = wrap_envelope(wallet.ob3[0])
            assert verification.verify(ctx, envelope, remote).verified

            def credential() -> None:
                session.expunge_all()
                verification.verify(ctx, envelope, remote)

            rates["vc_jwt"] = _rate_of(credential)

            vp_message = 0
            if not missing:
                from skills_vc.services import vp_verification

                challenge = secrets.token_urlsafe(16)
                options = vp_verification.PresentationOptions(challenge=challenge, domain=_DOMAIN)
                vp = wallet.vp_jwt(challenge=challenge, domain=_DOMAIN)
                sd_vp = wallet.sd_presentation(aud=_DOMAIN, nonce=challenge)
                vp_message = len(vp.rsplit(".", 1)[0])
                for name, value in (("vp_jwt", vp), ("vp_sd", sd_vp)):
                    checked = vp_verification.verify(ctx, value, options, remote)
                    assert checked.verified and len(checked.credentials) == (2 if name == "vp_jwt" else 1), (
                        checked.as_dict()
                    )

                    def through_service(value: str = value) -> None:
                        session.expunge_all()
                        vp_verification.verify(ctx, value, options, remote)

                    rates[name] = _rate_of(through_service)
        if not missing:  # after the session above: SQLite takes one writer at a time
            rates |= _vp_api_rates(settings, engine, {"vp_jwt": vp, "vp_sd": sd_vp}, challenge)
    finally:
        engine.dispose()

    ed = ed25519.Ed25519PrivateKey.generate()
    p256 = ec.generate_private_key(ec.SECP256R1())
    message = {
        "issuer": _signing_input(presented),
        "kb": len(presented.rsplit("~", 1)[1].rsplit(".", 1)[0]),
        "vc_jwt": _signing_input(wallet.ob3[0]),
    }
    raw = {
        "issuer": _raw_verify(ed, message["issuer"]),
        "kb": _raw_verify(p256, message["kb"]),
        "vc_jwt": _raw_verify(ed, message["vc_jwt"]),
    }
    if vp_message:
        message["vp_jwt"] = vp_message
        raw["vp_jwt"] = _raw_verify(p256, vp_message)
    return Verifications(
        message=message,
        raw=raw,
        rates=rates,
        parts_us=parts_us,
        sql_ms=sql_ms,
        statements=statements,
        lookup_us=lookup_us,
        lookups_per_call=lookups_per_call,
        presentation_chars=len(presented),
        disclosures=len(split(presented)[1]),
        vp_api=not missing,
        vp_missing=missing,
    )


def _vp_api_rates(
    settings: Settings, engine: Engine, bodies: dict[str, str], challenge: str
) -> dict[str, float]:
    """``POST /presentations/verify`` through FastAPI's TestClient (the same database)."""
    from fastapi.testclient import TestClient

    from skills_vc.api.app import create_app

    rates = {}
    with TestClient(create_app(settings, engine=engine)) as client:
        for name, value in bodies.items():
            body = {"verifiablePresentation": value, "options": {"challenge": challenge, "domain": _DOMAIN}}

            def post(body: dict[str, Any] = body) -> None:
                response = client.post("/presentations/verify", json=body)
                if response.status_code != 200 or not response.json().get("verified"):
                    raise AssertionError(
                        f"/presentations/verify: {response.status_code} {response.text[:300]}"
                    )

            rates[name + "_api"] = _rate_of(post)
    return rates


STEPS = ("ask", "request_object", "wallet", "answer", "status")
_STEP_NAMES = {
    "ask": "the counsellor's request (`create_request`; POST /verify/wallet)",
    "request_object": "request object signed (`request_object`; GET it)",
    "wallet": "wallet checks the request object (ES256) and signs its KB-JWT",
    "answer": "the answer checked and kept (`respond`; POST to the response URI)",
    "status": "the counsellor's page polls (`state_of`; GET the status JSON)",
}


@dataclass
class FlowTimes:
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STEPS, 0.0))
    flows: int = 0

    def add(self, other: FlowTimes) -> None:
        for step, s in other.seconds.items():
            self.seconds[step] += s
        self.flows += other.flows

    def ms(self, step: str) -> float:
        return self.seconds[step] / self.flows * 1000


def _platform_key(document: dict[str, Any], token: str) -> Any:
    """The verifier's public key the request object's ``kid`` names in its DID document."""
    kid = jwt.get_unverified_header(token)["kid"]
    method = next(m for m in document["verificationMethod"] if m["id"] == kid)
    return jwt.PyJWK(method["publicKeyJwk"], algorithm="ES256").key


def _wallet_answer(
    wallet: Wallet, document: dict[str, Any], request_object: str
) -> tuple[str, dict[str, str]]:
    """What the wallet does with a request object: check it, answer it (response URI, form)."""
    payload = jwt.decode(
        request_object,
        _platform_key(document, request_object),
        algorithms=["ES256"],
        audience="https://self-issued.me/v2",
        leeway=5,
    )
    presentation = wallet.sd_presentation(aud=payload["client_id"], nonce=payload["nonce"])
    vp_token = json.dumps({vp_requests.QUERY_ID: [presentation]})
    return str(payload["response_uri"]), {"vp_token": vp_token, "state": str(payload["state"])}


def _service_flows(settings: Settings, wallet: Wallet) -> tuple[FlowTimes, float, float]:
    """(b): the answer through the services, each call in its own transaction; with the SQL
    statements' cursor time (ms) and count per flow."""
    engine = make_engine(settings.resolved_database_url)
    meter = SqlMeter()
    meter.attach(engine)
    factory = make_session_factory(engine)
    remote = RemoteStatusLists(settings.status_cache_seconds)
    times = FlowTimes()

    def step(name: str, call: Callable[[ServiceContext], Any]) -> Any:
        start = time.perf_counter()
        with transaction(factory) as session:
            out = call(ServiceContext(session, settings, wb._MASTER))
        times.seconds[name] += time.perf_counter() - start
        return out

    def flow(check: bool = False) -> None:
        made = step("ask", lambda ctx: vp_requests.create_request(ctx, list(_EXTRAS)))
        token = step("request_object", lambda ctx: vp_requests.request_object(ctx, made.id))
        start = time.perf_counter()
        _, form = _wallet_answer(wallet, document, token)
        times.seconds["wallet"] += time.perf_counter() - start
        step("answer", lambda ctx: vp_requests.respond(ctx, made.id, form, remote))
        state = step("status", lambda ctx: vp_requests.state_of(ctx, made.id, made.viewer_secret))
        if state != "answered":
            raise AssertionError(f"the request is {state} after the wallet's answer")
        if check:
            with transaction(factory) as session:
                ctx = ServiceContext(session, settings, wb._MASTER)
                answer = vp_requests.read_answer(ctx, made.id, made.viewer_secret)
                assert answer.report is not None and answer.report.verified, answer
                assert set(answer.disclosed) == {*vp_requests.REQUIRED, *_EXTRAS}, answer.disclosed

    try:
        with transaction(factory) as session:
            document = vp_requests.platform_did_document(ServiceContext(session, settings, wb._MASTER))
        flow(check=True)
        for _ in range(_WARM_UP):
            flow()
        times.seconds = dict.fromkeys(STEPS, 0.0)
        meter.on = True
        for _ in range(_SERVICE_FLOWS):
            flow()
        meter.on = False
        times.flows = _SERVICE_FLOWS
    finally:
        engine.dispose()
    return times, meter.seconds / _SERVICE_FLOWS * 1000, meter.count / _SERVICE_FLOWS


# --- 2. over HTTP -----------------------------------------------------------------------------


def answer_flow(client: httpx.Client, wallet: Wallet, document: dict[str, Any], times: FlowTimes) -> str:
    """A counsellor asks, the wallet answers, the counsellor's page sees the answer: its request id."""
    tick = time.perf_counter
    t0 = tick()
    made = client.post("/verify/wallet", data={"claims": list(_EXTRAS)}, follow_redirects=False)
    if made.status_code != 303:
        raise AssertionError(f"POST /verify/wallet: {made.status_code} {made.text[:300]}")
    request_id = made.headers["location"].rsplit("/", 1)[1]
    t1 = tick()
    token = client.get(f"/verify/wallet/requests/{request_id}")
    if token.status_code != 200:
        raise AssertionError(f"request object: {token.status_code} {token.text[:300]}")
    t2 = tick()
    response_uri, form = _wallet_answer(wallet, document, token.text)
    t3 = tick()
    wb._expect(client.post(wb._path(response_uri), data=form), 200)
    t4 = tick()
    state = wb._expect(client.get(f"/verify/wallet/{request_id}/status"), 200)
    t5 = tick()
    if state != {"state": "answered"}:
        raise AssertionError(f"the request is {state} after the wallet's answer")
    for step, seconds in zip(STEPS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
        times.seconds[step] += seconds
    times.flows += 1
    return request_id


@dataclass(frozen=True)
class HttpRun:
    label: str
    clients: int
    seconds: float
    times: FlowTimes
    floor_ms: float  # one request that reads no database

    @property
    def per_s(self) -> float:
        return self.times.flows / self.seconds


def _http_runs(settings: Settings, label: str) -> list[HttpRun]:
    wallet = _prepare(settings)

    def run(client: httpx.Client, flows: int) -> FlowTimes:
        times = FlowTimes()
        for _ in range(flows):
            answer_flow(client, wallet, document, times)
            client.cookies.clear()  # one cookie per request, scoped to its path
        return times

    runs = []
    with wb._server(settings) as url:
        document = httpx.get(url + "/.well-known/did.json", timeout=10).json()
        with httpx.Client(base_url=url, timeout=60) as first:
            request_id = answer_flow(first, wallet, document, FlowTimes())
            page = first.get(f"/verify/wallet/{request_id}")
            if page.status_code != 200 or 'data-verdict="verified"' not in page.text:
                raise AssertionError(f"the counsellor's result page: {page.status_code} {page.text[:300]}")
            # The floor of any request: one that reads no database (the SD-JWT VC type metadata).
            for _ in range(_WARM_UP * 5):
                wb._expect(first.get(_FLOOR_PATH), 200)
            start = time.perf_counter()
            for _ in range(_FLOOR_REQUESTS):
                first.get(_FLOOR_PATH)
            floor_ms = (time.perf_counter() - start) / _FLOOR_REQUESTS * 1000
        for clients in _HTTP_CLIENTS:
            http = [httpx.Client(base_url=url, timeout=60) for _ in range(clients)]
            shares = [len(range(i, _HTTP_FLOWS, clients)) for i in range(clients)]
            try:
                with ThreadPoolExecutor(clients) as pool:
                    list(pool.map(run, http, [_WARM_UP] * clients))
                    start = time.perf_counter()
                    parts = list(pool.map(run, http, shares))
                    elapsed = time.perf_counter() - start
            finally:
                for client in http:
                    client.close()
            total = FlowTimes()
            for part in parts:
                total.add(part)
            runs.append(HttpRun(label, clients, elapsed, total, floor_ms))
    return runs


def _route_matching_us(settings: Settings) -> float:
    """µs to find the route of each of a flow's four requests (Starlette tries the routes in order
    until one matches fully), on average."""
    from starlette.routing import Match

    from skills_vc.api.app import create_app

    engine = make_engine(settings.resolved_database_url)
    try:
        app = create_app(settings, engine=engine)
        scopes = [
            {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "app": app}
            for method, path in (
                ("POST", "/verify/wallet"),
                ("GET", "/verify/wallet/requests/r"),
                ("POST", "/verify/wallet/responses/r"),
                ("GET", "/verify/wallet/r/status"),
            )
        ]

        def find() -> None:
            for scope in scopes:
                for route in app.router.routes:
                    if route.matches(scope)[0] == Match.FULL:
                        break
                else:
                    raise AssertionError(f"no route for {scope['path']}")

        return 1e6 / _rate_of(find) / len(scopes)
    finally:
        engine.dispose()


# --- the section ------------------------------------------------------------------------------


def _floor(*rates: float) -> float:
    """The rate of doing one of each: the signatures alone."""
    return 1 / sum(1 / r for r in rates)


def section() -> str:
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        settings = wb._settings(folder / "a", f"sqlite:///{folder / 'a' / 'in-process.db'}")
        wallet = _prepare(settings, ob3=2)
        found = _verifications(settings, wallet)
        services, sql_ms, statements = _service_flows(settings, wallet)
        matching_us = _route_matching_us(settings)
        http = _http_runs(wb._settings(folder / "b", f"sqlite:///{folder / 'b' / 'http.db'}"), "SQLite")
        pg = wb._postgres_url()
        if pg is not None:
            with wb._postgres_schema(pg[1]) as url:
                http += _http_runs(wb._settings(folder / "c", url), "PostgreSQL")
    elapsed = time.perf_counter() - started

    raw, rates, message = found.raw, found.rates, found.message
    two = _floor(raw["issuer"], raw["kb"])
    flow_ms = sum(services.ms(step) for step in STEPS)
    b_ms = flow_ms - services.ms("status")
    lines = [
        "## Presentations",
        "",
        "Measured by `bench/presentation_bench.py` (`python -m bench.presentation_bench` runs this "
        "section alone). The raw signature rates are those of the Credential core and Wallets "
        "sections, measured again here for the messages a presentation signs: the issuer JWT of the "
        f"SD-JWT VC ({message['issuer']:,} bytes, Ed25519), the holder's KB-JWT "
        f"({message['kb']:,} bytes, ES256), an Open Badges 3.0 `vc+jwt` "
        f"({message['vc_jwt']:,} bytes, Ed25519)"
        + (
            f" and the holder's `vp+jwt` carrying two of them ({message['vp_jwt']:,} bytes, ES256)."
            if found.vp_api
            else "."
        ),
        "",
        "### In process",
        "",
        "On a fresh SQLite file, credentials issued through the OpenID4VCI services to a P-256 holder "
        "key (issuer key Ed25519). The SD-JWT+KB presentation answers a counsellor asking for the name "
        f"and the dates: {found.disclosures} of the 15 disclosures (the 5 skills, title, role, name, "
        f"dates) and a KB-JWT, {found.presentation_chars:,} characters. Through the services, each "
        "call starts with an empty identity map, as a request does. The OpenID4VP answer is "
        "`create_request`, `request_object`, the wallet checking the request object and signing its "
        "KB-JWT, and `respond`, each call in its own transaction"
        + (
            "; `POST /presentations/verify` (W3C VC API) with a challenge and a domain, through "
            "`vp_verification.verify` and through FastAPI's TestClient."
            if found.vp_api
            else "."
        ),
        "",
        "| measure | rate | per op | ratio to raw |",
        "|---|---|---|---|",
    ]
    both, b_rate = "of both raw", 1000 / b_ms
    rows: list[tuple[str, float, str]] = [
        ("raw Ed25519 verify, SD-JWT VC issuer JWT", raw["issuer"], "—"),
        ("raw ECDSA P-256 verify, KB-JWT", raw["kb"], "—"),
        ("both (the two signatures of an SD-JWT+KB)", two, "—"),
        (
            "SD-JWT+KB, format only (`dc+sd-jwt` verify, key at hand)",
            rates["format"],
            f"{rates['format'] / two:.0%} {both}",
        ),
        (
            "(a) SD-JWT+KB through `verification.verify`",
            rates["service"],
            f"{rates['service'] / two:.0%} {both}",
        ),
        (
            "(b) OpenID4VP answer through `vp_requests` (create, request object, wallet, respond)",
            b_rate,
            f"{b_rate / two:.1%} {both}",
        ),
        ("raw Ed25519 verify, OB3 `vc+jwt`", raw["vc_jwt"], "—"),
        (
            "one OB3 `vc+jwt` through `verification.verify`",
            rates["vc_jwt"],
            f"{rates['vc_jwt'] / raw['vc_jwt']:.0%} of raw",
        ),
    ]
    if found.vp_api:
        vp_floor = _floor(raw["vp_jwt"], raw["vc_jwt"], raw["vc_jwt"])
        three = "of its three raw"
        rows += [
            ("raw ES256 verify of the `vp+jwt` + Ed25519 of its two `vc+jwt`", vp_floor, "—"),
            (
                "(c) `vp+jwt` with two `vc+jwt` through `vp_verification.verify`",
                rates["vp_jwt"],
                f"{rates['vp_jwt'] / vp_floor:.0%} {three}",
            ),
            (
                "(c) SD-JWT+KB through `vp_verification.verify`",
                rates["vp_sd"],
                f"{rates['vp_sd'] / two:.0%} {both}",
            ),
            (
                "(c) `POST /presentations/verify`, `vp+jwt` with two `vc+jwt` (TestClient)",
                rates["vp_jwt_api"],
                f"{rates['vp_jwt_api'] / vp_floor:.0%} {three}",
            ),
            (
                "(c) `POST /presentations/verify`, SD-JWT+KB (TestClient)",
                rates["vp_sd_api"],
                f"{rates['vp_sd_api'] / two:.0%} {both}",
            ),
        ]
    lines += [
        f"| {name_} | {rate:,.1f} /s | {wb._us(rate)} | {ratio} |"
        if rate < 100
        else f"| {name_} | {wb._rate(rate)} | {wb._us(rate)} | {ratio} |"
        for name_, rate, ratio in rows
    ]
    if not found.vp_api:
        lines += [
            "",
            f"(c) `POST /presentations/verify` not measured: {found.vp_missing} (being written).",
        ]

    parts = found.parts_us
    total_us = sum(parts.values())
    lines += [
        "",
        f"Where (a)'s {total_us / 1000:.1f} ms go (µs per call, the callables `verification.verify` "
        "hands to the core, each timed; the SQL statements "
        f"({found.statements:.0f} per call) take {found.sql_ms:.1f} ms of cursor time in all):",
        "",
        "| part | µs per call | share |",
        "|---|---|---|",
    ]
    lines += [f"| {name_} | {us:,.0f} | {us / total_us:.0%} |" for name_, us in parts.items()]
    lookups_us = found.lookup_us * found.lookups_per_call
    lines += [
        "",
        f"Inside the first three parts the association is looked up by its slug "
        f"{found.lookups_per_call:.0f} times per call (`store.associations.by_slug`, its accreditation "
        f"events loaded with it): {found.lookup_us:,.0f} µs each, {lookups_us / total_us:.0%} of the call. "
        "The Token Status List is re-derived from the credentials' rows on every call (read, packed, "
        "hashed, compared with the stored signed list) and its signature checked again: the SD-JWT "
        "status path (`core.verify._token_status`) does not use the verified-list cache that the "
        "bitstring lists of `vc+jwt` use.",
    ]

    sqlite_1 = next((r for r in http if r.label == "SQLite" and r.clients == 1), None)
    lines += [
        "",
        f"The OpenID4VP answer step by step, ms per flow: through the services alone ({_SERVICE_FLOWS} "
        f"flows; {statements:.0f} SQL statements per flow, {sql_ms:.1f} ms of cursor time) and over "
        "HTTP on SQLite with one client (client-side wall time; the wallet's part is the same code):",
        "",
        "| step | services alone | HTTP, SQLite, 1 client |",
        "|---|---|---|",
    ]
    for step in STEPS:
        over = f"{sqlite_1.times.ms(step):.2f}" if sqlite_1 else "—"
        lines.append(f"| {_STEP_NAMES[step]} | {services.ms(step):.2f} | {over} |")
    http_total = f"{sum(sqlite_1.times.ms(s) for s in STEPS):.2f}" if sqlite_1 else "—"
    lines.append(f"| whole flow | {flow_ms:.2f} | {http_total} |")

    lines += [
        "",
        "### Over HTTP",
        "",
        "Each flow: the counsellor's request (POST /verify/wallet with the name and the dates ticked: "
        "303 and a cookie scoped to the request), GET the request object, the wallet checks it "
        "against the platform's `did:web` key (fetched once, cacheable) and POSTs its answer "
        "(`vp_token`, `state`) to the response URI, then GET the status JSON (`answered`). The "
        "counsellor's HTML page with the QR code is skipped; browser and wallet share one httpx "
        "client (one keep-alive connection and one thread each) against uvicorn (one worker, as "
        "`skills-vc serve` runs it) in a child process on 127.0.0.1. "
        f"{_HTTP_FLOWS} flows per row, shared between the clients, after {_WARM_UP} warm-up flows "
        "per client; clients and server share the machine's cores.",
        "",
        "| database | clients | flows | time | answers/s | ms per flow |",
        "|---|---|---|---|---|---|",
    ]
    for run in http:
        lines.append(
            f"| {run.label} | {run.clients} | {run.times.flows} | {run.seconds:.2f} s | "
            f"{run.per_s:,.1f} | {run.seconds / run.times.flows * 1000:.1f} |"
        )
    floors = ", ".join(f"{r.floor_ms:.1f} ms ({r.label} server)" for r in http if r.clients == 1)
    lines += [
        "",
        f"The floor of any request: GET {_FLOOR_PATH} (static type metadata, no database), "
        f"{_FLOOR_REQUESTS} times with one client, takes {floors}.",
    ]
    if pg is None:
        lines += [
            "",
            f"PostgreSQL not measured: set {wb._PG_ENV[0]} (or {wb._PG_ENV[1]}) to a PostgreSQL URL; the "
            "bench creates its own schema in that database and drops only that schema.",
        ]
    else:
        lines += ["", f"PostgreSQL from `{pg[0]}`, in a schema the bench created and dropped."]

    verify_ms = 1000 / rates["service"]
    orm_ms = verify_ms - found.sql_ms - 1000 / rates["format"]
    lines += [
        "",
        f"What dominates: not the signatures, nor SQLite. The two signatures of an SD-JWT+KB take "
        f"{1e6 / two:,.0f} µs raw and the SD-JWT format's whole check (parsing, both signatures, "
        f"{found.disclosures} disclosures, `sd_hash`) {1e6 / rates['format']:,.0f} µs; through "
        f"`verification.verify` the presentation takes {verify_ms:.1f} ms ({rates['service'] / two:.0%} "
        f"of the raw rate), of which the SQL statements' cursor time is {found.sql_ms:.1f} ms. About "
        f"{orm_ms:.1f} ms is the Python around its {found.statements:.0f} statements: SQLAlchemy "
        f"building them and loading objects, the {found.lookups_per_call:.0f} lookups of the same "
        "association "
        f"({lookups_us / 1000:.1f} ms), the status list re-derived and re-verified "
        f"({parts[VERIFY_PARTS[2]] / 1000:.1f} ms with its lookup). In the OpenID4VP answer, `respond` "
        f"is {services.ms('answer'):.1f} ms of the {flow_ms:.1f} ms of a flow through the services, "
        f"{verify_ms:.1f} ms of it that verification; the other calls are short transactions "
        "(`create_request` inserts the request and deletes forgotten ones, `request_object` unseals "
        "the verifier key and signs with ES256, `state_of` deletes forgotten requests and reads one).",
    ]
    if found.vp_api:
        lines[-1] += (
            f" A `vp+jwt` carrying two `vc+jwt` costs about what its two credentials cost through the "
            f"service ({2000 / rates['vc_jwt']:.1f} ms) plus the holder's ES256 proof: "
            f"{1000 / rates['vp_jwt']:.1f} ms; FastAPI, its validation and the TestClient add "
            f"{1000 / rates['vp_jwt_api'] - 1000 / rates['vp_jwt']:.1f} ms to it and "
            f"{1000 / rates['vp_sd_api'] - 1000 / rates['vp_sd']:.1f} ms to the SD-JWT+KB."
        )
    if sqlite_1 is not None:
        http_ms = sqlite_1.seconds / sqlite_1.times.flows * 1000
        lines[-1] += (
            f" Over HTTP one client's flow takes {http_ms:.1f} ms, {http_ms - flow_ms:.1f} ms more than the "
            f"services alone for its four requests, {4 * sqlite_1.floor_ms:.1f} ms of it what four "
            "requests that read no database take: uvicorn and h11, the middleware, the thread pool "
            "hops of the synchronous dependencies and handlers, the httpx client, and routing (Starlette "
            f"tries the routes in order: {matching_us:,.0f} µs to find each of the flow's routes)."
        )
        many = next((r for r in http if r.label == "SQLite" and r.clients == max(_HTTP_CLIENTS)), None)
        if many is not None:
            lines[-1] += (
                f" {many.clients} clients reach {many.per_s / sqlite_1.per_s:.1f}× the rate of one: the "
                f"server is one process (one GIL) on {os.cpu_count()} cores it shares with the clients, "
                "and one client already keeps it busy most of the time."
            )
        pg_1 = next((r for r in http if r.label == "PostgreSQL" and r.clients == 1), None)
        if pg_1 is not None:
            lines[-1] += (
                f" On PostgreSQL one client answers {pg_1.per_s / sqlite_1.per_s:.0%} of the SQLite rate "
                "(a round trip to the server per statement instead of a call into the library)."
            )
    lines += [
        "",
        f"This section ran in {elapsed:.0f} s; the 1-minute load average was {load_before:.1f} at its "
        f"start and {os.getloadavg()[0]:.1f} at its end, on {os.cpu_count()} cores.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(section())
