"""OpenID4VP 1.0 presentations to the counsellor's verifier, by a wallet skills-vc did not write, against
the real service served by uvicorn on 127.0.0.1 (``oid4vp_wallet.mjs``):

- ``@openid4vc/openid4vp`` (Openid4vpClient) parses the ``openid4vp://`` link, GETs the request object
  by reference, checks the ``decentralized_identifier:`` client identifier against the request
  object's signer and verifies its signature with the key of the platform's ``did:web`` document
  (resolved by the wallet over HTTP from the live server);
- the ``dcql`` library (same openid4vc family) parses, validates and evaluates the DCQL query, its
  ``claim_sets`` included, against the credential;
- ``@sd-jwt/sd-jwt-vc`` presents the SD-JWT VC with only the disclosures of the chosen claim set and
  a KB-JWT (``aud`` = the client identifier, ``nonce`` = the request's);
- the library creates and POSTs the ``direct_post`` answer (form-encoded ``vp_token`` and ``state``).

The SD-JWT VC itself comes through OpenID4VCI from the ``@openid4vc/openid4vci`` wallet. The service
then shows the counsellor what it verified, what was disclosed and what was kept back.

The library checks the request object's ``exp`` against the real clock, so the service's test
clock starts at the wall clock here (not at the fixed date of the other tests).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from skills_vc.api.app import create_app
from skills_vc.services import vp_requests
from skills_vc.services.context import ServiceContext
from tests.conftest import Clock, Platform, make_settings
from tests.interop.conftest import run_script
from tests.interop.test_wallet_interop import (
    SD_JWT_CONFIG,
    Live,
    _LateApp,
    holder_key,
    public,
    received,
    sd_jwt_payload,
)
from tests.web.conftest import LiveServer

# The independent libraries judge the protocol and the formats; the flows' behaviour on PostgreSQL
# is tested in tests/api and tests/web (Chromium) on both databases, so these run on SQLite only.
pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

QUERY_ID = "volunteer_skills"
REQUIRED = ["skills", "activity", "role"]
OPTIONAL = ["name", "start", "end", "association"]
EVERYTHING = [*REQUIRED, *OPTIONAL]


@pytest.fixture
def live(db: Engine, clock: Clock, tmp_path: Path) -> Iterator[Live]:
    clock.current = datetime.now(UTC).replace(microsecond=0)  # see the module docstring
    late = _LateApp()
    server = LiveServer(late)  # type: ignore[arg-type]  # binds 127.0.0.1:<free port>
    app = create_app(make_settings(tmp_path, public_url=server.url), clock=clock, engine=db)
    late.app = app
    with TestClient(app) as client, server:
        yield Live(server, Platform(client, clock))


class CounsellorRequest:
    """A request made on the counsellor's verify page (the form's POST), seen from its browser."""

    def __init__(self, live: Live, claims: list[str]) -> None:
        self.live = live
        made = live.client.post("/verify/wallet", data={"claims": claims}, follow_redirects=False)
        assert made.status_code == 303, made.text
        self.path = made.headers["location"]
        self.id = self.path.rsplit("/", 1)[1]
        self.viewer_secret = made.cookies["vp_viewer"]
        self.link = self.answer().link

    @property
    def did(self) -> str:
        return "did:web:" + quote(self.live.url.removeprefix("http://"), safe="")

    @property
    def client_id(self) -> str:
        return "decentralized_identifier:" + self.did

    def state(self) -> str:
        response = self.live.client.get(f"{self.path}/status")  # with the counsellor's cookie
        assert response.status_code == 200, response.text
        return str(response.json()["state"])

    def answer(self) -> vp_requests.Answer:
        """What the service kept for the counsellor (``vp_requests.read_answer``)."""
        state = self.live.client.app.state  # type: ignore[attr-defined]
        session = state.session_factory()
        try:
            ctx = ServiceContext(
                session=session,
                settings=state.settings,
                master_key=state.master_key,
                clock=self.live.platform.clock,
            )
            return vp_requests.read_answer(ctx, self.id, self.viewer_secret)
        finally:
            session.close()

    def result_page(self) -> str:
        response = self.live.client.get(self.path)
        assert response.status_code == 200, response.text
        return str(response.text)


def present(
    live: Live, request: CounsellorRequest, sd_jwt: str, holder: dict[str, Any], alg: str, **extra: Any
) -> dict[str, Any]:
    payload = {
        "request_link": request.link,
        "sd_jwt": sd_jwt,
        "holder_jwk_private": holder,
        "alg": alg,
        "now": live.now(),
    }
    payload.update(extra)
    return run_script("oid4vp_wallet.mjs", payload)


def issued(live: Live, key_type: str | None, alg: str) -> tuple[str, dict[str, Any]]:
    association = live.platform.register(f"vp-{alg.lower()}", key_type=key_type)
    holder = holder_key(alg)
    token = received(live, association, holder, alg)["wallet"]["credentials"][SD_JWT_CONFIG]
    return token, holder


def disclosed_names(presentation: str) -> set[str]:
    """The claim names of a presentation's object-property disclosures."""
    names = set()
    for part in presentation.split("~")[1:-1]:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        if len(decoded) == 3:
            names.add(decoded[1])
    return names


