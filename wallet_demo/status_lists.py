"""The two status list encodings, decoded without any network (so they are easy to test).

The two specifications count bits in opposite directions, which is why each has its own reader:

* IETF Token Status List (SD-JWT VC): ``lst`` is base64url(zlib(bytes)); each entry is ``bits``
  wide and entries are packed from the *least* significant bit of each byte.
* W3C Bitstring Status List (vc+jwt): ``encodedList`` is ``u`` + base64url(gzip(bytes)); entry 0
  is the *most* significant bit of byte 0.
"""

from __future__ import annotations

import gzip
import io
import zlib
from typing import Any

from wallet_demo.jose import JoseError, b64url_decode

__all__ = [
    "INVALID",
    "SUSPENDED",
    "VALID",
    "StatusListError",
    "bitstring_bit",
    "decode_bitstring",
    "decode_token_status_list",
    "token_status_value",
]

VALID, INVALID, SUSPENDED = 0, 1, 2
_TOKEN_BITS = (1, 2, 4, 8)
# Status lists are small once compressed; refuse a "zip bomb" well before memory runs out.
_MAX_DECOMPRESSED = 16 * 1024 * 1024


class StatusListError(ValueError):
    """A status list or entry that cannot be read; the wallet then shows "status unknown"."""


def _inflate_zlib(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, _MAX_DECOMPRESSED)
    except zlib.error as exc:
        raise StatusListError(f"lst is not zlib data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise StatusListError("the status list is too large")
    return out


def decode_token_status_list(status_list: Any) -> tuple[int, bytes]:
    """``(bits, bytes)`` of a Token Status List's ``status_list`` claim."""
    if not isinstance(status_list, dict):
        raise StatusListError("status_list is not an object")
    bits, lst = status_list.get("bits"), status_list.get("lst")
    if bits not in _TOKEN_BITS or isinstance(bits, bool):
        raise StatusListError(f"bits must be 1, 2, 4 or 8, not {bits!r}")
    if not isinstance(lst, str):
        raise StatusListError("lst is not a string")
    try:
        compressed = b64url_decode(lst)
    except JoseError as exc:
        raise StatusListError("lst is not base64url") from exc
    return int(bits), _inflate_zlib(compressed)


def token_status_value(status_list: Any, idx: Any) -> int:
    """The status of entry ``idx``: 0 valid, 1 invalid (revoked), 2 suspended, other values as given."""
    bits, data = decode_token_status_list(status_list)
    if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
        raise StatusListError(f"idx must be a non-negative integer, not {idx!r}")
    position = idx * bits
    byte = position // 8
    if byte >= len(data):
        raise StatusListError(f"idx {idx} is outside a list of {len(data) * 8 // bits} entries")
    return (data[byte] >> (position % 8)) & ((1 << bits) - 1)


def decode_bitstring(encoded_list: Any) -> bytes:
    """The bytes of a Bitstring Status List's ``encodedList`` (multibase ``u`` + base64url GZIP)."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise StatusListError("encodedList is not multibase base64url ('u' prefix)")
    try:
        compressed = b64url_decode(encoded_list[1:])
    except JoseError as exc:
        raise StatusListError("encodedList is not base64url") from exc
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as handle:
            data = handle.read(_MAX_DECOMPRESSED + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise StatusListError(f"encodedList is not GZIP data: {exc}") from exc
    if len(data) > _MAX_DECOMPRESSED:
        raise StatusListError("the status list is too large")
    return data


def bitstring_bit(encoded_list: Any, index: Any) -> bool:
    """Whether entry ``index`` (most significant bit first) of an ``encodedList`` is set."""
    data = decode_bitstring(encoded_list)
    if isinstance(index, str) and index.isascii() and index.isdigit():
        position = int(index)
    elif isinstance(index, int) and not isinstance(index, bool):
        position = index
    else:
        raise StatusListError(f"statusListIndex is not an integer: {index!r}")
    if position < 0 or position >= len(data) * 8:
        raise StatusListError(f"statusListIndex {position} is outside a list of {len(data) * 8} entries")
    return bool(data[position // 8] & (0x80 >> (position % 8)))
