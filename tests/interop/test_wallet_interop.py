"""OpenID4VCI issuance, SD-JWT VCs and the Token Status List, checked by implementations skills-vc
did not write, against the real service served by uvicorn on 127.0.0.1:

- a wallet built on ``@openid4vc/openid4vci`` (Openid4vciClient, OpenID4VCI 1.0) redeems an offer
  with its transaction code and receives both credential configurations (``oid4vci_wallet.mjs``);
- ``@sd-jwt/sd-jwt-vc`` verifies the SD-JWT VC, its disclosures, the live status list and type
  metadata, and a presentation with a KB-JWT by the holder's key (``sdjwt_verify.mjs``);
- the Python ``sd-jwt`` reference implementation (openwallet-foundation sd-jwt-python) verifies
  the same SD-JWT VC and a presentation with a KB-JWT;
- ``@sd-jwt/jwt-status-list`` decodes the Token Status List after a revocation and a suspension
  (``status_list.mjs``).
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from sqlalchemy import Engine

from skills_vc.api.app import create_app
from tests.conftest import Clock, Platform, make_settings
from tests.interop.conftest import run_script
from tests.web.conftest import LiveServer

# The independent libraries judge the protocol and the formats; the flows' behaviour on PostgreSQL
# is tested in tests/api and tests/web (Chromium) on both databases, so these run on SQLite only.
pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

SD_JWT_CONFIG = "volunteer_activity_sd_jwt"
JWT_VC_CONFIG = "open_badge_jwt_vc_json"
VERIFIER_AUD = "https://verifier.example/presentations"


class _LateApp:
    """An ASGI app bound after the socket: the app's public URL must be the live server's own."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class Live:
    """The service on a real socket (for the npm wallet and verifiers) and through a TestClient
    (for the set-up calls of ``Platform``): one app, one database."""

    def __init__(self, server: LiveServer, platform: Platform) -> None:
        self.server = server
        self.platform = platform
        self.url = server.url

    @property
    def client(self) -> TestClient:
        return self.platform.client

    def now(self) -> int:
        return int(self.platform.clock().timestamp())

    def path(self, url: str) -> str:
        assert url.startswith(self.url), url
        return url.removeprefix(self.url)

    def offer(self, association: dict[str, Any], credential_id: str, **body: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/credentials/{credential_id}/offers", json=body, headers=association["headers"]
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def issuer_jwk(self, association: dict[str, Any], token: str) -> dict[str, Any]:
        """The issuer key of an SD-JWT VC, from the association's published JWT VC issuer metadata."""
        response = self.client.get(f"/.well-known/jwt-vc-issuer/issuers/{association['slug']}")
        assert response.status_code == 200, response.text
        metadata = response.json()
        assert metadata["issuer"] == f"{self.url}/issuers/{association['slug']}"
        kid = jwt.get_unverified_header(token.split("~")[0])["kid"]
        keys = [k for k in metadata["jwks"]["keys"] if k.get("kid") == kid]
        assert len(keys) == 1, (kid, metadata)
        return dict(keys[0])


@pytest.fixture
def live(db: Engine, clock: Clock, tmp_path: Path) -> Iterator[Live]:
    late = _LateApp()
    server = LiveServer(late)  # type: ignore[arg-type]  # binds 127.0.0.1:<free port>
    app = create_app(make_settings(tmp_path, public_url=server.url), clock=clock, engine=db)
    late.app = app
    with TestClient(app) as client, server:
        yield Live(server, Platform(client, clock))


def holder_key(alg: str) -> dict[str, Any]:
    """A fresh holder key pair as a private JWK (the test plays the volunteer's wallet)."""
    if alg == "EdDSA":
        return dict(json.loads(OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate())))
    return dict(json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()))))


