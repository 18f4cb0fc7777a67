"""The holder's key: created once, kept encrypted at rest, used to sign key proofs.

The private key is stored as PKCS#8 DER sealed with AES-256-GCM. The AES key is derived (HKDF)
from the wallet secret rather than being the secret itself, so the secret could later protect
other things under other labels. The key id is bound as associated data, so a sealed key copied
onto another row does not open. A wrong secret surfaces as :class:`WalletKeyError` with a
message a person can act on, never as a bare ``InvalidTag``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wallet_demo.errors import WalletError
from wallet_demo.jose import PrivateKey, b64url, jwk_thumbprint, sign_jws

__all__ = ["HolderKey", "KeyType", "WalletKeyError", "generate", "proof_jwt", "seal", "unseal"]

KeyType = Literal["P-256", "Ed25519"]
_HKDF_INFO = b"wallet_demo holder key encryption v1"
_NONCE_BYTES = 12


class WalletKeyError(WalletError):
    """The holder key cannot be opened (usually: the wallet secret changed)."""

    def __init__(self, detail: str) -> None:
        super().__init__("wallet_key", detail, status=500)


@dataclass(frozen=True)
class HolderKey:
    """The holder's key pair; ``kid`` is the RFC 7638 thumbprint of its public JWK."""

    kid: str
    key_type: KeyType
    private_key: PrivateKey

    @property
    def algorithm(self) -> str:
        return "ES256" if self.key_type == "P-256" else "EdDSA"

    @property
    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.private_key)


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """The public half as a JWK, with only the members RFC 7638 hashes."""
    public = key.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}


def generate(key_type: KeyType) -> HolderKey:
    """A fresh key pair of ``key_type``."""
    private: PrivateKey = (
        ec.generate_private_key(ec.SECP256R1()) if key_type == "P-256" else Ed25519PrivateKey.generate()
    )
    return HolderKey(kid=jwk_thumbprint(public_jwk(private)), key_type=key_type, private_key=private)


def _aead(secret: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret)
    return AESGCM(key)


def seal(holder: HolderKey, secret: bytes) -> bytes:
    """``nonce || AES-256-GCM(PKCS#8 DER)`` with the key id as associated data."""
    der = holder.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + _aead(secret).encrypt(nonce, der, holder.kid.encode())


def unseal(blob: bytes, secret: bytes, kid: str, key_type: KeyType) -> HolderKey:
    """Open a sealed key; raise :class:`WalletKeyError` when the secret is not the one it was sealed with."""
    try:
        der = _aead(secret).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], kid.encode())
    except InvalidTag:
        raise WalletKeyError(
            "the holder key cannot be decrypted with this wallet secret: WALLET_DEMO_SECRET or "
            "the var dir's wallet.secret is not the one the key was created with"
        ) from None
    private = serialization.load_der_private_key(der, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey | Ed25519PrivateKey):
        raise WalletKeyError("the stored holder key is of an unsupported type")
    holder = HolderKey(kid=kid, key_type=key_type, private_key=private)
    if jwk_thumbprint(holder.public_jwk) != kid:
        raise WalletKeyError("the stored holder key does not match its key id")
    return holder


def proof_jwt(holder: HolderKey, *, audience: str, nonce: str | None, now: int) -> str:
    """An OpenID4VCI key proof: ``openid4vci-proof+jwt`` carrying the public JWK, for ``audience``."""
    header = {"typ": "openid4vci-proof+jwt", "alg": holder.algorithm, "jwk": holder.public_jwk}
    claims: dict[str, Any] = {"aud": audience, "iat": now}
    if nonce is not None:
        claims["nonce"] = nonce
    return sign_jws(header, claims, holder.private_key)
