"""A minimal OpenID4VCI wallet for the API tests: it plays the holder over the test client.

The independent wallet (npm @openid4vc/openid4vci) is in tests/interop; this one exists so the
negative tests can send exactly the wrong thing each time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from skills_vc.core.keys import PrivateKey, public_jwk
from skills_vc.core.sdjwt import join, sd_hash, split
from tests.conftest import PUBLIC_URL, Platform

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
SD_JWT = "volunteer_activity_sd_jwt"
OB3 = "open_badge_jwt_vc_json"


def path_of(url: str) -> str:
    return url.removeprefix(PUBLIC_URL)


@dataclass
class Holder:
    key: PrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    @property
    def alg(self) -> str:
        return "EdDSA" if isinstance(self.key, ed25519.Ed25519PrivateKey) else "ES256"

    @property
    def jwk(self) -> dict[str, str]:
        return public_jwk(self.key)

    def proof(self, *, aud: str, nonce: str | None, iat: int, **header: Any) -> str:
        claims: dict[str, Any] = {"aud": aud, "iat": iat}
        if nonce is not None:
            claims["nonce"] = nonce
        headers = {"typ": "openid4vci-proof+jwt", "jwk": self.jwk, **header}
        headers = {k: v for k, v in headers.items() if v is not None}
        return jwt.encode(claims, self.key, algorithm=self.alg, headers=headers)

    def kb_jwt(self, sd_jwt: str, *, aud: str, nonce: str, iat: int, key: PrivateKey | None = None) -> str:
        """Close a presentation with a KB-JWT (signed by ``key``, the holder's by default)."""
        presentation = sd_jwt if sd_jwt.endswith("~") else sd_jwt + "~"
        signer = key or self.key
        alg = "EdDSA" if isinstance(signer, ed25519.Ed25519PrivateKey) else "ES256"
        claims = {"iat": iat, "aud": aud, "nonce": nonce, "sd_hash": sd_hash(presentation)}
        return presentation + jwt.encode(claims, signer, algorithm=alg, headers={"typ": "kb+jwt"})


@dataclass
class Offer:
    body: dict[str, Any]
    document: dict[str, Any]

    @property
    def issuer(self) -> str:
        return str(self.document["credential_issuer"])

    @property
    def code(self) -> str:
        return str(self.document["grants"][PRE_AUTH]["pre-authorized_code"])

    @property
    def tx_code(self) -> str:
        return str(self.body["tx_code"])


def make_offer(platform: Platform, association: dict[str, Any], **body: Any) -> Offer:
    credential = platform.issue(association)
    response = platform.client.post(
        f"/credentials/{credential['id']}/offers", json=body or None, headers=association["headers"]
    )
    assert response.status_code == 201, response.text
    offer = response.json()
    uri = unquote(offer["offer_link"].split("credential_offer_uri=", 1)[1])
    assert uri == offer["credential_offer_uri"]
    document = platform.client.get(path_of(uri))
    assert document.status_code == 200, document.text
    return Offer(offer, document.json())


def token(platform: Platform, offer: Offer, tx_code: str | None = None, code: str | None = None) -> Any:
    return platform.client.post(
        path_of(offer.issuer) + "/oid4vci/token",
        data={
            "grant_type": PRE_AUTH,
            "pre-authorized_code": code or offer.code,
            "tx_code": tx_code or offer.tx_code,
        },
    )


def nonce(platform: Platform, offer: Offer) -> str:
    response = platform.client.post(path_of(offer.issuer) + "/oid4vci/nonce")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return str(response.json()["c_nonce"])


def request_credential(
    platform: Platform, offer: Offer, access_token: str, configuration: str, proof: str
) -> Any:
    return platform.client.post(
        path_of(offer.issuer) + "/oid4vci/credential",
        json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {access_token}"},
    )


def receive(platform: Platform, offer: Offer, holder: Holder, configuration: str, access_token: str) -> str:
    proof = holder.proof(
        aud=offer.issuer, nonce=nonce(platform, offer), iat=int(platform.clock().timestamp())
    )
    response = request_credential(platform, offer, access_token, configuration, proof)
    assert response.status_code == 200, response.text
    return str(response.json()["credentials"][0]["credential"])


def disclosures_of(sd_jwt: str) -> list[str]:
    return split(sd_jwt)[1]


def rebuild(sd_jwt: str, disclosures: list[str]) -> str:
    return join(split(sd_jwt)[0], disclosures)


def select(sd_jwt: str, names: set[str]) -> str:
    """The SD-JWT with the skills (array elements) and the named property disclosures only."""
    import json

    from skills_vc.core.keys import b64url_decode

    kept = []
    for disclosure in disclosures_of(sd_jwt):
        decoded = json.loads(b64url_decode(disclosure))
        if (len(decoded) == 2 and isinstance(decoded[1], dict) and "uri" in decoded[1]) or (
            len(decoded) == 3 and decoded[1] in names
        ):
            kept.append(disclosure)
    return rebuild(sd_jwt, kept)