def public(jwk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y")}


def wallet(
    live: Live, offer: dict[str, Any], holder: dict[str, Any], alg: str, **extra: Any
) -> dict[str, Any]:
    payload = {
        "offer_uri": offer["offer_link"],  # openid-credential-offer://?credential_offer_uri=...
        "tx_code": offer["tx_code"],
        "holder_jwk_private": holder,
        "alg": alg,
        "configurations": offer.get("configurations", [SD_JWT_CONFIG, JWT_VC_CONFIG]),
        "now": live.now(),
    }
    payload.update(extra)
    return run_script("oid4vci_wallet.mjs", payload)


def received(live: Live, association: dict[str, Any], holder: dict[str, Any], alg: str) -> dict[str, Any]:
    """Issue a credential through the API, offer it, and let the npm wallet redeem the offer."""
    credential = live.platform.issue(association)
    offer = live.offer(association, credential["id"])
    result = wallet(live, offer, holder, alg)
    assert result["errors"] == [], json.dumps(result["errors"], indent=1)
    return {"credential": credential, "offer": offer, "wallet": result}


def sd_jwt_payload(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token.split("~")[0], options={"verify_signature": False}))


@pytest.mark.interop
@pytest.mark.parametrize(("key_type", "alg"), [(None, "EdDSA"), ("P-256", "ES256")])
def test_openid4vci_client_receives_both_configurations(live: Live, key_type: str | None, alg: str) -> None:
    association = live.platform.register(f"wallet-{alg.lower()}", key_type=key_type)
    iss = f"{live.url}/issuers/{association['slug']}"
    holder = holder_key(alg)
    got = received(live, association, holder, alg)
    result, offer = got["wallet"], got["offer"]

    # The offer, by reference, with a numeric transaction code that is not in it.
    query = parse_qs(urlsplit(offer["offer_link"]).query)
    assert query["credential_offer_uri"] == [offer["credential_offer_uri"]]
    assert offer["credential_offer_uri"].startswith(f"{iss}/oid4vci/offers/")
    grant = result["offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant["tx_code"]["input_mode"] == "numeric"
    assert grant["tx_code"]["length"] == len(offer["tx_code"]) == 6
    assert offer["tx_code"] not in json.dumps(result["offer"])
    assert result["offer"]["credential_issuer"] == iss
    assert sorted(result["offer"]["credential_configuration_ids"]) == sorted([SD_JWT_CONFIG, JWT_VC_CONFIG])

    # Metadata found where OpenID4VCI 1.0 and RFC 8414 put them for an issuer with a path.
    assert result["issuer_metadata"]["credential_issuer"] == iss
    assert result["draft_version"] == "V1"
    assert sorted(result["known_configurations"]) == sorted([SD_JWT_CONFIG, JWT_VC_CONFIG])
    assert [a["issuer"] for a in result["authorization_servers"]] == [iss]
    logos = {d["logo"]["uri"] for d in result["issuer_metadata"].get("display", []) if "logo" in d}
    for configuration in result["issuer_metadata"]["credential_configurations_supported"].values():
        displays = configuration.get("credential_metadata", {}).get("display", [])
        logos |= {d["logo"]["uri"] for d in displays if "logo" in d}
    for logo in logos:  # what a wallet shows must be there
        if not logo.startswith("data:"):
            fetched_logo = live.client.get(live.path(logo))
            assert fetched_logo.status_code == 200, logo
            assert fetched_logo.headers["content-type"].startswith("image/"), logo
    fetched = [(t["method"], live.path(t["url"]), t["status"]) for t in result["trace"]]
    slug = association["slug"]
    assert fetched[:3] == [
        ("GET", live.path(offer["credential_offer_uri"]), 200),
        ("GET", f"/.well-known/openid-credential-issuer/issuers/{slug}", 200),
        ("GET", f"/.well-known/oauth-authorization-server/issuers/{slug}", 200),
    ]

    # Token and nonce: Bearer, not cached.
    assert result["token"]["token_type"].lower() == "bearer"
    assert result["token"]["authorization_server"] == iss
    by_path = {live.path(t["url"]): t for t in result["trace"]}
    assert "no-store" in by_path[f"/issuers/{slug}/oid4vci/token"]["cache_control"]
    assert "no-store" in by_path[f"/issuers/{slug}/oid4vci/nonce"]["cache_control"]
    requests = [
        json.loads(t["request_body"]) for t in result["trace"] if t["url"].endswith("/oid4vci/credential")
    ]
    assert [r["credential_configuration_id"] for r in requests] == [SD_JWT_CONFIG, JWT_VC_CONFIG]
    assert all(
        set(r) == {"proofs", "credential_configuration_id"} and len(r["proofs"]["jwt"]) == 1 for r in requests
    )

    # Both credentials, bound to the holder's key.
    credentials = result["credentials"]
    assert set(credentials) == {SD_JWT_CONFIG, JWT_VC_CONFIG}
    sd = credentials[SD_JWT_CONFIG]
    assert sd.endswith("~") and sd.count("~") > 1
    header = jwt.get_unverified_header(sd.split("~")[0])
    assert header["typ"] == "dc+sd-jwt"
    assert header["alg"] == ("EdDSA" if key_type is None else "ES256")
    claims = sd_jwt_payload(sd)
    assert claims["iss"] == iss
    assert claims["vct"] == f"{live.url}/vct/volunteer-activity"
    assert claims["cnf"]["jwk"] == public(holder)
    # The vc+jwt verifies with npm jose and the key of the association's DID document, and its
    # subject is the holder's key as a did:jwk.
    vc = credentials[JWT_VC_CONFIG]
    vc_header = jwt.get_unverified_header(vc)
    document = live.client.get(f"/issuers/{slug}/did.json").json()
    [method] = [m for m in document["verificationMethod"] if m["id"] == vc_header["kid"]]
    [verdict] = run_script(
        "verify.mjs",
        {"tokens": [{"name": "vc", "jwt": vc, "jwk": method["publicKeyJwk"], "alg": vc_header["alg"]}]},
    )["tokens"]
    assert verdict["ok"] is True, verdict
    assert verdict["header"]["typ"] == "vc+jwt"
    subject = verdict["payload"]["credentialSubject"]["id"]
    assert subject.startswith("did:jwk:")
    encoded = subject.removeprefix("did:jwk:")
    assert json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))) == public(holder)
    assert result["responses"][SD_JWT_CONFIG]["skills_vc_paper_qr"].startswith("VSC1:")


