"""Base45 (RFC 9285), the encoding that fits binary data into a QR code's alphanumeric mode.

The ``base45`` package on PyPI has had no release since 2022, and the algorithm is a few lines, so
it lives here. Decoding is strict: a text that is not the canonical encoding of some bytes is refused,
so two different texts never carry the same bytes.
"""

from __future__ import annotations

__all__ = ["ALPHABET", "Base45Error", "b45decode", "b45encode"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUES = {char: value for value, char in enumerate(ALPHABET)}


class Base45Error(ValueError):
    """The text is not valid Base45."""


def b45encode(data: bytes) -> str:
    """Encode bytes: each pair becomes three characters, a last odd byte two."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += (ALPHABET[c], ALPHABET[d], ALPHABET[e])
    if len(data) % 2:
        e, c = divmod(data[-1], 45)
        out += (ALPHABET[c], ALPHABET[e])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Decode Base45; raises ``Base45Error`` for a character outside the alphabet or a bad group."""
    try:
        values = [_VALUES[char] for char in text]
    except KeyError as exc:
        raise Base45Error(f"{exc.args[0]!r} is not a Base45 character") from None
    if len(values) % 3 == 1:
        raise Base45Error("a Base45 text cannot have a length of 3n+1")
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        n = sum(value * 45**k for k, value in enumerate(group))
        if len(group) == 3:
            if n > 0xFFFF:
                raise Base45Error("a Base45 triple encodes more than two bytes")
            out += n.to_bytes(2, "big")
        else:
            if n > 0xFF:
                raise Base45Error("a final Base45 pair encodes more than one byte")
            out.append(n)
    return bytes(out)
