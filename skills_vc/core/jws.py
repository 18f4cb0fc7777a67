"""Compact JWS framing shared by ``vc+jwt`` credentials and the operator's trust list.

pyjwt's algorithm objects do the signing and checking (with ES256's JOSE r||s encoding); this
module only frames and unframes, strictly: every segment must be canonical base64url, so two
different texts never carry the same signed bytes.
"""

from __future__ import annotations

import binascii
from typing import Any

import orjson
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from skills_vc.core.keys import PrivateKey, PublicKey, b64url

__all__ = [
    "ALGORITHMS",
    "JwsFormatError",
    "compact_json",
    "json_object",
    "sign_compact",
    "split_compact",
    "verify_signature",
]

# Which algorithm applies is always fixed by the key, never taken from a token alone.
ALGORITHMS: dict[str, OKPAlgorithm | ECAlgorithm] = {
    "EdDSA": OKPAlgorithm(),
    "ES256": ECAlgorithm(ECAlgorithm.SHA256),
}


class JwsFormatError(ValueError):
    """The text is not a well-formed compact JWS (the caller maps it to its own error code)."""


def compact_json(value: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON (what ``json.dumps(separators=(",", ":"), ensure_ascii=False)`` gives)."""
    return orjson.dumps(value)


def sign_compact(encoded_header: str, payload: dict[str, Any], key: PrivateKey, algorithm: str) -> str:
    """``header.payload.signature``; the header comes encoded so a batch encodes it once."""
    signing_input = f"{encoded_header}.{b64url(compact_json(payload))}"
    signature = ALGORITHMS[algorithm].sign(signing_input.encode("ascii"), key)  # type: ignore[arg-type]
    return f"{signing_input}.{b64url(signature)}"


# Unpadded base64url is canonical when the bits of its last character beyond the data are zero:
# 4 of them after 2 characters of a group (A, Q, g, w), 2 after 3 characters.
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_LAST_OF_TWO = frozenset("AQgw")
_LAST_OF_THREE = frozenset("AEIMQUYcgkosw048")


def _canonical(segment: str) -> bool:
    tail = len(segment) % 4
    if tail == 2:
        return segment[-1] in _LAST_OF_TWO
    if tail == 3:
        return segment[-1] in _LAST_OF_THREE
    return True


def split_compact(token: str) -> tuple[bytes, bytes, bytes]:
    """The decoded header, payload and signature; raises ``JwsFormatError`` unless canonical."""
    segments = token.split(".")
    if len(segments) != 3:
        raise JwsFormatError("a compact JWS has three segments")
    decoded = []
    for segment in segments:
        # Strict decoding refuses any character outside the alphabet; "+", "/" and "=" belong to
        # standard base64 only, and a lone last character of a group is never valid.
        if "+" in segment or "/" in segment or "=" in segment or len(segment) % 4 == 1:
            raise JwsFormatError("a JWS segment is not base64url")
        try:
            data = segment.encode("ascii").translate(_TO_STANDARD) + b"=" * (-len(segment) % 4)
            raw = binascii.a2b_base64(data, strict_mode=True)
        except (UnicodeEncodeError, binascii.Error):
            raise JwsFormatError("a JWS segment is not base64url") from None
        if not _canonical(segment):
            raise JwsFormatError("a JWS segment is not canonical base64url")
        decoded.append(raw)
    return decoded[0], decoded[1], decoded[2]


def json_object(data: bytes) -> dict[str, Any]:
    """A JSON object, or ``JwsFormatError``."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JwsFormatError("not JSON") from exc
    if not isinstance(value, dict):
        raise JwsFormatError("not a JSON object")
    return value


def verify_signature(token: str, algorithm: str, key: PublicKey, signature: bytes) -> bool:
    """Whether ``signature`` signs the token's first two segments under ``key``."""
    signing_input = token.rsplit(".", 1)[0].encode("ascii")
    try:
        return bool(ALGORITHMS[algorithm].verify(signing_input, key, signature))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