@pytest.mark.interop
def test_openid4vci_client_wrong_tx_code_gets_invalid_grant(live: Live) -> None:
    association = live.platform.register("wallet-txcode")
    credential = live.platform.issue(association)
    offer = live.offer(association, credential["id"])
    wrong = "000000" if offer["tx_code"] != "000000" else "111111"
    result = wallet(live, offer, holder_key("EdDSA"), "EdDSA", tx_code=wrong)
    assert result["credentials"] == {}
    [error] = result["errors"]
    assert error["step"] == "token"
    assert error["errorResponse"]["error"] == "invalid_grant", error


def sd_verify(live: Live, token: str, issuer_jwk: dict[str, Any], **extra: Any) -> dict[str, Any]:
    payload = {
        "sd_jwt": token,
        "issuer_jwk": issuer_jwk,
        "alg": jwt.get_unverified_header(token.split("~")[0])["alg"],
        "now": live.now(),
    }
    payload.update(extra)
    return run_script("sdjwt_verify.mjs", payload)


@pytest.mark.interop
@pytest.mark.parametrize(("key_type", "alg"), [(None, "EdDSA"), ("P-256", "ES256")])
def test_sd_jwt_vc_library_verifies_disclosures_status_and_key_binding(
    live: Live, key_type: str | None, alg: str
) -> None:
    association = live.platform.register(f"sdjwt-{alg.lower()}", key_type=key_type)
    holder = holder_key(alg)
    token = received(live, association, holder, alg)["wallet"]["credentials"][SD_JWT_CONFIG]
    issuer_jwk = live.issuer_jwk(association, token)

    verdict = sd_verify(
        live,
        token,
        issuer_jwk,
        kb={"holder_jwk_private": holder, "alg": alg, "aud": VERIFIER_AUD, "nonce": "kb-nonce-1"},
        fetch_status=True,  # the library GETs the live Token Status List and checks the entry is 0
        fetch_type_metadata=True,  # and GETs the vct URL, validating it as type metadata
    )
    assert verdict["ok"] is True, verdict
    for check in (
        "typ",
        "issuer_signature",
        "disclosures_resolved",
        "every_disclosure_referenced",
        "status_list_fetched_and_valid",
        "type_metadata",
        "kb_jwt",
        "kb_wrong_nonce_rejected",
    ):
        assert check in verdict["checks"], (check, verdict["checks"])
    disclosed = verdict["payload"]
    assert disclosed["iss"] == f"{live.url}/issuers/{association['slug']}"
    assert disclosed["volunteer"]["name"] == "Aïcha Benali"
    assert disclosed["activity"]["title"] == "Couture de masques pour les hôpitaux"
    assert disclosed["activity"]["hours"] == 240
    assert disclosed["activity"]["language"] == "fr"
    assert {s["uri"] for s in disclosed["skills"]} == {
        "http://data.europa.eu/esco/skill/e5eb5b7c-bc7f-4c25-820f-f9bdef888b86",
        "http://data.europa.eu/esco/skill/60c78287-22eb-4103-9c8c-28deaa460da0",
    }
    assert "_sd" not in json.dumps(disclosed) and '"..."' not in json.dumps(disclosed)
    assert verdict["type_metadata"]["vct"] == disclosed["vct"]
    # Every selectively disclosable claim of the design is a disclosure, the others are not.
    names = {d[1] for d in verdict["disclosures"] if len(d) == 3}
    assert {"name", "title", "description", "role", "start_date", "end_date", "hours"} <= names
    assert not names & {"iss", "iat", "exp", "vct", "cnf", "status", "association"}
    assert sum(1 for d in verdict["disclosures"] if len(d) == 2) == len(disclosed["skills"]) == 2
    assert verdict["kb"]["payload"]["aud"] == VERIFIER_AUD
    assert verdict["kb"]["header"]["alg"] == alg

    # A presentation that keeps only some claims still verifies, without the others.
    partial = sd_verify(
        live,
        token,
        issuer_jwk,
        kb={"holder_jwk_private": holder, "alg": alg, "aud": VERIFIER_AUD, "nonce": "kb-nonce-2"},
        present={"volunteer": {"name": True}, "skills": {"0": True}},
    )
    assert partial["ok"] is True, partial
    assert partial["presented_payload"]["volunteer"] == {"name": "Aïcha Benali"}
    assert "title" not in partial["presented_payload"]["activity"]
    assert len(partial["presented_payload"]["skills"]) == 1

    # The verifier can say no: another key, a flipped signature.
    other = public(holder_key("EdDSA" if issuer_jwk["kty"] == "OKP" else "ES256"))
    assert sd_verify(live, token, other)["ok"] is False
    head, body, signature = token.split("~")[0].split(".")
    flipped = signature[:-3] + ("A" if signature[-3] != "A" else "B") + signature[-2:]
    tampered = ".".join([head, body, flipped]) + token[len(token.split("~")[0]) :]
    assert sd_verify(live, tampered, issuer_jwk)["ok"] is False


