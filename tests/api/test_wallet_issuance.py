"""OpenID4VCI issuance (pre-authorized code + tx_code), the SD-JWT VC and its Token Status List,
through real HTTP on SQLite and PostgreSQL; every refusal with its exact error."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from skills_vc.core.keys import b64url, b64url_decode
from skills_vc.core.sdjwt import split
from skills_vc.core.tokenstatus import decode_lst, value_at
from tests.api.wallet_support import (
    OB3,
    SD_JWT,
    Holder,
    Offer,
    disclosures_of,
    make_offer,
    nonce,
    path_of,
    rebuild,
    receive,
    request_credential,
    token,
)
from tests.conftest import Platform, check


def _error(response: Any) -> tuple[int, str, str]:
    body = response.json()
    assert body["error_description"] == body["detail"]
    return response.status_code, body["error"], body["reason"]


def _access(platform: Platform, offer: Offer) -> str:
    response = token(platform, offer)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and isinstance(body["expires_in"], int)
    return str(body["access_token"])


def _payload(token_text: str) -> dict[str, Any]:
    return dict(json.loads(b64url_decode(token_text.split("~")[0].split(".")[1])))


@pytest.fixture
def asbl(platform: Platform) -> dict[str, Any]:
    return platform.register("wallet-asbl")


def test_metadata_names_both_configurations_and_the_token_endpoint(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    issuer = "https://skills-vc.test/issuers/wallet-asbl"
    inserted = platform.client.get("/.well-known/openid-credential-issuer/issuers/wallet-asbl").json()
    appended = platform.client.get("/issuers/wallet-asbl/.well-known/openid-credential-issuer").json()
    assert inserted == appended
    assert inserted["credential_issuer"] == issuer
    assert inserted["nonce_endpoint"] == issuer + "/oid4vci/nonce"
    configs = inserted["credential_configurations_supported"]
    assert configs[SD_JWT]["format"] == "dc+sd-jwt"
    assert configs[SD_JWT]["vct"] == "https://skills-vc.test/vct/volunteer-activity"
    assert configs[OB3]["format"] == "jwt_vc_json"
    assert {d["locale"] for d in inserted["display"]} == {"fr", "nl", "en"}
    labels = {
        d["locale"]: d["name"]
        for c in configs[SD_JWT]["credential_metadata"]["claims"]
        if c["path"] == ["activity", "role"]
        for d in c["display"]
    }
    assert labels == {"fr": "Rôle", "nl": "Rol", "en": "Role"}
    server = platform.client.get("/.well-known/oauth-authorization-server/issuers/wallet-asbl").json()
    assert server["issuer"] == issuer and server["token_endpoint"] == issuer + "/oid4vci/token"
    keys = platform.client.get("/.well-known/jwt-vc-issuer/issuers/wallet-asbl").json()
    assert keys["issuer"] == issuer and keys["jwks"]["keys"][0]["kid"]


def test_a_wallet_receives_both_credentials_bound_to_its_key(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    offer = make_offer(platform, asbl)
    assert "tx_code" not in json.dumps(offer.document["grants"]).replace('"tx_code": {', "")
    assert offer.tx_code not in json.dumps(offer.document) and offer.tx_code not in offer.body["offer_link"]
    holder = Holder()
    access = _access(platform, offer)
    sd_jwt = receive(platform, offer, holder, SD_JWT, access)
    ob3 = receive(platform, offer, holder, OB3, access)

    payload = _payload(sd_jwt)
    assert payload["cnf"] == {"jwk": holder.jwk}
    assert payload["iss"] == offer.issuer and "_sd" in payload["volunteer"]
    assert {"iss", "vct", "iat", "cnf", "status"} <= set(payload)
    claims = {k: v for k, v in payload.items()}
    assert "name" not in claims["volunteer"] and all(set(s) == {"..."} for s in claims["skills"])
    status, report = platform.verify(sd_jwt)
    assert status == 200, report
    assert [c["check"] for c in report["checks"]][:2] == ["signature", "disclosures"]
    assert report["credential"]["volunteer"]["name"] == "Aïcha Benali"
    ob3_payload = _payload(ob3)
    assert ob3_payload["credentialSubject"]["id"].startswith("did:jwk:")
    assert platform.verify(ob3)[0] == 200
    # The same ESCO skills in both forms.
    alignment = {a["targetUrl"] for a in ob3_payload["credentialSubject"]["achievement"]["alignment"]}
    assert {s["uri"] for s in report["credential"]["skills"]} == alignment


def test_the_pre_authorized_code_is_single_use(platform: Platform, asbl: dict[str, Any]) -> None:
    offer = make_offer(platform, asbl)
    _access(platform, offer)
    assert _error(token(platform, offer)) == (400, "invalid_grant", "code_used")
    assert platform.client.get(path_of(offer.body["credential_offer_uri"])).status_code == 410


def test_wrong_tx_codes_burn_the_offer(platform: Platform, asbl: dict[str, Any]) -> None:
    offer = make_offer(platform, asbl)
    wrong = f"{(int(offer.tx_code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        response = token(platform, offer, tx_code=wrong)
        assert _error(response) == (400, "invalid_grant", "tx_code_wrong")
        assert f"{left} tries left" in response.json()["detail"]
    assert _error(token(platform, offer, tx_code=wrong)) == (400, "invalid_grant", "offer_burnt")
    assert _error(token(platform, offer)) == (400, "invalid_grant", "offer_burnt")
    # The coordinator makes a new offer; it works.
    again = platform.client.post(
        f"/credentials/{offer.body['credential_id']}/offers", headers=asbl["headers"]
    )
    assert again.status_code == 201
    assert again.json()["tx_code"] != "" and again.json()["offer_id"] != offer.body["offer_id"]


def test_a_new_offer_replaces_the_open_one(platform: Platform, asbl: dict[str, Any]) -> None:
    offer = make_offer(platform, asbl)
    platform.client.post(f"/credentials/{offer.body['credential_id']}/offers", headers=asbl["headers"])
    assert _error(token(platform, offer)) == (400, "invalid_grant", "offer_burnt")


def test_an_expired_offer_is_refused(platform: Platform, asbl: dict[str, Any]) -> None:
    offer = make_offer(platform, asbl)
    platform.clock.advance(days=7, seconds=1)
    assert _error(token(platform, offer)) == (400, "invalid_grant", "offer_expired")
    document = platform.client.get(path_of(offer.body["credential_offer_uri"]))
    assert document.status_code == 410 and document.json()["error"] == "offer_expired"


def test_token_requests_that_are_not_the_pre_authorized_grant(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    offer = make_offer(platform, asbl)
    url = path_of(offer.issuer) + "/oid4vci/token"
    other = platform.client.post(url, data={"grant_type": "authorization_code", "code": "x"})
    assert _error(other) == (400, "unsupported_grant_type", "grant_type_unsupported")
    unknown = token(platform, offer, code="not-a-code")
    assert _error(unknown) == (400, "invalid_grant", "code_unknown")
    no_tx = platform.client.post(
        url,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": offer.code,
        },
    )
    assert _error(no_tx) == (400, "invalid_request", "tx_code_missing")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        ("no_nonce", ("invalid_nonce", "nonce_missing")),
        ("unknown_nonce", ("invalid_nonce", "nonce_unknown")),
        ("wrong_aud", ("invalid_proof", "aud_wrong")),
        ("other_key", ("invalid_proof", "signature_invalid")),
        ("alg_none", ("invalid_proof", "alg_not_allowed")),
        ("wrong_typ", ("invalid_proof", "proof_typ_wrong")),
        ("old_iat", ("invalid_proof", "iat_invalid")),
        ("private_jwk", ("invalid_proof", "proof_key_unusable")),
    ],
)
def test_bad_proofs_are_refused(
    platform: Platform, asbl: dict[str, Any], make: str, expected: tuple[str, str]
) -> None:
    offer = make_offer(platform, asbl)
    access = _access(platform, offer)
    holder = Holder()
    now = int(platform.clock().timestamp())
    fresh = nonce(platform, offer)
    if make == "no_nonce":
        proof = holder.proof(aud=offer.issuer, nonce=None, iat=now)
    elif make == "unknown_nonce":
        proof = holder.proof(aud=offer.issuer, nonce="made-up", iat=now)
    elif make == "wrong_aud":
        proof = holder.proof(aud="https://skills-vc.test/issuers/other", nonce=fresh, iat=now)
    elif make == "other_key":
        # Signed by one key, naming another in its header.
        proof = Holder().proof(aud=offer.issuer, nonce=fresh, iat=now, jwk=holder.jwk)
    elif make == "alg_none":
        header = {"alg": "none", "typ": "openid4vci-proof+jwt", "jwk": holder.jwk}
        body = {"aud": offer.issuer, "iat": now, "nonce": fresh}
        proof = ".".join(b64url(json.dumps(p).encode()) for p in (header, body)) + "."
    elif make == "wrong_typ":
        proof = holder.proof(aud=offer.issuer, nonce=fresh, iat=now, typ="JWT")
    elif make == "old_iat":
        proof = holder.proof(aud=offer.issuer, nonce=fresh, iat=now - 3600)
    else:
        from skills_vc.core.keys import b64url as enc

        private = dict(holder.jwk)
        private["d"] = enc(holder.key.private_numbers().private_value.to_bytes(32, "big"))  # type: ignore[union-attr]
        proof = holder.proof(aud=offer.issuer, nonce=fresh, iat=now, jwk=private)
    assert _error(request_credential(platform, offer, access, SD_JWT, proof)) == (400, *expected)


def test_nonces_are_single_use_and_expire(platform: Platform, asbl: dict[str, Any]) -> None:
    offer = make_offer(platform, asbl)
    access = _access(platform, offer)
    holder = Holder(ed25519.Ed25519PrivateKey.generate())
    now = int(platform.clock().timestamp())
    used = nonce(platform, offer)
    first = request_credential(
        platform, offer, access, SD_JWT, holder.proof(aud=offer.issuer, nonce=used, iat=now)
    )
    assert first.status_code == 200, first.text
    replay = request_credential(
        platform, offer, access, OB3, holder.proof(aud=offer.issuer, nonce=used, iat=now)
    )
    assert _error(replay) == (400, "invalid_nonce", "nonce_used")
    old = nonce(platform, offer)
    later = int(platform.clock.advance(seconds=301).timestamp())
    expired = request_credential(
        platform, offer, access, OB3, holder.proof(aud=offer.issuer, nonce=old, iat=later)
    )
    assert _error(expired) == (400, "invalid_nonce", "nonce_expired")


def test_an_access_token_is_for_its_offer_only(platform: Platform, asbl: dict[str, Any]) -> None:
    offer = make_offer(platform, asbl, configurations=[SD_JWT])
    access = _access(platform, offer)
    holder = Holder()
    proof = holder.proof(
        aud=offer.issuer, nonce=nonce(platform, offer), iat=int(platform.clock().timestamp())
    )
    other = request_credential(platform, offer, access, OB3, proof)
    assert _error(other) == (400, "invalid_credential_request", "configuration_not_offered")
    receive(platform, offer, holder, SD_JWT, access)
    twice = request_credential(
        platform,
        offer,
        access,
        SD_JWT,
        holder.proof(aud=offer.issuer, nonce=nonce(platform, offer), iat=int(platform.clock().timestamp())),
    )
    assert _error(twice) == (400, "credential_request_denied", "already_issued")
    bad = request_credential(platform, offer, "not-a-token", SD_JWT, proof)
    assert _error(bad) == (401, "invalid_token", "token_unknown")
    assert bad.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    platform.clock.advance(seconds=601)
    assert _error(request_credential(platform, offer, access, SD_JWT, proof)) == (
        401,
        "invalid_token",
        "token_expired",
    )


def test_offers_are_refused_for_revoked_credentials_and_other_associations(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    credential = platform.issue(asbl)
    other = platform.register("other-asbl")
    theirs = platform.client.post(f"/credentials/{credential['id']}/offers", headers=other["headers"])
    assert theirs.status_code == 404 and theirs.json()["error"] == "credential_not_found"
    platform.client.post(
        f"/credentials/{credential['id']}/revoke", json={"reason": "x"}, headers=asbl["headers"]
    )
    revoked = platform.client.post(f"/credentials/{credential['id']}/offers", headers=asbl["headers"])
    assert revoked.status_code == 409 and revoked.json()["error"] == "credential_revoked"


def _received_sd_jwt(platform: Platform, asbl: dict[str, Any], holder: Holder) -> tuple[Offer, str]:
    offer = make_offer(platform, asbl)
    return offer, receive(platform, offer, holder, SD_JWT, _access(platform, offer))


def test_a_tampered_or_added_disclosure_is_refused(platform: Platform, asbl: dict[str, Any]) -> None:
    _, sd_jwt = _received_sd_jwt(platform, asbl, Holder())
    disclosures = disclosures_of(sd_jwt)
    name = next(d for d in disclosures if json.loads(b64url_decode(d))[1:2] == ["name"])
    salt, _, _ = json.loads(b64url_decode(name))
    forged = b64url(json.dumps([salt, "name", "Someone Else"]).encode())
    tampered = rebuild(sd_jwt, [forged if d == name else d for d in disclosures])
    status, report = platform.verify(tampered)
    assert status == 400
    assert check(report, "disclosures")["code"] == "disclosure_not_signed"
    assert check(report, "signature")["status"] == "passed"
    assert "credential" not in report
    added = rebuild(sd_jwt, [*disclosures, b64url(json.dumps(["c2FsdHNhbHRzYWx0", "admin", True]).encode())])
    assert check(platform.verify(added)[1], "disclosures")["code"] == "disclosure_not_signed"


def test_a_presentation_may_keep_claims_back(platform: Platform, asbl: dict[str, Any]) -> None:
    _, sd_jwt = _received_sd_jwt(platform, asbl, Holder())
    kept = [
        d for d in disclosures_of(sd_jwt) if json.loads(b64url_decode(d))[1:2] not in (["name"], ["email"])
    ]
    status, report = platform.verify(rebuild(sd_jwt, kept))
    assert status == 200, report
    assert "name" not in report["credential"]["volunteer"]
    assert report["credential"]["skills"]


def test_key_binding(platform: Platform, asbl: dict[str, Any]) -> None:
    holder = Holder()
    _, sd_jwt = _received_sd_jwt(platform, asbl, holder)
    now = int(platform.clock().timestamp())
    bound = holder.kb_jwt(sd_jwt, aud="https://counsellor.example", nonce="n-1", iat=now)
    status, report = platform.verify(bound)
    assert status == 200, report
    assert check(report, "key_binding")["code"] == "key_binding_valid"
    by_other = holder.kb_jwt(sd_jwt, aud="a", nonce="n", iat=now, key=ec.generate_private_key(ec.SECP256R1()))
    assert check(platform.verify(by_other)[1], "key_binding")["code"] == "key_binding_wrong_key"
    _, disclosures, _ = split(sd_jwt)
    # A KB-JWT made over a presentation with one disclosure fewer, then attached to all of them.
    partial = holder.kb_jwt(rebuild(sd_jwt, disclosures[1:]), aud="a", nonce="n", iat=now)
    wrong_hash = rebuild(sd_jwt, disclosures) + partial.rsplit("~", 1)[1]
    status, report = platform.verify(wrong_hash)
    assert status == 400 and check(report, "key_binding")["code"] == "key_binding_sd_hash"


def test_the_token_status_list_follows_revocation_and_suspension(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    offer, sd_jwt = _received_sd_jwt(platform, asbl, Holder())
    reference = _payload(sd_jwt)["status"]["status_list"]
    credential_id = offer.body["credential_id"]

    def value() -> int:
        response = platform.client.get(path_of(reference["uri"]))
        assert response.headers["content-type"] == "application/statuslist+jwt"
        assert "max-age" in response.headers["cache-control"] and response.headers["etag"]
        header = json.loads(b64url_decode(response.text.split(".")[0]))
        body = json.loads(b64url_decode(response.text.split(".")[1]))
        assert header["typ"] == "statuslist+jwt" and body["sub"] == reference["uri"]
        return value_at(decode_lst(body["status_list"]["lst"]), body["status_list"]["bits"], reference["idx"])

    assert value() == 0
    platform.client.post(
        f"/credentials/{credential_id}/suspend", json={"reason": "check"}, headers=asbl["headers"]
    )
    assert value() == 2 and check(platform.verify(sd_jwt)[1], "status")["code"] == "suspended"
    platform.client.post(f"/credentials/{credential_id}/unsuspend", json={}, headers=asbl["headers"])
    assert value() == 0 and platform.verify(sd_jwt)[0] == 200
    platform.client.post(
        f"/credentials/{credential_id}/revoke", json={"reason": "error"}, headers=asbl["headers"]
    )
    assert value() == 1 and check(platform.verify(sd_jwt)[1], "status")["code"] == "revoked"


def test_single_use_under_concurrent_requests(platform: Platform, asbl: dict[str, Any]) -> None:
    """Eight wallets race with the same code, then with the same nonce: one wins each race."""
    from tests.web.conftest import LiveServer

    offer = make_offer(platform, asbl)
    with LiveServer(platform.client.app) as server:  # type: ignore[arg-type]
        base = server.url + path_of(offer.issuer) + "/oid4vci"
        data = {
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": offer.code,
            "tx_code": offer.tx_code,
        }
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: httpx.post(base + "/token", data=data, timeout=30), range(8)))
        assert sorted(a.status_code for a in answers) == [200] + [400] * 7
        assert {a.json()["reason"] for a in answers if a.status_code == 400} == {"code_used"}
        access = next(a.json()["access_token"] for a in answers if a.status_code == 200)
        shared = httpx.post(base + "/nonce", timeout=30).json()["c_nonce"]
        now = int(platform.clock().timestamp())
        holder = Holder()

        def ask(configuration: str) -> httpx.Response:
            proof = holder.proof(aud=offer.issuer, nonce=shared, iat=now)
            return httpx.post(
                base + "/credential",
                json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
                headers={"Authorization": f"Bearer {access}"},
                timeout=30,
            )

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(ask, [SD_JWT, OB3] * 4))
    assert sorted(r.status_code for r in results) == [200] + [400] * 7
    assert {r.json()["reason"] for r in results if r.status_code == 400} == {"nonce_used"}


def test_the_status_list_bit_order_is_least_significant_first() -> None:
    from skills_vc.core.tokenstatus import pack

    data = pack(16, 2, {0: 1, 1: 2, 5: 3})
    assert data[:2] == bytes([0b00001001, 0b00001100])
    assert [value_at(data, 2, i) for i in range(6)] == [1, 2, 0, 0, 0, 3]
    assert base64.b64encode(data)  # packs whole bytes
