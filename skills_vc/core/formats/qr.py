"""``vsc1``: the paper credential. CWT claims in a COSE_Sign1, zlib, Base45, prefix ``VSC1:``.

Modelled on the EU Digital COVID Certificate. The COSE protected header holds ``alg`` (EdDSA -8 or
ES256 -7) and ``kid``: the first 8 bytes of the key's RFC 7638 thumbprint, which a signed trust list
maps to the association's DID URL and key. The key resolver is asked for the short kid as 16 hex
digits. The COSE structure is framed here with cbor2 and signed with cryptography directly.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from skills_vc.core.base45 import Base45Error, b45decode, b45encode
from skills_vc.core.formats import KeyResolver, ProofError, ResolvedKey, SecuredCredential, Signer
from skills_vc.core.keys import PrivateKey, PublicKey, b64url_decode, jwk_thumbprint, public_jwk
from skills_vc.core.paper import (
    PaperClaims,
    claims_from_credential,
    claims_to_cwt,
    credential_from_claims,
    cwt_to_claims,
    short_issuer_id,
)

__all__ = ["PREFIX", "PaperKey", "VscQr", "decode_unverified", "encode", "short_kid"]

PREFIX = "VSC1:"
_COSE_SIGN1_TAG = 18
_ALG, _KID = 1, 4
_COSE_ALGS = {"EdDSA": -8, "ES256": -7}
_MAX_INFLATED = 8192
_MAX_TEXT = 4096


@dataclass(frozen=True)
class PaperKey(ResolvedKey):
    """A key resolved from a trust list: with the association's slug and status list address."""

    slug: str
    status_list_base: str | None


def short_kid(key: PrivateKey | PublicKey) -> bytes:
    """The first 8 bytes of the key's JWK thumbprint (SHA-256), as the COSE ``kid``."""
    return b64url_decode(jwk_thumbprint(public_jwk(key)))[:8]


def _sign(key: PrivateKey, algorithm: str, data: bytes) -> bytes:
    if algorithm == "EdDSA" and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if algorithm == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise ValueError(f"the key cannot sign {algorithm}")


def _check(key: PublicKey, algorithm: str, signature: bytes, data: bytes) -> None:
    try:
        if algorithm == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
            return
        if algorithm == "ES256" and isinstance(key, ec.EllipticCurvePublicKey) and len(signature) == 64:
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
            return
    except InvalidSignature:
        pass
    raise ProofError("signature_invalid", "the signature does not match the content")


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)


def encode(claims: PaperClaims, signer: Signer) -> str:
    """The QR text of ``claims`` signed by ``signer`` (deterministic for EdDSA)."""
    protected = cbor2.dumps({_ALG: _COSE_ALGS[signer.algorithm], _KID: short_kid(signer.key)}, canonical=True)
    payload = cbor2.dumps(claims_to_cwt(claims), canonical=True)
    signature = _sign(signer.key, signer.algorithm, _sig_structure(protected, payload))
    cose = cbor2.dumps(cbor2.CBORTag(_COSE_SIGN1_TAG, [protected, {}, payload, signature]), canonical=True)
    compressed = zlib.compress(cose, 9)
    # Signatures, UUIDs and digests do not compress; deflate then adds 11 bytes. As DCC verifiers
    # do, the decoder accepts both forms (a zlib stream starts with 0x78, a COSE_Sign1 with 0xD2).
    return PREFIX + b45encode(compressed if len(compressed) < len(cose) else cose)


def _cbor(data: bytes) -> Any:
    """One CBOR item that uses every byte: trailing bytes would let two texts carry one credential."""
    stream = io.BytesIO(data)
    item = cbor2.CBORDecoder(stream).decode()
    if stream.tell() != len(data):
        raise ValueError("trailing bytes after the CBOR item")
    return item


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, _MAX_INFLATED)
    except zlib.error:
        raise ProofError("malformed_credential", "the QR content is not zlib data") from None
    if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
        raise ProofError(
            "malformed_credential", "the QR content is truncated, too large or has trailing data"
        )
    return out


