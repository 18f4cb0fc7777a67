"""``GET /metrics``: requests by route template, verification and issuance outcomes, the status list
cache, who may read the page, and several processes adding up (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy import Engine, insert, select

from skills_vc.api.app import create_app
from skills_vc.store.session import make_engine
from skills_vc.store.tables import Credential
from tests.api.wallet_support import (
    OB3,
    Holder,
    make_offer,
    nonce,
    path_of,
    receive,
    request_credential,
    token,
)
from tests.conftest import Platform, make_settings

ROOT = Path(__file__).resolve().parents[2]
METRICS_TOKEN = "metrics-token-0123456789abcdef"


def value(name: str, **labels: str) -> float:
    """The sample's current value in this process' registry (0 before its first count)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Deltas:
    """How much each watched sample grew since the block began."""

    def __init__(self, *samples: tuple[str, dict[str, str]]) -> None:
        self._before = {
            (name, tuple(sorted(labels.items()))): value(name, **labels) for name, labels in samples
        }

    def __getitem__(self, sample: tuple[str, dict[str, str]]) -> float:
        name, labels = sample
        return value(name, **labels) - self._before[(name, tuple(sorted(labels.items())))]


def verifications(fmt: str, outcome: str) -> tuple[str, dict[str, str]]:
    return "skills_vc_verifications_total", {"format": fmt, "outcome": outcome}


def requests(method: str, route: str, status: int) -> tuple[str, dict[str, str]]:
    return "skills_vc_http_requests_total", {"method": method, "route": route, "status": str(status)}


def durations(method: str, route: str) -> tuple[str, dict[str, str]]:
    return "skills_vc_http_request_duration_seconds_count", {"method": method, "route": route}


def wallet(configuration: str, outcome: str) -> tuple[str, dict[str, str]]:
    return "skills_vc_wallet_issuances_total", {"configuration": configuration, "outcome": outcome}


def issued(fmt: str = "vc+jwt") -> tuple[str, dict[str, str]]:
    return "skills_vc_credentials_issued_total", {"format": fmt}


def cache(result: str) -> tuple[str, dict[str, str]]:
    return "skills_vc_status_list_cache_total", {"kind": "bitstring", "result": result}


@pytest.fixture
def asbl(platform: Platform) -> dict[str, Any]:
    return platform.register("metrics-asbl")


def test_metrics_are_prometheus_text(platform: Platform) -> None:
    platform.client.get("/healthz")
    response = platform.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["cache-control"] == "no-store"
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"skills_vc_http_requests", "skills_vc_http_request_duration_seconds"} <= names
    assert 'skills_vc_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}' in (
        response.text
    )
    # Not in the OpenAPI document: it is for the operator's scraper, not for API clients.
    assert "/metrics" not in platform.client.get("/openapi.json").json()["paths"]