@pytest.mark.interop
@pytest.mark.parametrize("key_type", [None, "P-256"])
def test_python_sd_jwt_reference_implementation_verifies(live: Live, key_type: str | None) -> None:
    from jwcrypto.jwk import JWK
    from jwcrypto.jws import InvalidJWSSignature
    from sd_jwt.holder import SDJWTHolder
    from sd_jwt.verifier import SDJWTVerifier

    association = live.platform.register(f"sdjwt-python-{key_type or 'ed25519'}".lower(), key_type=key_type)
    # sd-jwt-python verifies KB-JWTs with ES256 only (its DEFAULT_SIGNING_ALG): a P-256 holder.
    holder = holder_key("ES256")
    token = received(live, association, holder, "ES256")["wallet"]["credentials"][SD_JWT_CONFIG]
    issuer_jwk = live.issuer_jwk(association, token)
    iss = f"{live.url}/issuers/{association['slug']}"

    def issuer_key(issuer: str, header: dict[str, Any]) -> JWK:
        assert issuer == iss
        assert header["typ"] == "dc+sd-jwt"
        return JWK(**issuer_jwk)

    # Without key binding: everything the issuer disclosed.
    verified = SDJWTVerifier(token, issuer_key).get_verified_payload()
    assert verified["volunteer"]["name"] == "Aïcha Benali"
    assert verified["activity"]["hours"] == 240
    assert len(verified["skills"]) == 2
    assert verified["cnf"]["jwk"] == public(holder)
    assert verified["status"]["status_list"]["uri"].startswith(f"{live.url}/token-status-lists/")

    # The holder presents some claims with a KB-JWT; the verifier checks aud, nonce and sd_hash.
    presenter = SDJWTHolder(token)
    presenter.create_presentation(
        {"volunteer": {"name": True}, "activity": {"title": True, "hours": True}, "skills": [True]},
        nonce="py-nonce",
        aud=VERIFIER_AUD,
        holder_key=JWK(**holder),
        sign_alg="ES256",
    )
    presentation = presenter.sd_jwt_presentation
    shown = SDJWTVerifier(presentation, issuer_key, VERIFIER_AUD, "py-nonce").get_verified_payload()
    assert shown["volunteer"] == {"name": "Aïcha Benali"}
    assert shown["activity"]["title"] == "Couture de masques pour les hôpitaux"
    assert "description" not in shown["activity"]
    assert len(shown["skills"]) == 1
    with pytest.raises(ValueError, match="nonce"):
        SDJWTVerifier(presentation, issuer_key, VERIFIER_AUD, "another-nonce")
    other = JWK(**public(holder_key("EdDSA" if issuer_jwk["kty"] == "OKP" else "ES256")))
    with pytest.raises(InvalidJWSSignature):
        SDJWTVerifier(token, lambda _iss, _header: other)


