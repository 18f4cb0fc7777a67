"""W3C Bitstring Status List v1.0: bitstrings, their encoding, and status entries.

Index 0 is the left-most bit, i.e. the most significant bit of the first byte. The encoded list
is ``u`` (multibase base64url, no padding) followed by the GZIP of the bitstring.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "MIN_LIST_SIZE",
    "StatusEntry",
    "StatusListError",
    "StatusPurpose",
    "bit_at",
    "build_bitstring",
    "decode_list",
    "encode_list",
    "entry_from_credential",
    "status_entries",
]

MIN_LIST_SIZE = 131_072
StatusPurpose = Literal["revocation", "suspension"]
PURPOSES: tuple[StatusPurpose, ...] = ("revocation", "suspension")


class StatusListError(ValueError):
    """A status entry or list that cannot be used; ``code`` is the verification check code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def build_bitstring(size: int, set_indexes: Iterable[int]) -> bytes:
    """A bitstring of ``size`` bits with the given indexes set to 1."""
    if size % 8:
        raise ValueError("a status list size must be a multiple of 8")
    bits = bytearray(size // 8)
    for index in set_indexes:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside a list of {size}")
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def bit_at(bitstring: bytes, index: int) -> bool:
    if not 0 <= index < len(bitstring) * 8:
        raise StatusListError("status_range_error", f"index {index} is outside the status list")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def encode_list(bitstring: bytes) -> str:
    # mtime=0 keeps the encoding deterministic, so an unchanged list keeps its ETag.
    compressed = gzip.compress(bitstring, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_list(encoded: str, *, min_size: int = MIN_LIST_SIZE) -> bytes:
    """Decode an ``encodedList``; raises ``StatusListError`` with the spec's error kinds."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("status_list_invalid", "encodedList is not multibase base64url")
    try:
        compressed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
        bitstring = gzip.decompress(compressed)
    except (ValueError, OSError, EOFError) as exc:
        raise StatusListError("status_list_invalid", f"encodedList cannot be decoded: {exc}") from exc
    if len(bitstring) * 8 < min_size:
        raise StatusListError(
            "status_list_length_error",
            f"the status list holds {len(bitstring) * 8} entries, fewer than {min_size}",
        )
    return bitstring


@dataclass(frozen=True)
class StatusEntry:
    purpose: StatusPurpose
    index: int
    list_url: str


def status_entries(
    list_urls: dict[StatusPurpose, str], index: int, credential_id: str
) -> list[dict[str, Any]]:
    """``credentialStatus`` entries: one per purpose, the same index in each purpose's list."""
    return [
        {
            "id": f"{credential_id}#{purpose}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose,
            "statusListIndex": str(index),
            "statusListCredential": url,
        }
        for purpose, url in list_urls.items()
    ]


def entry_from_credential(raw: Any) -> StatusEntry:
    """Read one ``BitstringStatusListEntry``; raises ``StatusListError`` when it is malformed."""
    if not isinstance(raw, dict) or raw.get("type") != "BitstringStatusListEntry":
        raise StatusListError("status_entry_invalid", "credentialStatus is not a BitstringStatusListEntry")
    purpose = raw.get("statusPurpose")
    index = raw.get("statusListIndex")
    url = raw.get("statusListCredential")
    if purpose not in PURPOSES:
        raise StatusListError("status_entry_invalid", f"unsupported statusPurpose {purpose!r}")
    if not isinstance(index, str) or not index.isdigit():
        raise StatusListError("status_entry_invalid", "statusListIndex must be a string of digits")
    if not isinstance(url, str) or not url:
        raise StatusListError("status_entry_invalid", "statusListCredential is missing")
    return StatusEntry(purpose, int(index), url)
