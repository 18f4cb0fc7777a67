"""A verifier for the wallet's tests: a did:web DID, signed OpenID4VP request objects, a response URI.

It plugs into the fake issuer's ``httpx.MockTransport`` routes, so the wallet's pages run their real
HTTP code. The request object mirrors docs/wallet.md ("Presentations: OpenID4VP 1.0 with DCQL").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.wallet_demo.builders import FakeIssuer
from wallet_demo.jose import PrivateKey, sign_jws
from wallet_demo.keys import public_jwk

HOST = "verifier.test"
DID = f"did:web:{HOST}"
CLIENT_ID = f"decentralized_identifier:{DID}"
BASE = f"https://{HOST}"
VCT = "https://issuer.test/vct/volunteer-activity"
NOW = 1_767_225_600
CLAIMS = [
    {"id": "skills", "path": ["skills"]},
    {"id": "activity", "path": ["activity", "title"]},
    {"id": "role", "path": ["activity", "role"]},
    {"id": "name", "path": ["volunteer", "name"]},
    {"id": "start", "path": ["activity", "start_date"]},
    {"id": "end", "path": ["activity", "end_date"]},
]
# Every combination of the optional name, start and end, largest first, like the service writes.
CLAIM_SETS = [
    ["skills", "activity", "role", "name", "start", "end"],
    ["skills", "activity", "role", "start", "end"],
    ["skills", "activity", "role", "name", "start"],
    ["skills", "activity", "role", "name", "end"],
    ["skills", "activity", "role", "name"],
    ["skills", "activity", "role", "start"],
    ["skills", "activity", "role", "end"],
    ["skills", "activity", "role"],
]


def dcql(
    claims: list[dict[str, Any]] | None = None,
    claim_sets: list[list[str]] | None = CLAIM_SETS,
    vct: str = VCT,
) -> dict[str, Any]:
    query: dict[str, Any] = {
        "id": "volunteer_skills",
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [vct]},
        "claims": claims if claims is not None else CLAIMS,
    }
    if claim_sets is not None:
        query["claim_sets"] = claim_sets
    return {"credentials": [query]}


def link(request_id: str = "req-1", client_id: str = CLIENT_ID, **extra: str) -> str:
    uri = f"{BASE}/verify/wallet/requests/{request_id}"
    text = f"openid4vp://?client_id={quote(client_id, safe='')}&request_uri={quote(uri, safe='')}"
    return text + "".join(f"&{k}={quote(v, safe='')}" for k, v in extra.items())


class FakeVerifier:
    """Signs request objects with a key of :data:`DID` and records what the wallet posts back."""

    def __init__(self, key_type: str = "P-256", *, now: int = NOW) -> None:
        self.key: PrivateKey = (
            ec.generate_private_key(ec.SECP256R1()) if key_type == "P-256" else Ed25519PrivateKey.generate()
        )
        self.alg = "ES256" if key_type == "P-256" else "EdDSA"
        self.kid = f"{DID}#verifier-key-1"
        self.now = now
        self.responses: list[dict[str, str]] = []
        self.answer: Callable[[dict[str, str]], httpx.Response] = lambda form: httpx.Response(200, json={})

    @property
    def document(self) -> dict[str, Any]:
        method = {
            "id": self.kid,
            "type": "JsonWebKey2020",
            "controller": DID,
            "publicKeyJwk": public_jwk(self.key),
        }
        return {"id": DID, "verificationMethod": [method], "assertionMethod": [self.kid]}

    def payload(self, request_id: str = "req-1", **overrides: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "iss": CLIENT_ID,
            "client_id": CLIENT_ID,
            "aud": "https://self-issued.me/v2",
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "response_uri": f"{BASE}/verify/wallet/responses/{request_id}",
            "nonce": f"nonce-{request_id}",
            "state": f"state-{request_id}",
            "iat": self.now,
            "exp": self.now + 600,
            "client_metadata": {
                "vp_formats_supported": {
                    "dc+sd-jwt": {
                        "sd-jwt_alg_values": ["EdDSA", "ES256"],
                        "kb-jwt_alg_values": ["EdDSA", "ES256"],
                    }
                }
            },
            "dcql_query": dcql(),
        }
        payload.update(overrides)
        return {k: v for k, v in payload.items() if v is not None}

    def sign(self, payload: dict[str, Any], *, key: PrivateKey | None = None, **header: Any) -> str:
        values = {"typ": "oauth-authz-req+jwt", "alg": self.alg, "kid": self.kid, **header}
        return sign_jws({k: v for k, v in values.items() if v is not None}, payload, key or self.key)

    def install(self, issuer: FakeIssuer) -> None:
        """Serve the DID document and the response URIs on the fake issuer's transport."""
        issuer.routes[("GET", f"{BASE}/.well-known/did.json")] = lambda r: httpx.Response(
            200, json=self.document
        )
        self.issuer = issuer

    def publish(self, request_id: str = "req-1", token: str | None = None, **overrides: Any) -> str:
        """Serve a request object at its request URI and accept answers at its response URI; the link."""
        text = token if token is not None else self.sign(self.payload(request_id, **overrides))
        self.issuer.routes[("GET", f"{BASE}/verify/wallet/requests/{request_id}")] = lambda r: httpx.Response(
            200, text=text, headers={"Content-Type": "application/oauth-authz-req+jwt"}
        )

        def respond(request: httpx.Request) -> httpx.Response:
            form = dict(httpx.QueryParams(request.content.decode()))
            self.responses.append(form)
            return self.answer(form)

        self.issuer.routes[("POST", f"{BASE}/verify/wallet/responses/{request_id}")] = respond
        return link(request_id)

    def last_vp_token(self) -> dict[str, Any]:
        value = json.loads(self.responses[-1]["vp_token"])
        assert isinstance(value, dict)
        return value