@pytest.mark.interop
def test_token_status_list_decoded_after_revocation_and_suspension(live: Live) -> None:
    association = live.platform.register("status-asbl")
    alg = "EdDSA"
    kept = received(live, association, holder_key(alg), alg)
    revoked = received(live, association, holder_key(alg), alg)
    suspended = received(live, association, holder_key(alg), alg)
    tokens = {
        name: item["wallet"]["credentials"][SD_JWT_CONFIG]
        for name, item in (("kept", kept), ("revoked", revoked), ("suspended", suspended))
    }
    entries = {name: sd_jwt_payload(token)["status"]["status_list"] for name, token in tokens.items()}
    assert len({e["idx"] for e in entries.values()}) == 3

    for item, action in ((revoked, "revoke"), (suspended, "suspend")):
        response = live.client.post(
            f"/credentials/{item['credential']['id']}/{action}",
            json={"reason": f"interop test: {action}"},
            headers=association["headers"],
        )
        assert response.status_code == 200, response.text

    issuer_jwk = live.issuer_jwk(association, tokens["kept"])
    decoded = {}
    for name, entry in entries.items():
        # Fetched over HTTP from the live server, as a relying party would.
        request = urllib.request.Request(entry["uri"], headers={"Accept": "application/statuslist+jwt"})
        with urllib.request.urlopen(request, timeout=10) as response:  # the live server, http://127.0.0.1
            assert response.status == 200
            assert response.headers["content-type"].startswith("application/statuslist+jwt")
            list_jwt = response.read().decode()
        decoded[name] = run_script("status_list.mjs", {"jwt": list_jwt, "issuer_jwk": issuer_jwk, "alg": alg})
    for name, result in decoded.items():
        assert "error" not in result, result
        assert result["signature"] == "ok", result
        assert result["header"]["typ"] == "statuslist+jwt"
        assert result["payload"]["sub"] == entries[name]["uri"]
        assert result["bits"] >= 2  # room for SUSPENDED (2)
        assert result["length"] > max(e["idx"] for e in entries.values())
        if entries[name]["uri"] == entries["kept"]["uri"]:
            assert str(entries["kept"]["idx"]) not in result["set"]
    assert decoded["revoked"]["set"][str(entries["revoked"]["idx"])] == 1
    assert decoded["suspended"]["set"][str(entries["suspended"]["idx"])] == 2

    # And the SD-JWT VC library, fetching the live list itself, rejects those two, not the kept one.
    assert sd_verify(live, tokens["kept"], issuer_jwk, fetch_status=True)["ok"] is True
    for name in ("revoked", "suspended"):
        verdict = sd_verify(live, tokens[name], issuer_jwk, fetch_status=True)
        assert verdict["ok"] is False
        assert "Status is not valid" in verdict["error"], verdict