def _unframe(text: str) -> tuple[bytes, bytes, bytes, bytes, Mapping[Any, Any]]:
    """(protected, payload, signature, sig_structure, protected header) of a ``VSC1:`` text."""
    if len(text) > _MAX_TEXT or not text.startswith(PREFIX):
        raise ProofError("malformed_credential", "not a VSC1 paper credential")
    try:
        data = b45decode(text[len(PREFIX) :])
        cose = _cbor(_inflate(data) if data[:1] == b"\x78" else data)
    except Base45Error as exc:
        raise ProofError("malformed_credential", f"the QR text is not Base45: {exc}") from None
    except (cbor2.CBORDecodeError, ValueError):
        raise ProofError("malformed_credential", "the QR content is not CBOR") from None
    if not (isinstance(cose, cbor2.CBORTag) and cose.tag == _COSE_SIGN1_TAG):
        raise ProofError("malformed_credential", "the QR content is not a COSE_Sign1")
    parts = cose.value
    if (
        not isinstance(parts, list | tuple)
        or len(parts) != 4
        or not all(isinstance(parts[i], bytes) for i in (0, 2, 3))
        or not isinstance(parts[1], Mapping)
        or len(parts[1]) != 0
    ):
        raise ProofError("malformed_credential", "the COSE_Sign1 structure is malformed")
    protected, payload, signature = parts[0], parts[2], parts[3]
    try:
        header = _cbor(protected)
    except (cbor2.CBORDecodeError, ValueError):
        raise ProofError("malformed_credential", "the COSE protected header is not CBOR") from None
    if not isinstance(header, Mapping) or set(header) != {_ALG, _KID}:
        raise ProofError("malformed_credential", "the COSE protected header needs exactly alg and kid")
    return protected, payload, signature, _sig_structure(protected, payload), header


def decode_unverified(text: str) -> PaperClaims:
    """The claims of a QR text without checking anything but their structure (for tools and tests)."""
    _, payload, _, _, _ = _unframe(text.strip())
    try:
        return cwt_to_claims(_cbor(payload))
    except (cbor2.CBORDecodeError, ValueError) as exc:
        raise ProofError("malformed_credential", f"the CWT claims are malformed: {exc}") from None


class VscQr:
    name = "vsc1"
    media_type = "application/vnd.skills-vc.vsc1"

    def detects(self, presented: Any) -> bool:
        return isinstance(presented, str) and presented.strip().startswith(PREFIX)

    def secure(self, credential: dict[str, Any], signer: Signer, *, now: int) -> str:
        """Sign the paper claims of ``credential``; the short issuer id stands for the signer's DID."""
        did = signer.kid.partition("#")[0]
        claims = claims_from_credential(credential, issuer=short_issuer_id(did), issued_at=now)
        return encode(claims, signer)

    def secure_many(self, credentials: Sequence[dict[str, Any]], signer: Signer, *, now: int) -> list[str]:
        return [self.secure(credential, signer, now=now) for credential in credentials]

    def read(self, secured: str) -> dict[str, Any]:
        claims = decode_unverified(secured)
        return credential_from_claims(claims, f"urn:skills-vc:issuer:{claims.issuer}", None)

    def verify(self, presented: Any, resolve: KeyResolver, *, now: int | None = None) -> SecuredCredential:
        text = str(presented).strip()
        _, payload, signature, signed, header = _unframe(text)
        alg = next((name for name, value in _COSE_ALGS.items() if value == header[_ALG]), None)
        if alg is None:
            raise ProofError(
                "unsupported_algorithm", f"COSE algorithm {header[_ALG]!r} (accepted: EdDSA, ES256)"
            )
        kid = header[_KID]
        if not isinstance(kid, bytes) or len(kid) != 8:
            raise ProofError("unknown_key", "the COSE kid is not an 8-byte key id")
        key = resolve(kid.hex())
        if key.algorithm != alg:
            raise ProofError(
                "unsupported_algorithm", f"key {key.kid} signs with {key.algorithm}, the QR says {alg}"
            )
        _check(key.key, alg, signature, signed)
        try:
            claims = cwt_to_claims(_cbor(payload))
        except (cbor2.CBORDecodeError, ValueError) as exc:
            raise ProofError("malformed_credential", f"the CWT claims are malformed: {exc}") from None
        if claims.issuer != short_issuer_id(key.controller) or not key.kid.startswith(key.controller + "#"):
            raise ProofError(
                "key_not_issuer", f"key {key.kid} belongs to {key.controller}, not to {claims.issuer}"
            )
        base = key.status_list_base if isinstance(key, PaperKey) else None
        return SecuredCredential(
            format=self.name,
            credential=credential_from_claims(claims, key.controller, base),
            kid=key.kid,
            issued_at=claims.issued_at,
            secured=text,
            expires_at=claims.expires_at,
        )