def assert_clean(result: dict[str, Any]) -> None:
    assert result["errors"] == [], json.dumps(result["errors"], indent=1)


@pytest.mark.interop
@pytest.mark.parametrize(("key_type", "alg"), [(None, "EdDSA"), ("P-256", "ES256")])
def test_openid4vp_wallet_presents_everything_asked(live: Live, key_type: str | None, alg: str) -> None:
    sd_jwt, holder = issued(live, key_type, alg)
    request = CounsellorRequest(live, OPTIONAL)
    assert request.state() == "pending"
    query = parse_qs(urlsplit(request.link).query)
    assert request.link.startswith("openid4vp://?")
    assert query["client_id"] == [request.client_id]
    assert query["request_uri"] == [f"{live.url}/verify/wallet/requests/{request.id}"]

    result = present(live, request, sd_jwt, holder, alg)
    assert_clean(result)

    # The library took the request by reference, as a JAR signed by the platform's did:web key.
    assert result["link_type"] == "jar" and result["request_sent_by"] == "reference"
    assert result["version"] == 100  # OpenID4VP 1.0 final, as the library infers it
    assert result["client"] == {
        "prefix": "decentralized_identifier",
        "identifier": request.did,
        "effective": request.client_id,
        "did_url": result["request_header"]["kid"],
    }
    header = result["request_header"]
    assert header["typ"] == "oauth-authz-req+jwt" and header["alg"] in ("ES256", "EdDSA")
    assert header["kid"].startswith(request.did + "#")
    assert result["did"]["url"] == f"{live.url}/.well-known/did.json"
    assert result["did"]["id"] == request.did and result["did"]["verification_method"] == header["kid"]
    payload = result["request"]
    assert payload["client_id"] == request.client_id
    assert payload["response_type"] == "vp_token" and payload["response_mode"] == "direct_post"
    assert payload["response_uri"] == f"{live.url}/verify/wallet/responses/{request.id}"
    assert payload["aud"] == "https://self-issued.me/v2"
    assert payload["nonce"] and payload["state"]
    assert payload["exp"] > live.now()
    formats = payload["client_metadata"]["vp_formats_supported"]["dc+sd-jwt"]
    assert alg in formats["kb-jwt_alg_values"] and header["alg"] in formats["sd-jwt_alg_values"]
    assert "presentation_definition" not in payload and "scope" not in payload

    # The DCQL query, as the dcql library parsed it: every claim asked, the claim sets from
    # everything down to the required minimum; this credential satisfies every one of them.
    dcql = result["dcql_query"]["credentials"][0]
    assert dcql["id"] == QUERY_ID and dcql["format"] == "dc+sd-jwt"
    assert dcql["meta"]["vct_values"] == [f"{live.url}/vct/volunteer-activity"]
    assert [c["id"] for c in dcql["claims"]] == EVERYTHING
    assert dcql["claim_sets"][0] == EVERYTHING and dcql["claim_sets"][-1] == REQUIRED
    assert len(dcql["claim_sets"]) == 2 ** len(OPTIONAL)
    assert result["dcql_result"]["can_be_satisfied"] is True
    assert result["dcql_result"]["valid_claim_set_indexes"] == list(range(len(dcql["claim_sets"])))
    assert result["chosen_claim_set"] == {"index": 0, "claim_ids": EVERYTHING}

    # The presentation: what was asked, nothing more (hours and description stay in the wallet),
    # bound to this verifier and this request.
    shown = result["presented_claims"]
    assert shown["volunteer"] == {"name": "Aïcha Benali"}
    assert shown["activity"]["title"] == "Couture de masques pour les hôpitaux"
    assert {"role", "start_date", "end_date"} <= set(shown["activity"])
    assert "hours" not in shown["activity"] and "description" not in shown["activity"]
    assert len(shown["skills"]) == 2
    assert disclosed_names(result["presentation"]) == {"name", "title", "role", "start_date", "end_date"}
    assert result["disclosure_count"] < result["disclosure_count_all"]
    assert result["kb"]["header"] == {"typ": "kb+jwt", "alg": alg}
    assert result["kb"]["payload"]["aud"] == request.client_id
    assert result["kb"]["payload"]["nonce"] == payload["nonce"]
    assert result["dcql_presentation_result"]["can_be_satisfied"] is True
    assert 0 in result["dcql_presentation_result"]["valid_claim_set_indexes"]
    assert result["response_payload"]["state"] == payload["state"]
    assert result["response_payload"]["vp_token"] == {QUERY_ID: [result["presentation"]]}
    assert result["response_check"] == {"type": "dcql", "presentation_ids": [QUERY_ID]}

    # What went over the wire.
    trace = [(t["method"].upper(), t["url"], t["status"]) for t in result["trace"]]
    assert trace == [
        ("GET", query["request_uri"][0], 200),
        ("GET", f"{live.url}/.well-known/did.json", 200),
        ("POST", payload["response_uri"], 200),
    ]
    fetched, _, posted = result["trace"]
    assert fetched["content_type"].startswith("application/oauth-authz-req+jwt")
    assert "no-store" in (fetched["cache_control"] or "")
    assert posted["request_content_type"] == "application/x-www-form-urlencoded"
    form = parse_qs(posted["request_body"])
    assert set(form) == {"vp_token", "state"} and form["state"] == [payload["state"]]
    assert json.loads(form["vp_token"][0]) == {QUERY_ID: [result["presentation"]]}
    # OpenID4VP 1.0 §8.2: 200, application/json, a JSON object (no redirect_uri: cross-device).
    assert result["submitted"]["status"] == 200
    assert result["submitted"]["content_type"].startswith("application/json")
    assert result["submitted"]["body"] == {}
    assert "no-store" in (posted["cache_control"] or "")

    # The service verified the answer and shows the counsellor everything, nothing kept back.
    assert request.state() == "answered"
    answer = request.answer()
    assert answer.report is not None and answer.report.verified is True
    assert all(c.status != "failed" for c in answer.report.checks), answer.report.checks
    passed = {c.name for c in answer.report.checks if c.status == "passed"}
    assert {"signature", "disclosures", "key_binding", "issuer_trusted", "status"} <= passed
    binding = answer.report.check("key_binding")
    assert binding is not None and binding.status == "passed"
    assert list(answer.disclosed) == EVERYTHING and list(answer.kept_back) == []
    credential = answer.report.credential or {}
    assert credential["volunteer"]["name"] == "Aïcha Benali"
    assert credential["iss"] == f"{live.url}/issuers/vp-{alg.lower()}"
    assert sd_jwt_payload(sd_jwt)["cnf"]["jwk"] == public(holder)  # the key that signed the KB-JWT
    page = request.result_page()
    for claim in EVERYTHING:
        assert f'data-claim="{claim}" data-disclosed="yes"' in page

    # Answered once: the request object is gone for a second wallet run.
    again = present(live, request, sd_jwt, holder, alg)
    assert [e["step"] for e in again["errors"]] == ["resolve_request"]
    assert again["errors"][0]["errorResponse"]["error"] == "invalid_request_uri", again["errors"]
    assert "status code '410'" in again["errors"][0]["message"]
    assert "submitted" not in again


