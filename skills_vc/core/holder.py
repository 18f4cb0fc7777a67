"""The holder's key: ``did:jwk`` and ``did:key`` identifiers, and OpenID4VCI proofs of possession.

A wallet proves it holds a key by signing a proof JWT (``typ: openid4vci-proof+jwt``) over the
issuer (``aud``), a time (``iat``) and a fresh ``nonce`` from the issuer. The key travels in the
header as a public ``jwk`` or as a ``kid`` naming a ``did:jwk`` or ``did:key``. Whether the nonce
is fresh and unused is the issuer's store's business; this module returns it for that check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import base58
import orjson
from cryptography.hazmat.primitives.asymmetric import ec

from skills_vc.core.jws import ALGORITHMS, JwsFormatError, json_object, split_compact, verify_signature
from skills_vc.core.keys import b64url, b64url_decode, public_jwk, public_key_from_jwk

__all__ = ["HolderKey", "ProofRejected", "did_jwk", "jwk_from_did", "verify_proof"]

PROOF_TYP = "openid4vci-proof+jwt"
_ED25519_CODEC = b"\xed\x01"
_P256_CODEC = b"\x80\x24"


class ProofRejected(ValueError):
    """A proof of possession that does not hold; ``error`` is the OpenID4VCI error code
    (``invalid_proof`` or ``invalid_nonce``) and ``reason`` the precise cause."""

    def __init__(self, error: str, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class HolderKey:
    """The holder's public key, its DID (``did:jwk`` unless the proof named a ``did:key``) and the
    nonce the proof was made for."""

    jwk: dict[str, str]
    did: str
    nonce: str


def did_jwk(jwk: dict[str, str]) -> str:
    """``did:jwk:<base64url of the public JWK>``."""
    return "did:jwk:" + b64url(orjson.dumps(public_jwk(public_key_from_jwk(jwk))))


def _did_key_jwk(identifier: str) -> dict[str, str]:
    if not identifier.startswith("z"):
        raise ValueError("a did:key is multibase base58btc ('z...')")
    raw = base58.b58decode(identifier[1:])
    if raw[:2] == _ED25519_CODEC and len(raw) == 34:
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw[2:])}
    if raw[:2] == _P256_CODEC and len(raw) == 35:
        point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        return public_jwk(point)
    raise ValueError("only Ed25519 and P-256 did:key are accepted")


def jwk_from_did(did_url: str) -> tuple[dict[str, str], str]:
    """The public JWK a ``did:jwk`` or ``did:key`` (URL) names, and the DID without its fragment."""
    did = did_url.split("#", 1)[0]
    if did.startswith("did:jwk:"):
        jwk = json_object(b64url_decode(did[len("did:jwk:") :]))
        return public_jwk(public_key_from_jwk(jwk)), did
    if did.startswith("did:key:"):
        return _did_key_jwk(did[len("did:key:") :]), did
    raise ValueError(f"{did} is neither a did:jwk nor a did:key")


def _holder_key(header: dict[str, Any]) -> tuple[dict[str, str], str]:
    jwk, kid = header.get("jwk"), header.get("kid")
    if (jwk is None) == (kid is None):
        raise ProofRejected(
            "invalid_proof", "proof_key_missing", "the proof names its key by exactly one of jwk or kid"
        )
    try:
        if jwk is not None:
            if not isinstance(jwk, dict) or "d" in jwk:
                raise ValueError("the jwk must be a public key")
            public = public_jwk(public_key_from_jwk(jwk))
            return public, did_jwk(public)
        if not isinstance(kid, str):
            raise ValueError("kid is not a string")
        return jwk_from_did(kid)
    except (ValueError, TypeError, KeyError) as exc:
        raise ProofRejected(
            "invalid_proof", "proof_key_unusable", f"the proof's key cannot be used: {exc}"
        ) from None


def verify_proof(token: str, *, audience: str, now: int, max_age: int = 300, skew: int = 60) -> HolderKey:
    """Check a proof JWT's form, signature, ``aud`` and ``iat``; return the key and the nonce."""
    try:
        header_bytes, payload_bytes, signature = split_compact(token)
        header, claims = json_object(header_bytes), json_object(payload_bytes)
    except JwsFormatError as exc:
        raise ProofRejected(
            "invalid_proof", "proof_malformed", f"the proof is not a compact JWT: {exc}"
        ) from None
    if header.get("typ") != PROOF_TYP:
        raise ProofRejected("invalid_proof", "proof_typ_wrong", f"the proof's typ is not {PROOF_TYP}")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise ProofRejected(
            "invalid_proof", "alg_not_allowed", f"proof algorithm {alg!r} is not accepted (EdDSA, ES256)"
        )
    jwk, did = _holder_key(header)
    expected = "EdDSA" if jwk["kty"] == "OKP" else "ES256"
    if alg != expected:
        raise ProofRejected(
            "invalid_proof", "alg_not_allowed", f"a {jwk['crv']} key signs with {expected}, not {alg}"
        )
    if not verify_signature(token, alg, public_key_from_jwk(jwk), signature):
        raise ProofRejected(
            "invalid_proof", "signature_invalid", "the proof is not signed by the key it names"
        )
    aud = claims.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise ProofRejected(
            "invalid_proof", "aud_wrong", f"the proof's aud is not this credential issuer ({audience})"
        )
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool) or not now - max_age <= iat <= now + skew:
        raise ProofRejected(
            "invalid_proof", "iat_invalid", "the proof's iat is missing, too old or in the future"
        )
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise ProofRejected(
            "invalid_nonce", "nonce_missing", "the proof carries no nonce from the nonce endpoint"
        )
    return HolderKey(jwk=jwk, did=did, nonce=nonce)
