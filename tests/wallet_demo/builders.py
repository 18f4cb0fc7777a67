"""Test helpers that play the issuer: keys, SD-JWTs, status lists, and a fake OpenID4VCI issuer.

The fake issuer is an ``httpx.MockTransport`` handler, so page tests run the wallet's real HTTP
code without a network; the end-to-end test uses the real skills-vc service instead.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import zlib
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from wallet_demo.jose import b64url, sign_jws
from wallet_demo.keys import public_jwk

SECRET = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
OTHER_SECRET = base64.urlsafe_b64encode(bytes(range(1, 33))).decode().rstrip("=")
ISSUER = "https://issuer.test/issuers/couturieres"
OFFER_URI = ISSUER + "/oid4vci/offers/offer-1"
# Not a real paper credential: the wallet only keeps and draws the text.
PAPER_QR = "VSC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0B3KL6QM5"
SKILLS = [
    {
        "uri": "http://data.europa.eu/esco/skill/60c78287-22eb-4103-9c8c-28deaa460da0",
        "framework": "ESCO v1.1.1",
        "type": "transversal",
        "label": {"fr": "travailler en équipe", "nl": "in teamverband werken", "en": "work in teams"},
        "competent": [],
    },
    {
        "uri": "http://data.europa.eu/esco/skill/e5eb5b7c-bc7f-4c25-820f-f9bdef888b86",
        "framework": "ESCO v1.1.1",
        "type": "skill",
        "label": {
            "fr": "coudre des vêtements de protection",
            "nl": "beschermende kleding naaien",
            "en": "sew protective garments",
        },
        "competent": [],
    },
]


def disclosure(*parts: Any) -> tuple[str, str]:
    """``(raw, digest)`` of a disclosure ``[salt, name, value]`` or ``[salt, value]``."""
    raw = b64url(json.dumps(list(parts), ensure_ascii=False).encode())
    return raw, b64url(hashlib.sha256(raw.encode("ascii")).digest())


def sd_jwt(
    key: ec.EllipticCurvePrivateKey,
    payload: dict[str, Any],
    *,
    holder_jwk: dict[str, str] | None = None,
    kid: str = "issuer-key-1",
    skills: list[dict[str, Any]] = SKILLS,
) -> str:
    """An SD-JWT VC like the service's: volunteer and activity fields and each skill disclosable."""
    disclosures: list[str] = []

    def hide(obj: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        digests = []
        for n, (name, value) in enumerate(values.items()):
            raw, digest = disclosure(f"salt-{name}-{n}", name, value)
            disclosures.append(raw)
            digests.append(digest)
        return {
            **obj,
            "_sd": [*digests, b64url(hashlib.sha256(f"decoy-{len(disclosures)}".encode()).digest())],
        }

    claims = dict(payload)
    claims["volunteer"] = hide({}, {"name": "Aïcha Benali"})
    claims["activity"] = hide(
        {"language": "fr"},
        {
            "title": "Couture de masques",
            "role": "Couturière",
            "start_date": "2020-03-23",
            "end_date": "2020-06-30",
            "hours": 240,
        },
    )
    elements = []
    for n, skill in enumerate(skills):
        raw, digest = disclosure(f"salt-skill-{n}", skill)
        disclosures.append(raw)
        elements.append({"...": digest})
    claims["skills"] = elements
    claims["_sd_alg"] = "sha-256"
    if holder_jwk is not None:
        claims["cnf"] = {"jwk": holder_jwk}
    token = sign_jws({"typ": "dc+sd-jwt", "alg": "ES256", "kid": kid}, claims, key)
    return token + "~" + "".join(d + "~" for d in disclosures)


def token_status_list(statuses: list[int], bits: int) -> dict[str, Any]:
    """A ``status_list`` claim: entries packed least significant bits first, zlib, base64url."""
    data = bytearray((len(statuses) * bits + 7) // 8)
    for idx, value in enumerate(statuses):
        position = idx * bits
        data[position // 8] |= value << (position % 8)
    return {"bits": bits, "lst": b64url(zlib.compress(bytes(data)))}


def bitstring(size: int, set_indexes: list[int]) -> str:
    """An ``encodedList``: index 0 is the most significant bit of byte 0; GZIP; 'u' + base64url."""
    data = bytearray(size // 8)
    for index in set_indexes:
        data[index // 8] |= 0x80 >> (index % 8)
    return "u" + b64url(gzip.compress(bytes(data)))


def offer(tx_code: bool = True) -> dict[str, Any]:
    grant: dict[str, Any] = {"pre-authorized_code": "pre-code-1"}
    if tx_code:
        grant["tx_code"] = {"input_mode": "numeric", "length": 6, "description": "Code sent by SMS"}
    return {
        "credential_issuer": ISSUER,
        "credential_configuration_ids": ["volunteer_activity_sd_jwt", "open_badge_jwt_vc_json"],
        "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": grant},
    }


def issuer_metadata() -> dict[str, Any]:
    return {
        "credential_issuer": ISSUER,
        "credential_endpoint": ISSUER + "/oid4vci/credential",
        "nonce_endpoint": ISSUER + "/oid4vci/nonce",
        "display": [
            {"name": "Couturières solidaires ASBL", "locale": "fr"},
            {"name": "Solidaire Naaisters VZW", "locale": "nl"},
        ],
        "credential_configurations_supported": {
            "volunteer_activity_sd_jwt": {
                "format": "dc+sd-jwt",
                "credential_metadata": {
                    "display": [
                        {"name": "Activité bénévole", "locale": "fr"},
                        {"name": "Vrijwilligersactiviteit", "locale": "nl"},
                    ]
                },
            },
            "open_badge_jwt_vc_json": {
                "format": "jwt_vc_json",
                "credential_metadata": {"display": [{"name": "Open Badge", "locale": "fr"}]},
            },
        },
    }


Handler = Callable[[httpx.Request], httpx.Response]


class FakeIssuer:
    """Answers the offer and metadata requests; the token endpoint answers what a test sets."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.routes: dict[tuple[str, str], Handler] = {
            ("GET", OFFER_URI): lambda r: httpx.Response(200, json=offer()),
            (
                "GET",
                "https://issuer.test/.well-known/openid-credential-issuer/issuers/couturieres",
            ): lambda r: httpx.Response(200, json=issuer_metadata()),
            (
                "GET",
                "https://issuer.test/.well-known/oauth-authorization-server/issuers/couturieres",
            ): lambda r: httpx.Response(
                200, json={"issuer": ISSUER, "token_endpoint": ISSUER + "/oid4vci/token"}
            ),
            ("GET", "https://issuer.test/.well-known/jwt-vc-issuer/issuers/couturieres"): lambda r: (
                httpx.Response(
                    200,
                    json={
                        "issuer": ISSUER,
                        "jwks": {"keys": [{**public_jwk(self.key), "kid": "issuer-key-1"}]},
                    },
                )
            ),
        }
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url).split("?")[0]
        handler = self.routes.get((request.method, url))
        if handler is None:
            return httpx.Response(404, json={"error": "not_found"})
        return handler(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    # A complete issuer, for the offline flow and status tests.

    STATUS_URI = "https://issuer.test/token-status-lists/couturieres/0"

    def serve_status(self, statuses: list[int], bits: int = 2) -> None:
        """Publish a signed Token Status List at :attr:`STATUS_URI`."""
        payload = {
            "sub": self.STATUS_URI,
            "iat": 1767225600,
            "status_list": token_status_list(statuses, bits),
        }
        token = sign_jws({"typ": "statuslist+jwt", "alg": "ES256", "kid": "issuer-key-1"}, payload, self.key)
        self.routes[("GET", self.STATUS_URI)] = lambda r: httpx.Response(
            200, text=token, headers={"Content-Type": "application/statuslist+jwt"}
        )

    def credential_payload(self, idx: int = 3) -> dict[str, Any]:
        return {
            "iss": ISSUER,
            "iat": 1767225600,
            "vct": "https://issuer.test/vct/volunteer-activity",
            "jti": "urn:uuid:4a7d2a9e-0000-4000-8000-000000000001",
            "association": {"name": "Couturières solidaires ASBL", "enterprise_number": "0400.000.185"},
            "status": {"status_list": {"idx": idx, "uri": self.STATUS_URI}},
        }

    def serve_flow(self, tx_code: str = "123456") -> None:
        """Token, nonce and credential endpoints issuing an SD-JWT bound to the proof's key."""
        self.routes[("GET", OFFER_URI)] = lambda r: httpx.Response(
            200, json={**offer(), "credential_configuration_ids": ["volunteer_activity_sd_jwt"]}
        )

        def token(request: httpx.Request) -> httpx.Response:
            form = dict(httpx.QueryParams(request.content.decode()))
            if form.get("tx_code") != tx_code:
                return httpx.Response(
                    400,
                    json={
                        "error": "invalid_grant",
                        "reason": "tx_code_wrong",
                        "error_description": "the transaction code is wrong",
                    },
                )
            return httpx.Response(
                200, json={"access_token": "at-1", "token_type": "Bearer", "expires_in": 300}
            )

        def credential(request: httpx.Request) -> httpx.Response:
            assert request.headers["authorization"] == "Bearer at-1"
            body = json.loads(request.content)
            proof = body["proofs"]["jwt"][0]
            header = json.loads(base64.urlsafe_b64decode(proof.split(".")[0] + "=="))
            claims = json.loads(base64.urlsafe_b64decode(proof.split(".")[1] + "=="))
            assert header["typ"] == "openid4vci-proof+jwt" and claims["nonce"] == "nonce-1"
            assert claims["aud"] == ISSUER
            issued = sd_jwt(self.key, self.credential_payload(), holder_jwk=header["jwk"])
            return httpx.Response(
                200,
                json={
                    "credentials": [{"credential": issued}],
                    "skills_vc_paper_qr": PAPER_QR,
                },
            )

        self.routes[("POST", ISSUER + "/oid4vci/token")] = token
        self.routes[("POST", ISSUER + "/oid4vci/nonce")] = lambda r: httpx.Response(
            200, json={"c_nonce": "nonce-1"}
        )
        self.routes[("POST", ISSUER + "/oid4vci/credential")] = credential