def test_requests_are_labelled_by_route_template_never_by_path(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    credential = platform.issue(asbl)
    cid = credential["id"]
    link_token = "volunteer-link-token-" + uuid.uuid4().hex
    watched = (
        requests("GET", "/credentials/{credential_id}", 200),
        requests("GET", "/credentials/{credential_id}/qr.txt", 200),
        requests("GET", "/c/{token}", 404),
        requests("GET", "unmatched", 404),
        requests("OTHER", "/healthz", 405),
        requests("GET", "/static/{path}", 200),
        durations("GET", "/credentials/{credential_id}"),
    )
    deltas = Deltas(*watched)
    for _ in range(3):
        assert platform.client.get(f"/credentials/{cid}", headers=asbl["headers"]).status_code == 200
    assert platform.client.get(f"/credentials/{cid}/qr.txt", headers=asbl["headers"]).status_code == 200
    assert platform.client.get(f"/c/{link_token}?lang=fr&secret=query-secret").status_code == 404
    assert platform.client.get(f"/no-such-page/{link_token}").status_code == 404
    assert platform.client.request("BREW", "/healthz").status_code == 405
    assert platform.client.get("/static/pages.css").status_code == 200

    assert [deltas[sample] for sample in watched] == [3, 1, 1, 1, 1, 1, 3]
    text = platform.client.get("/metrics").text
    for secret in (cid, cid.removeprefix("urn:uuid:"), link_token, "query-secret", "no-such-page", "BREW"):
        assert secret not in text


def test_verifications_counted_by_format_and_first_failed_check(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    credential = platform.issue(asbl)
    qr = platform.client.get(f"/credentials/{credential['id']}/qr.txt", headers=asbl["headers"]).text
    watched = (
        verifications("vc+jwt", "verified"),
        verifications("vc+jwt", "revoked"),
        verifications("vsc1", "verified"),
        verifications("vsc1", "revoked"),
        verifications("unknown", "unsupported_format"),
        cache("hit"),
        cache("miss"),
    )
    deltas = Deltas(*watched)
    assert platform.verify(credential["verifiable_credential"])[0] == 200
    assert platform.verify(credential["verifiable_credential"])[0] == 200  # its list is now cached
    assert platform.client.post("/verify/qr", json={"qr": qr}).status_code == 200
    assert platform.verify("not a credential")[0] == 400
    revoked = platform.client.post(
        f"/credentials/{credential['id']}/revoke", json={"reason": "issued in error"}, headers=asbl["headers"]
    )
    assert revoked.status_code == 200, revoked.text
    status, report = platform.verify(credential["verifiable_credential"])
    assert status == 400 and report["error"] == "revoked"
    assert platform.client.post("/verify/qr", json={"qr": qr}).json()["error"] == "revoked"

    assert [deltas[sample] for sample in watched[:5]] == [2, 1, 1, 1, 1]
    # Each credential has two lists (revocation, suspension): the second verification hit both;
    # the revocation changed the revocation list, which had to be checked again.
    assert deltas[cache("hit")] >= 2 and deltas[cache("miss")] >= 2


def test_presentations_counted_by_format_and_outcome(platform: Platform) -> None:
    sample = (
        "skills_vc_presentation_verifications_total",
        {"format": "unsecured", "outcome": "presentation_unsecured"},
    )
    deltas = Deltas(sample)
    unsecured = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]}
    response = platform.client.post("/presentations/verify", json={"verifiablePresentation": unsecured})
    assert response.status_code == 400 and response.json()["error"] == "presentation_unsecured"
    assert deltas[sample] == 1


