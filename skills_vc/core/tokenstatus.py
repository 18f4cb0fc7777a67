"""IETF OAuth Token Status List: the status of SD-JWT VCs, 1 or 2 bits per credential.

A list is a byte array in which entry ``i`` of ``bits`` bits starts at bit ``i * bits`` counted
from the least significant bit of the first byte (the opposite order of the W3C Bitstring Status
List). ``lst`` is the base64url (no padding) of its zlib (DEFLATE) compression. Values: 0 valid,
1 invalid (revoked), 2 suspended. The list travels as a JWT with ``typ: statuslist+jwt``, ``sub``
its own URI, ``iat``, ``ttl`` and the ``status_list`` claim ``{bits, lst}``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from skills_vc.core.formats import KeyResolver, ProofError, Signer
from skills_vc.core.jws import (
    ALGORITHMS,
    JwsFormatError,
    compact_json,
    json_object,
    sign_compact,
    split_compact,
    verify_signature,
)
from skills_vc.core.keys import b64url, b64url_decode
from skills_vc.core.status import StatusListError

__all__ = [
    "INVALID",
    "SUSPENDED",
    "VALID",
    "TokenStatusList",
    "decode_lst",
    "encode_lst",
    "pack",
    "sign_list",
    "value_at",
    "verify_list",
]

VALID, INVALID, SUSPENDED = 0, 1, 2
_BITS = (1, 2, 4, 8)
_MAX_INFLATED = 16 * 1024 * 1024


def pack(size: int, bits: int, values: Mapping[int, int]) -> bytes:
    """A list of ``size`` entries of ``bits`` bits, zero except for ``values`` (index -> value)."""
    if bits not in _BITS:
        raise ValueError("a token status list has 1, 2, 4 or 8 bits per entry")
    if (size * bits) % 8:
        raise ValueError("a token status list fills whole bytes")
    data = bytearray(size * bits // 8)
    for index, value in values.items():
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside a list of {size}")
        if not 0 <= value < 1 << bits:
            raise ValueError(f"status value {value} does not fit in {bits} bits")
        position = index * bits
        data[position // 8] |= value << (position % 8)
    return bytes(data)


def value_at(data: bytes, bits: int, index: int) -> int:
    position = index * bits
    if index < 0 or position // 8 >= len(data):
        raise StatusListError("status_range_error", f"index {index} is outside the status list")
    return (data[position // 8] >> (position % 8)) & ((1 << bits) - 1)


def encode_lst(data: bytes) -> str:
    return b64url(zlib.compress(data, 9))


def decode_lst(lst: str) -> bytes:
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(b64url_decode(lst), _MAX_INFLATED)
        if inflater.unconsumed_tail:
            raise ValueError("the list is too large")
    except (ValueError, zlib.error) as exc:
        raise StatusListError("status_list_invalid", f"lst cannot be decoded: {exc}") from exc
    return data


def sign_list(
    *, uri: str, issuer: str, data: bytes, bits: int, signer: Signer, now: int, ttl: int, exp: int | None
) -> str:
    """The ``statuslist+jwt``; ``kid`` is the key's fragment, resolved against ``issuer``'s keys."""
    header = b64url(
        compact_json({"alg": signer.algorithm, "kid": signer.kid.rsplit("#", 1)[-1], "typ": "statuslist+jwt"})
    )
    payload: dict[str, Any] = {
        "iss": issuer,
        "sub": uri,
        "iat": now,
        "ttl": ttl,
        "status_list": {"bits": bits, "lst": encode_lst(data)},
    }
    if exp is not None:
        payload["exp"] = exp
    return sign_compact(header, payload, signer.key, signer.algorithm)


@dataclass(frozen=True)
class TokenStatusList:
    issuer: str
    uri: str
    bits: int
    data: bytes
    expires_at: int | None


def verify_list(token: str, resolve: KeyResolver, *, uri: str, now: int) -> TokenStatusList:
    """Check a ``statuslist+jwt``'s signature (its issuer's key), its ``sub`` and ``exp``."""
    try:
        header_bytes, payload_bytes, signature = split_compact(token.strip())
        header, payload = json_object(header_bytes), json_object(payload_bytes)
    except JwsFormatError as exc:
        raise StatusListError("status_list_invalid", f"the status list token is {exc}") from None
    alg, kid, iss = header.get("alg"), header.get("kid"), payload.get("iss")
    if header.get("typ") != "statuslist+jwt":
        raise StatusListError("status_list_invalid", "the status list token's typ is not statuslist+jwt")
    if alg not in ALGORITHMS or not isinstance(kid, str) or not isinstance(iss, str):
        raise StatusListError("status_list_invalid", "the status list token has no usable alg, kid or iss")
    try:
        key = resolve(kid if kid.startswith(iss + "#") else f"{iss}#{kid}")
    except ProofError as exc:
        raise StatusListError("status_list_invalid", exc.detail) from None
    if (
        key.controller != iss
        or key.algorithm != alg
        or not verify_signature(token.strip(), alg, key.key, signature)
    ):
        raise StatusListError("status_list_invalid", "the status list token's signature does not hold")
    if payload.get("sub") != uri:
        raise StatusListError("status_list_invalid", "the status list token's sub differs from its URI")
    exp = payload.get("exp")
    if exp is not None and (not isinstance(exp, int) or now > exp):
        raise StatusListError("status_list_invalid", "the status list token has expired")
    listed = payload.get("status_list")
    if (
        not isinstance(listed, dict)
        or listed.get("bits") not in _BITS
        or not isinstance(listed.get("lst"), str)
    ):
        raise StatusListError("status_list_invalid", "the status list token has no status_list {bits, lst}")
    return TokenStatusList(iss, uri, int(listed["bits"]), decode_lst(listed["lst"]), exp)
