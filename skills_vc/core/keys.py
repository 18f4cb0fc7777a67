"""Signing keys: generation, public JWKs, and encryption of private keys at rest.

Private keys leave this module only as AES-GCM ciphertext (``seal``) or as a key object held in
memory by the signer; they are never serialised in the clear.

A sealed key does not say which master key sealed it (the stored form is the nonce and the
ciphertext, nothing else). It does not need to: AES-GCM authenticates, so a wrong master key
fails the tag check, which costs a few microseconds on a key this small. ``open_sealed_any``
tries the current master key first, so outside a rotation one attempt opens every key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "KeyType",
    "PrivateKey",
    "PublicKey",
    "SealedKey",
    "algorithm_for",
    "b64url",
    "b64url_decode",
    "generate_private_key",
    "jwk_thumbprint",
    "open_sealed",
    "open_sealed_any",
    "public_jwk",
    "public_key_from_jwk",
    "seal",
]

KeyType = Literal["Ed25519", "P-256"]
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

_NONCE_BYTES = 12


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_private_key(key_type: KeyType) -> PrivateKey:
    if key_type == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def algorithm_for(key_type: KeyType) -> str:
    """The JOSE ``alg`` a key type signs with."""
    return "EdDSA" if key_type == "Ed25519" else "ES256"


def public_jwk(key: PrivateKey | PublicKey) -> dict[str, str]:
    """The public JWK (RFC 8037 OKP for Ed25519, RFC 7518 EC for P-256)."""
    public = (
        key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) else key
    )
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    numbers = public.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def public_key_from_jwk(jwk: dict[str, Any]) -> PublicKey:
    """Load a public key from a JWK; raises ``ValueError`` for anything but OKP/Ed25519 or EC/P-256."""
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(str(jwk["x"])))
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        x = int.from_bytes(b64url_decode(str(jwk["x"])), "big")
        y = int.from_bytes(b64url_decode(str(jwk["y"])), "big")
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    raise ValueError("unsupported JWK: only OKP/Ed25519 and EC/P-256 are accepted")


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    required = ("crv", "kty", "x") if jwk["kty"] == "OKP" else ("crv", "kty", "x", "y")
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class SealedKey:
    """A private key encrypted with AES-256-GCM; ``associated`` binds it to its key id."""

    nonce: bytes
    ciphertext: bytes


def seal(key: PrivateKey, master_key: bytes, associated: str) -> SealedKey:
    """Encrypt a private key (PKCS#8 DER) under the master key, bound to ``associated``."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    nonce = os.urandom(_NONCE_BYTES)
    return SealedKey(nonce, AESGCM(master_key).encrypt(nonce, der, associated.encode()))


def open_sealed(sealed: SealedKey, master_key: bytes, associated: str) -> PrivateKey:
    """Decrypt a sealed private key; raises ``cryptography.exceptions.InvalidTag`` if tampered."""
    der = AESGCM(master_key).decrypt(sealed.nonce, sealed.ciphertext, associated.encode())
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("sealed key is neither Ed25519 nor an EC key")
    return key


def open_sealed_any(
    sealed: SealedKey, master_keys: Sequence[bytes], associated: str
) -> tuple[PrivateKey, int]:
    """Decrypt a sealed private key with the first of ``master_keys`` that opens it (the current
    key first, then the previous ones); returns the key and the position of the master key that
    opened it. Raises ``InvalidTag`` when none does."""
    for position, master_key in enumerate(master_keys):
        try:
            return open_sealed(sealed, master_key, associated), position
        except InvalidTag:
            continue
    raise InvalidTag