def test_wallet_issuance_counted_by_configuration_and_outcome(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    watched = (
        wallet(OB3, "issued"),
        wallet(OB3, "already_issued"),
        wallet("other", "configuration_unknown"),
        wallet("other", "configuration_missing"),
    )
    deltas = Deltas(*watched)
    offer = make_offer(platform, asbl, configurations=[OB3])
    answer = token(platform, offer)
    assert answer.status_code == 200, answer.text
    access = answer.json()["access_token"]
    holder = Holder()
    receive(platform, offer, holder, OB3, access)
    iat = int(platform.clock().timestamp())
    again = request_credential(
        platform, offer, access, OB3, holder.proof(aud=offer.issuer, nonce=nonce(platform, offer), iat=iat)
    )
    assert again.json()["reason"] == "already_issued"
    # A configuration the client made up is counted as "other", never under its own name.
    made_up = request_credential(
        platform,
        offer,
        access,
        "made-up-" + uuid.uuid4().hex,
        holder.proof(aud=offer.issuer, nonce=None, iat=iat),
    )
    assert made_up.json()["reason"] == "configuration_unknown"
    not_a_name = platform.client.post(
        path_of(offer.issuer) + "/oid4vci/credential",
        json={"credential_configuration_id": [OB3], "proofs": {"jwt": ["x"]}},
        headers={"Authorization": f"Bearer {access}"},
    )
    assert not_a_name.json()["reason"] == "configuration_missing"
    assert [deltas[sample] for sample in watched] == [1, 1, 1, 1]
    assert "made-up-" not in platform.client.get("/metrics").text


def test_issuance_counted_when_its_transaction_commits(
    platform: Platform, asbl: dict[str, Any], db: Engine
) -> None:
    deltas = Deltas(issued())
    platform.issue(asbl)
    assert deltas[issued()] == 1

    table = Credential.__table__
    with db.connect() as conn:
        row = dict(conn.execute(select(table)).mappings().first() or {})

    offsets = itertools.count(1)

    def copy() -> dict[str, Any]:
        """Another row of the same list, as issuance would insert it."""
        return {
            **row,
            "id": f"urn:uuid:{uuid.uuid4()}",
            "status_index": (row["status_index"] + next(offsets)) % 131_072,
        }

    with db.connect() as conn:  # rolled back
        conn.execute(insert(table), copy())
        conn.rollback()
    with db.connect() as conn:  # its savepoint rolled back, the transaction committed
        savepoint = conn.begin_nested()
        conn.execute(insert(table), [copy(), copy()])
        savepoint.rollback()
        conn.commit()
    with db.connect() as conn:  # a released savepoint inside one rolled back
        outer = conn.begin_nested()
        with conn.begin_nested():
            conn.execute(insert(table), copy())
        outer.rollback()
        conn.commit()
    assert deltas[issued()] == 1
    with db.connect() as conn:  # committed, inside a released savepoint
        with conn.begin_nested():
            conn.execute(insert(table), copy())
        conn.commit()
    assert deltas[issued()] == 2


def _app_client(tmp_path: Path, **settings: Any) -> TestClient:
    engine = make_engine(f"sqlite:///{tmp_path / 'unused.db'}")  # /metrics reads no database
    return TestClient(create_app(make_settings(tmp_path, **settings), engine=engine))


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[TestClient]:
    with _app_client(tmp_path, metrics_token=METRICS_TOKEN) as client:
        yield client


def test_metrics_token_is_required_when_set(guarded: TestClient) -> None:
    missing = guarded.get("/metrics")
    assert missing.status_code == 401 and missing.json()["error"] == "unauthenticated"
    wrong = guarded.get("/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN[:-1] + "X"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_metrics_token"
    assert guarded.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"}).status_code == 401
    right = guarded.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert right.status_code == 200 and "skills_vc_http_requests_total" in right.text


def test_production_serves_metrics_only_with_a_token(tmp_path: Path) -> None:
    with _app_client(tmp_path, mode="production") as client:
        hidden = client.get("/metrics")
        assert hidden.status_code == 404
        assert "SKILLS_VC_METRICS_TOKEN" in hidden.json()["detail"]
    with _app_client(tmp_path, mode="production", metrics_token=METRICS_TOKEN) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200


def test_a_short_metrics_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="metrics_token"):
        make_settings(tmp_path, metrics_token="short")


_WORKER = """
import sys
from pathlib import Path
from fastapi.testclient import TestClient
from skills_vc.api.app import create_app
from skills_vc.store.session import make_engine
from tests.conftest import make_settings

tmp, count, scrape = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "scrape"
app = create_app(make_settings(tmp), engine=make_engine(f"sqlite:///{tmp / 'unused.db'}"))
with TestClient(app) as client:
    for _ in range(count):
        assert client.get("/healthz").status_code == 200
    if scrape:
        print(client.get("/metrics").text)
"""


def _worker(tmp_path: Path, count: int, scrape: bool) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_VC_")}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "prometheus")
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, str(tmp_path), str(count), "scrape" if scrape else "-"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path) -> None:
    (tmp_path / "prometheus").mkdir()
    _worker(tmp_path, 3, scrape=False)
    text = _worker(tmp_path, 4, scrape=True)
    samples = {
        (sample.name, sample.labels.get("route"), sample.labels.get("status")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("skills_vc_http_requests_total", "/healthz", "200")] == 7
    assert samples[("skills_vc_http_request_duration_seconds_count", "/healthz", None)] == 7
    assert len(list((tmp_path / "prometheus").glob("counter_*.db"))) == 2
