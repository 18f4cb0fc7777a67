"""Compact JWS as the wallet needs it: sign proofs, read tokens, check issuers' signatures.

pyjwt's algorithm objects do the cryptography (ES256 signatures in JOSE ``r||s`` form, not DER).
The algorithm used to check a signature is always the one the issuer's key implies; the token's
own ``alg`` must agree with it, so ``alg: none`` or HMAC tricks fail before any check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

__all__ = [
    "JoseError",
    "Jws",
    "b64url",
    "b64url_decode",
    "json_b64",
    "jwk_algorithm",
    "jwk_thumbprint",
    "read_jws",
    "sign_jws",
    "verify_jws",
]

PrivateKey = EllipticCurvePrivateKey | Ed25519PrivateKey
PublicKey = EllipticCurvePublicKey | Ed25519PublicKey
_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_ALGORITHMS: dict[str, ECAlgorithm | OKPAlgorithm] = {
    "ES256": ECAlgorithm(ECAlgorithm.SHA256),
    "EdDSA": OKPAlgorithm(),
}


class JoseError(ValueError):
    """A token or key that cannot be used; the message says why in plain words (for the report)."""


@dataclass(frozen=True)
class Jws:
    """A compact JWS split into its decoded header and payload, and what its signature covers."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; raises ``JoseError`` on anything else."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise JoseError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JoseError("not base64url") from exc


def json_b64(text: str) -> Any:
    """The JSON value a base64url segment carries."""
    try:
        return json.loads(b64url_decode(text))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JoseError("a segment is not base64url JSON") from exc


def sign_jws(header: dict[str, Any], payload: dict[str, Any], key: PrivateKey) -> str:
    """``header.payload.signature`` signed with ``key`` under ``header['alg']``."""
    algorithm = _ALGORITHMS[header["alg"]]
    encoded = b64url(json.dumps(header, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    signing_input = f"{encoded}.{body}"
    signature = algorithm.sign(signing_input.encode("ascii"), key)  # type: ignore[arg-type]
    return f"{signing_input}.{b64url(signature)}"


def read_jws(token: str) -> Jws:
    """The parts of a compact JWS, unchecked: reading comes first, checking is :func:`verify_jws`."""
    parts = token.strip().split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise JoseError("not a compact JWS (three dot-separated parts)")
    header, payload = json_b64(parts[0]), json_b64(parts[1])
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JoseError("the JWS header or payload is not a JSON object")
    return Jws(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), b64url_decode(parts[2]))


def jwk_algorithm(jwk: dict[str, Any]) -> str:
    """The JOSE algorithm a public JWK signs with (only P-256 and Ed25519 are accepted)."""
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        return "ES256"
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return "EdDSA"
    raise JoseError(f"unsupported key type {jwk.get('kty')!r}/{jwk.get('crv')!r}")


def verify_jws(jws: Jws, jwk: dict[str, Any]) -> None:
    """Raise ``JoseError`` unless ``jwk`` signed ``jws`` with the algorithm its type implies."""
    alg = jwk_algorithm(jwk)
    if jws.header.get("alg") != alg:
        raise JoseError(f"the token says alg {jws.header.get('alg')!r}, the key signs with {alg}")
    algorithm = _ALGORITHMS[alg]
    try:
        key = algorithm.from_jwk({k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y")})
    except (ValueError, TypeError, KeyError) as exc:
        raise JoseError("the issuer's key cannot be read") from exc
    if not algorithm.verify(jws.signing_input, key, jws.signature):  # type: ignore[arg-type]
        raise JoseError("the signature does not match")


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of a P-256 or Ed25519 public JWK."""
    names = ("crv", "kty", "x", "y") if jwk.get("kty") == "EC" else ("crv", "kty", "x")
    if not all(isinstance(jwk.get(n), str) for n in names):
        raise JoseError("the key lacks a member its thumbprint needs")
    canonical = json.dumps({n: jwk[n] for n in names}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())
