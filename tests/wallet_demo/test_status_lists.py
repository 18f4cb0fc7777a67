"""Both status list decoders, on inputs built here with zlib and gzip.

The byte vectors are the examples of the IETF Token Status List draft (section "Status List"):
1-bit ``0xB9 0xA3`` and 2-bit ``0xC9 0x44 0xF9``, entries packed least significant bits first.
The Bitstring Status List counts the other way: index 0 is the most significant bit of byte 0.
"""

from __future__ import annotations

import base64
import gzip
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.wallet_demo.builders import bitstring, token_status_list
from wallet_demo.status_lists import StatusListError, bitstring_bit, token_status_value


def _lst(data: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(data)).rstrip(b"=").decode()


ONE_BIT = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
TWO_BITS = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]


def test_one_bit_vector_from_the_draft() -> None:
    status_list = {"bits": 1, "lst": _lst(bytes([0xB9, 0xA3]))}
    assert [token_status_value(status_list, i) for i in range(16)] == ONE_BIT


def test_two_bit_vector_least_significant_bits_first() -> None:
    status_list = {"bits": 2, "lst": _lst(bytes([0xC9, 0x44, 0xF9]))}
    assert [token_status_value(status_list, i) for i in range(12)] == TWO_BITS
    # Entry 1 of byte 0xC9 = 0b11_00_10_01 is bits 2-3 (0b10 = 2, suspended), not bits 4-5.
    assert token_status_value(status_list, 1) == 2


@given(
    st.sampled_from([1, 2, 4, 8]).flatmap(
        lambda b: st.tuples(st.just(b), st.lists(st.integers(0, 2**b - 1), min_size=1, max_size=200))
    )
)
def test_token_status_round_trip(case: tuple[int, list[int]]) -> None:
    bits, statuses = case
    status_list = token_status_list(statuses, bits)
    assert [token_status_value(status_list, i) for i in range(len(statuses))] == statuses


@pytest.mark.parametrize(
    ("status_list", "idx", "message"),
    [
        ({"bits": 3, "lst": _lst(b"\0")}, 0, "bits must be"),
        ({"bits": True, "lst": _lst(b"\0")}, 0, "bits must be"),
        ({"bits": 1, "lst": _lst(b"\0")}, 8, "outside"),
        ({"bits": 1, "lst": _lst(b"\0")}, -1, "non-negative"),
        ({"bits": 1, "lst": "bm90IHpsaWI"}, 0, "zlib"),
        ({"bits": 1, "lst": "***"}, 0, "base64url"),
        ({"bits": 1}, 0, "not a string"),
        ("nope", 0, "not an object"),
    ],
)
def test_token_status_errors(status_list: object, idx: int, message: str) -> None:
    with pytest.raises(StatusListError, match=message):
        token_status_value(status_list, idx)


def test_bitstring_index_zero_is_the_most_significant_bit() -> None:
    encoded = (
        "u" + base64.urlsafe_b64encode(gzip.compress(bytes([0b1000_0001, 0b0100_0000]))).rstrip(b"=").decode()
    )
    assert [bitstring_bit(encoded, i) for i in range(16)] == [
        True, False, False, False, False, False, False, True,
        False, True, False, False, False, False, False, False,
    ]  # fmt: skip
    assert bitstring_bit(encoded, "7") is True  # statusListIndex is a string in credentials


@settings(deadline=None, max_examples=30)  # each lookup decodes the whole list, as the wallet does
@given(st.sets(st.integers(0, 1023), max_size=50))
def test_bitstring_round_trip(indexes: set[int]) -> None:
    encoded = bitstring(1024, sorted(indexes))
    assert {i for i in range(1024) if bitstring_bit(encoded, i)} == indexes


@pytest.mark.parametrize(
    ("encoded", "index", "message"),
    [
        ("H4sI", 0, "'u' prefix"),
        ("u" + base64.urlsafe_b64encode(b"not gzip").decode(), 0, "GZIP"),
        (bitstring(16, []), 16, "outside"),
        (bitstring(16, []), "x1", "not an integer"),
        (bitstring(16, []), True, "not an integer"),
    ],
)
def test_bitstring_errors(encoded: str, index: object, message: str) -> None:
    with pytest.raises(StatusListError, match=message):
        bitstring_bit(encoded, index)