@pytest.mark.interop
def test_openid4vp_wallet_keeps_the_name_back(live: Live) -> None:
    sd_jwt, holder = issued(live, "P-256", "ES256")
    request = CounsellorRequest(live, OPTIONAL)
    agreed = [claim for claim in EVERYTHING if claim != "name"]

    result = present(live, request, sd_jwt, holder, "ES256", disclose=agreed)
    assert_clean(result)
    # The first claim set without the name is the one presented; the name's disclosure stays home.
    assert result["chosen_claim_set"]["claim_ids"] == agreed
    claim_sets = result["dcql_query"]["credentials"][0]["claim_sets"]
    assert result["chosen_claim_set"]["index"] == claim_sets.index(agreed) > 0
    assert "name" not in disclosed_names(result["presentation"])
    assert "name" not in result["presented_claims"].get("volunteer", {})
    assert "Aïcha" not in json.dumps(result["response_payload"], ensure_ascii=False)
    assert result["dcql_presentation_result"]["can_be_satisfied"] is True
    assert 0 not in result["dcql_presentation_result"]["valid_claim_set_indexes"]
    assert result["submitted"]["status"] == 200, result["submitted"]

    assert request.state() == "answered"
    answer = request.answer()
    assert answer.report is not None and answer.report.verified is True
    assert list(answer.disclosed) == agreed and list(answer.kept_back) == ["name"]
    assert "name" not in (answer.report.credential or {}).get("volunteer", {})
    page = request.result_page()
    assert 'data-claim="name" data-disclosed="no"' in page
    assert "Aïcha" not in page


@pytest.mark.interop
def test_openid4vp_answer_with_a_wrong_nonce_is_refused(live: Live) -> None:
    sd_jwt, holder = issued(live, None, "EdDSA")
    request = CounsellorRequest(live, ["name"])

    result = present(live, request, sd_jwt, holder, "EdDSA", kb_overrides={"nonce": "not-this-request"})
    assert_clean(result)
    assert result["submitted"]["status"] == 400, result["submitted"]
    assert result["submitted"]["body"]["error"] == "invalid_request"
    assert result["submitted"]["body"].get("reason") == "nonce_mismatch", result["submitted"]["body"]
    assert request.state() == "pending"  # a refused answer leaves the request open

    # The same wallet, answering properly, is then accepted.
    result = present(live, request, sd_jwt, holder, "EdDSA")
    assert_clean(result)
    assert result["submitted"]["status"] == 200, result["submitted"]
    assert request.state() == "answered"
    assert list(request.answer().disclosed) == [*REQUIRED, "name"]
