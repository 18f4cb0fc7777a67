"""A counsellor asks the volunteer's wallet (OpenID4VP 1.0, DCQL, direct_post): the request object,
the answer bound to the request, and every refusal with its exact reason, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.jwk import ECKey

from skills_vc.core.keys import b64url, b64url_decode
from tests.api.wallet_support import (
    SD_JWT,
    Holder,
    disclosures_of,
    make_offer,
    rebuild,
    receive,
    select,
    token,
)
from tests.conftest import PUBLIC_URL, Platform

CLIENT_ID = "decentralized_identifier:did:web:skills-vc.test"
ASKED = {"title", "role", "name", "start_date", "end_date"}


@dataclass
class Ask:
    id: str
    link: str
    nonce: str
    state: str
    response_uri: str
    payload: dict[str, Any]
    cookies: dict[str, str]


def ask(platform: Platform, *claims: str) -> Ask:
    made = platform.client.post("/verify/wallet", data={"claims": list(claims)}, follow_redirects=False)
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    request_id = path.rsplit("/", 1)[1]
    page = platform.client.get(path)
    assert page.status_code == 200 and 'data-state="pending"' in page.text
    link = unquote(page.text.split('id="request-link" href="', 1)[1].split('"', 1)[0]).replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query["client_id"] == [CLIENT_ID]
    response = platform.client.get(query["request_uri"][0].removeprefix(PUBLIC_URL))
    assert response.headers["content-type"] == "application/oauth-authz-req+jwt"
    # The request object verifies with joserfc and the key of the platform's DID document.
    header = json.loads(b64url_decode(response.text.split(".")[0]))
    document = platform.client.get("/.well-known/did.json").json()
    method = next(m for m in document["verificationMethod"] if m["id"] == header["kid"])
    verified = jws.deserialize_compact(
        response.text, ECKey.import_key(method["publicKeyJwk"]), algorithms=["ES256"]
    )
    payload = json.loads(verified.payload)
    assert header["typ"] == "oauth-authz-req+jwt" and payload["client_id"] == CLIENT_ID
    return Ask(
        request_id,
        link,
        payload["nonce"],
        payload["state"],
        payload["response_uri"],
        payload,
        dict(made.cookies),
    )


def credential(platform: Platform, holder: Holder, association: dict[str, Any] | None = None) -> str:
    association = association or platform.register()
    offer = make_offer(platform, association)
    return receive(platform, offer, holder, SD_JWT, token(platform, offer).json()["access_token"])


def post(platform: Platform, request: Ask, presentation: str, state: str | None = None) -> Any:
    return platform.client.post(
        request.response_uri.removeprefix(PUBLIC_URL),
        data={"vp_token": json.dumps({"volunteer_skills": [presentation]}), "state": state or request.state},
    )


def answer(
    platform: Platform, request: Ask, holder: Holder, sd_jwt: str, names: set[str] = ASKED, **kb: Any
) -> Any:
    values = {"aud": CLIENT_ID, "nonce": request.nonce, "iat": int(platform.clock().timestamp())} | kb
    return post(platform, request, holder.kb_jwt(select(sd_jwt, names), **values))


def result(platform: Platform, request: Ask) -> str:
    return platform.client.get(f"/verify/wallet/{request.id}?lang=nl").text


def _refused(response: Any, reason: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request" and response.json()["reason"] == reason


@pytest.fixture
def holder() -> Holder:
    return Holder()


def test_the_request_asks_with_dcql_and_claim_sets(platform: Platform) -> None:
    request = ask(platform, "name", "start", "end")
    query = request.payload["dcql_query"]["credentials"][0]
    assert query["format"] == "dc+sd-jwt" and query["meta"]["vct_values"] == [
        f"{PUBLIC_URL}/vct/volunteer-activity"
    ]
    assert [c["id"] for c in query["claims"]] == ["skills", "activity", "role", "name", "start", "end"]
    assert query["claim_sets"][0] == ["skills", "activity", "role", "name", "start", "end"]
    assert query["claim_sets"][-1] == ["skills", "activity", "role"] and len(query["claim_sets"]) == 8
    assert (
        request.payload["response_mode"] == "direct_post"
        and request.payload["aud"] == "https://self-issued.me/v2"
    )


def test_the_volunteer_answers_and_keeps_the_name_back(platform: Platform, holder: Holder) -> None:
    sd_jwt = credential(platform, holder)
    request = ask(platform, "name", "start", "end")
    assert platform.client.get(f"/verify/wallet/{request.id}/status").json() == {"state": "pending"}
    response = answer(platform, request, holder, sd_jwt, ASKED - {"name"})
    assert response.status_code == 200 and response.json() == {}
    assert platform.client.get(f"/verify/wallet/{request.id}/status").json() == {"state": "answered"}
    page = result(platform, request)
    assert 'data-verdict="verified"' in page
    assert (
        'data-claim="name" data-disclosed="no"' in page and 'data-claim="start" data-disclosed="yes"' in page
    )
    assert "Aïcha Benali" not in page and "Couturière bénévole" in page
    assert 'data-check="key_binding" data-status="passed"' in page


def test_only_the_counsellors_browser_sees_the_answer(platform: Platform, holder: Holder) -> None:
    sd_jwt = credential(platform, holder)
    request = ask(platform)
    assert answer(platform, request, holder, sd_jwt).status_code == 200
    platform.client.cookies.clear()
    other = platform.client.get(f"/verify/wallet/{request.id}")
    assert other.status_code == 404 and 'id="form-error"' in other.text


def test_replays_and_answers_for_other_requests_are_refused(platform: Platform, holder: Holder) -> None:
    sd_jwt = credential(platform, holder)
    first = ask(platform)
    presentation = holder.kb_jwt(
        select(sd_jwt, ASKED), aud=CLIENT_ID, nonce=first.nonce, iat=int(platform.clock().timestamp())
    )
    assert post(platform, first, presentation).status_code == 200
    _refused(post(platform, first, presentation), "request_answered")
    second = ask(platform)
    # Another counsellor's request: the same presentation answers the first request's nonce.
    _refused(post(platform, second, presentation, state=second.state), "nonce_mismatch")
    assert platform.client.get(f"/verify/wallet/{second.id}/status").json() == {"state": "pending"}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong_nonce", "nonce_mismatch"),
        ("wrong_aud", "aud_mismatch"),
        ("no_kb", "key_binding_missing"),
        ("other_key", "key_binding_wrong_key"),
        ("stale", "key_binding_stale"),
        ("tampered", "disclosure_not_signed"),
        ("added", "disclosure_not_signed"),
        ("required_missing", "required_claim_missing"),
        ("wrong_state", "state_mismatch"),
        ("not_json", "vp_token_malformed"),
    ],
)
def test_answers_not_bound_to_the_request_are_refused(
    platform: Platform, holder: Holder, case: str, reason: str
) -> None:
    sd_jwt = credential(platform, holder)
    request = ask(platform, "name")
    now = int(platform.clock().timestamp())
    chosen = select(sd_jwt, ASKED)
    if case == "wrong_nonce":
        response = answer(platform, request, holder, sd_jwt, nonce="another")
    elif case == "wrong_aud":
        response = answer(
            platform, request, holder, sd_jwt, aud="decentralized_identifier:did:web:elsewhere.example"
        )
    elif case == "no_kb":
        response = post(platform, request, chosen)
    elif case == "other_key":
        other = ec.generate_private_key(ec.SECP256R1())
        response = post(
            platform, request, holder.kb_jwt(chosen, aud=CLIENT_ID, nonce=request.nonce, iat=now, key=other)
        )
    elif case == "stale":
        response = answer(platform, request, holder, sd_jwt, iat=now - 3600)
    elif case in ("tampered", "added"):
        disclosures = disclosures_of(chosen)
        extra = b64url(json.dumps(["c2FsdHNhbHRzYWx0c2FsdA", "name", "Someone Else"]).encode())
        changed = [extra if case == "tampered" and i == 0 else d for i, d in enumerate(disclosures)]
        if case == "added":
            changed.append(extra)
        response = post(
            platform,
            request,
            holder.kb_jwt(rebuild(chosen, changed), aud=CLIENT_ID, nonce=request.nonce, iat=now),
        )
    elif case == "required_missing":
        response = answer(platform, request, holder, sd_jwt, {"name", "start_date"})
    elif case == "wrong_state":
        response = post(
            platform, request, holder.kb_jwt(chosen, aud=CLIENT_ID, nonce=request.nonce, iat=now), state="x"
        )
    else:
        response = platform.client.post(
            request.response_uri.removeprefix(PUBLIC_URL), data={"vp_token": "{", "state": request.state}
        )
    _refused(response, reason)
    assert platform.client.get(f"/verify/wallet/{request.id}/status").json() == {"state": "pending"}


def test_a_credential_of_another_type_is_refused(platform: Platform, holder: Holder) -> None:
    from skills_vc.core.formats import get_format
    from skills_vc.core.sdjwt import Sd

    association = platform.register()
    sd_jwt = credential(platform, holder, association)
    claims = json.loads(b64url_decode(sd_jwt.split(".")[1]))
    other = {
        "iss": claims["iss"],
        "vct": "https://elsewhere.example/vct/other",
        "cnf": {"jwk": holder.jwk},
        "skills": [Sd({"uri": "http://data.europa.eu/esco/skill/e5eb5b7c-bc7f-4c25-820f-f9bdef888b86"})],
        "activity": {"title": Sd("x"), "role": Sd("y")},
    }
    forged = get_format("dc+sd-jwt").secure(
        other, platform.signer(association["slug"]), now=int(platform.clock().timestamp())
    )
    request = ask(platform)
    _refused(answer(platform, request, holder, forged, {"title", "role"}), "vct_not_requested")


def test_expired_requests_are_refused_and_forgotten(platform: Platform, holder: Holder) -> None:
    sd_jwt = credential(platform, holder)
    request = ask(platform)
    platform.clock.advance(seconds=601)
    assert platform.client.get(f"/verify/wallet/requests/{request.id}").status_code == 410
    _refused(answer(platform, request, holder, sd_jwt), "request_expired")
    assert platform.client.get(f"/verify/wallet/{request.id}/status").json() == {"state": "expired"}
    platform.clock.advance(seconds=1200)
    assert platform.client.get(f"/verify/wallet/{request.id}/status").status_code == 404


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_a_revoked_or_suspended_credential_is_shown_not_verified(
    platform: Platform, holder: Holder, action: str
) -> None:
    association = platform.register()
    offer = make_offer(platform, association)
    sd_jwt = receive(platform, offer, holder, SD_JWT, token(platform, offer).json()["access_token"])
    platform.client.post(
        f"/credentials/{offer.body['credential_id']}/{action}",
        json={"reason": "test"},
        headers=association["headers"],
    )
    request = ask(platform)
    assert answer(platform, request, holder, sd_jwt).status_code == 200
    page = result(platform, request)
    assert 'data-verdict="not_verified"' in page
    assert 'data-check="status" data-status="failed"' in page
    assert ("ingetrokken" if action == "revoke" else "geschorst") in page


def test_a_declined_request(platform: Platform) -> None:
    request = ask(platform)
    response = platform.client.post(
        request.response_uri.removeprefix(PUBLIC_URL), data={"error": "access_denied", "state": request.state}
    )
    assert response.status_code == 200
    assert platform.client.get(f"/verify/wallet/{request.id}/status").json() == {"state": "declined"}


def test_platform_did_document(platform: Platform) -> None:
    document = platform.client.get("/.well-known/did.json").json()
    assert document["id"] == "did:web:skills-vc.test"
    assert document["verificationMethod"][0]["publicKeyJwk"]["crv"] == "P-256"
