import base64
import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skills_vc.core.status import (
    MIN_LIST_SIZE,
    StatusListError,
    bit_at,
    build_bitstring,
    decode_list,
    encode_list,
    entry_from_credential,
)


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=MIN_LIST_SIZE - 1), max_size=200))
def test_encode_decode_round_trip(indexes: set[int]) -> None:
    bits = build_bitstring(MIN_LIST_SIZE, indexes)
    decoded = decode_list(encode_list(bits))
    assert decoded == bits
    for index in list(indexes)[:20]:
        assert bit_at(decoded, index)
    assert sum(bin(b).count("1") for b in decoded) == len(indexes)


def test_index_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    bits = build_bitstring(MIN_LIST_SIZE, [0, 9])
    assert bits[0] == 0b1000_0000
    assert bits[1] == 0b0100_0000


def test_encoding_is_multibase_base64url_gzip_without_padding() -> None:
    encoded = encode_list(build_bitstring(MIN_LIST_SIZE, [5]))
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) == MIN_LIST_SIZE // 8


def test_short_lists_are_refused() -> None:
    with pytest.raises(StatusListError) as caught:
        decode_list(encode_list(bytes(1024)))
    assert caught.value.code == "status_list_length_error"


def test_garbage_is_refused() -> None:
    with pytest.raises(StatusListError) as caught:
        decode_list("uAAAA")
    assert caught.value.code == "status_list_invalid"


def test_out_of_range_index() -> None:
    with pytest.raises(StatusListError) as caught:
        bit_at(bytes(16), 200)
    assert caught.value.code == "status_range_error"


def test_entry_index_must_be_a_string_of_digits() -> None:
    entry = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": 42,
        "statusListCredential": "https://x/1",
    }
    with pytest.raises(StatusListError) as caught:
        entry_from_credential(entry)
    assert caught.value.code == "status_entry_invalid"
    entry["statusListIndex"] = "42"
    assert entry_from_credential(entry).index == 42
