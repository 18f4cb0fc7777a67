"""The production topology without containers: two ``skills-vc serve`` processes on one PostgreSQL
database behind nginx with TLS (deploy/nginx/skills-vc-proxy.conf), as compose.yaml runs them.

Everything goes through https with the test's own certificate as the only trust anchor: an
association registers, issues, verifies and revokes; then one replica is stopped under load,
gracefully (SIGTERM: no request fails) and by force (SIGKILL: only requests in flight at that
moment may fail, and every request after it is served by the other replica).
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest

from tests.deploy import api
from tests.deploy.conftest import Tls
from tests.deploy.databases import ScratchDatabases
from tests.deploy.load import Load, Outcome
from tests.deploy.processes import (
    GRACE_SECONDS,
    VERIFY_CACHE_SECONDS,
    Proxy,
    Replica,
    free_port,
    migrate,
    service_env,
    wait_until,
)

pytestmark = pytest.mark.postgres

CONCURRENCY = 8
# Load before a replica is stopped, and after it is gone.
BEFORE_SECONDS = 1.5
AFTER_SECONDS = 2.0
# Another replica sees a revocation within SKILLS_VC_VERIFY_CACHE_SECONDS; the rest is slack for
# a machine shared with other tests.
REVOCATION_SEEN_WITHIN = VERIFY_CACHE_SECONDS + 2.0


@dataclass
class Topology:
    replicas: list[Replica]
    proxy: Proxy
    tls: Tls

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.proxy.url, verify=self.tls.client_context(), timeout=10.0)

    def diagnostics(self) -> str:
        return "\n".join(p.output() for p in (*self.replicas, self.proxy))

    def ensure_running(self) -> None:
        """Both replicas up (one a test stopped is started again) and both served through nginx.

        nginx leaves a replica that failed alone for its fail_timeout; until it tries it again,
        every request would go to the other one.
        """
        for replica in self.replicas:
            if not replica.running:
                replica.start()
        for replica in self.replicas:
            replica.wait_ready()
        seen: set[str] = set()
        with self.client() as client:

            def both_served() -> bool:
                response = client.get("/healthz")
                if response.status_code == 200:
                    seen.add(response.headers["x-upstream-addr"].rsplit(",", 1)[-1].strip())
                return seen >= {r.address for r in self.replicas}

            wait_until(both_served, 20, "both replicas served through nginx", self.diagnostics)


@pytest.fixture(scope="module")
def topology(
    nginx: object,
    scratch_databases: ScratchDatabases,
    tls: Tls,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Topology]:
    work = tmp_path_factory.mktemp("topology")
    ports: set[int] = set()
    while len(ports) < 2:
        ports.add(free_port())
    addresses = [f"127.0.0.1:{port}" for port in sorted(ports)]
    proxy = Proxy(work, addresses, tls.cert, tls.key)
    # The replicas' public URL is the proxy's: it is in every did:web and status list URL.
    env = service_env(scratch_databases.create(), proxy.url, work / "var")
    migrate(env)
    replicas = [
        Replica(f"replica-{i}", env, port, work / f"replica-{i}.log") for i, port in enumerate(sorted(ports))
    ]
    topology = Topology(replicas, proxy, tls)
    try:
        for replica in replicas:
            replica.start()
        proxy.start()
        topology.ensure_running()
        yield topology
    finally:
        proxy.stop()
        for replica in replicas:
            replica.stop()


@pytest.fixture
def both_replicas(topology: Topology) -> Topology:
    topology.ensure_running()
    return topology


@pytest.fixture(scope="module")
def valid_credential(topology: Topology) -> api.Issued:
    """A credential the load verifies: issued through the proxy, never revoked."""
    with topology.client() as client:
        return api.issue(client, api.register(client, 2))


def _status_list_urls(credential: api.Issued) -> list[str]:
    payload = jwt.decode(credential.jwt, options={"verify_signature": False})
    entries: Any = payload["credentialStatus"]
    entries = entries if isinstance(entries, list) else [entries]
    return [entry["statusListCredential"] for entry in entries]


def _verify_directly(replica: Replica, credential: api.Issued) -> dict[str, Any]:
    with httpx.Client(base_url=replica.url, timeout=10.0) as client:
        return api.verify(client, credential.jwt)


def _sees_revocation(replica: Replica, credential: api.Issued) -> Callable[[], bool]:
    return lambda: not _verify_directly(replica, credential)["verified"]


def test_issue_verify_and_revoke_through_the_proxy(both_replicas: Topology) -> None:
    topology = both_replicas
    with topology.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        # The proxy gives each request an id; the replica logs it and answers with it.
        assert re.fullmatch(r"[0-9a-f]{32}", ready.headers["x-request-id"])

        association = api.register(client, 1)
        # The public URL (the proxy's host and port) names the issuer.
        assert association.did.startswith(f"did:web:127.0.0.1%3A{topology.proxy.port}:")
        issued = api.issue(client, association)
        report = api.verify(client, issued.jwt)
        assert report["verified"], report
        # Both replicas verify what one of them issued.
        for replica in topology.replicas:
            assert _verify_directly(replica, issued)["verified"]

        # The status lists are named at the proxy's address and served through it.
        urls = _status_list_urls(issued)
        assert urls and all(
            u.startswith(f"{topology.proxy.url}/status-lists/{association.slug}/") for u in urls
        )
        listed = client.get(urls[0].removeprefix(topology.proxy.url))
        assert listed.status_code == 200
        assert listed.headers["content-type"].startswith("application/vc+jwt")
        assert listed.headers["cache-control"].startswith("public, max-age=")
        etag = listed.headers["etag"]

        api.revoke(client, association, issued)
        # Whichever replica took the revocation, each one sees it within the verify cache's bound.
        for replica in topology.replicas:
            wait_until(
                _sees_revocation(replica, issued),
                REVOCATION_SEEN_WITHIN,
                f"{replica.name} sees the revocation",
                topology.diagnostics,
            )
        for _ in range(2 * len(topology.replicas)):
            report = api.verify(client, issued.jwt)
            assert not report["verified"]
            assert api.check(report, "status")["code"] == "revoked"
        assert client.get(urls[0].removeprefix(topology.proxy.url)).headers["etag"] != etag

        # The replicas trust the proxy's X-Forwarded-Proto: the request was https, cookies are Secure.
        page = client.get("/?lang=nl")
        assert page.status_code == 200
        assert "secure" in page.headers["set-cookie"].lower()
        # Metrics are for the scraper on each replica's own address, never through the proxy.
        assert client.get("/metrics").status_code == 404


def _verifying_load(topology: Topology, credential: api.Issued) -> Load:
    return Load(
        topology.client,
        lambda c: c.post("/credentials/verify", json={"verifiableCredential": credential.jwt}),
        lambda r: r.status_code == 200 and r.json()["verified"] is True,
        threads=CONCURRENCY,
    )


def _readiness_probe(topology: Topology) -> Load:
    return Load(
        topology.client, lambda c: c.get("/readyz"), lambda r: r.status_code == 200, threads=1, pause=0.1
    )


def _summary(outcomes: list[Outcome]) -> str:
    failed = [o for o in outcomes if not o.ok]
    return f"{len(outcomes)} requests, {len(failed)} failed: {failed[:10]}"


def test_sigterm_to_one_replica_under_load_fails_no_request(
    both_replicas: Topology, valid_credential: api.Issued
) -> None:
    topology = both_replicas
    stopped, survivor = topology.replicas
    probe = _readiness_probe(topology).start()
    load = _verifying_load(topology, valid_credential).start()
    time.sleep(BEFORE_SECONDS)
    signalled = time.monotonic()
    stopped.signal(signal.SIGTERM)
    code = stopped.wait(timeout=GRACE_SECONDS + 10)
    gone = time.monotonic()
    time.sleep(AFTER_SECONDS)
    outcomes = load.stop()
    probes = probe.stop()

    # uvicorn finishes the requests in flight, then ends by the signal it caught.
    assert code in (0, -signal.SIGTERM), stopped.output()
    assert gone - signalled < GRACE_SECONDS
    assert {o.replica for o in outcomes if o.ended < signalled} == {stopped.address, survivor.address}
    assert all(o.ok for o in outcomes), _summary(outcomes)
    after = [o for o in outcomes if o.started > gone]
    assert after and {o.replica for o in after} == {survivor.address}
    assert probes and all(o.ok for o in probes), _summary(probes)


def test_sigkill_to_one_replica_under_load_fails_only_requests_in_flight(
    both_replicas: Topology, valid_credential: api.Issued
) -> None:
    topology = both_replicas
    survivor, killed = topology.replicas
    probe = _readiness_probe(topology).start()
    load = _verifying_load(topology, valid_credential).start()
    time.sleep(BEFORE_SECONDS)
    killing = time.monotonic()
    killed.signal(signal.SIGKILL)
    assert killed.wait(timeout=10) == -signal.SIGKILL
    gone = time.monotonic()
    time.sleep(AFTER_SECONDS)
    outcomes = load.stop()
    probes = probe.stop()

    assert {o.replica for o in outcomes if o.ended < killing} == {killed.address, survivor.address}
    failed = [o for o in outcomes if not o.ok]
    # A request fails only if it was under way when the replica died; each client thread has at
    # most one under way. (The proxy sends a verification again to the survivor, so none is
    # expected to fail at all; a request that is not a verification would.)
    assert len(failed) <= CONCURRENCY, _summary(outcomes)
    assert all(o.in_flight_at(killing, gone) for o in failed), _summary(outcomes)
    # Requests did reach the dead replica, and nginx passed them on to the survivor.
    assert any(o.ok and o.tried == (killed.address, survivor.address) for o in outcomes), _summary(outcomes)
    after = [o for o in outcomes if o.started > gone]
    assert after and all(o.ok for o in after), _summary(after)
    assert {o.replica for o in after} == {survivor.address}
    assert probes and all(o.ok for o in probes), _summary(probes)
