"""Real paper QRs follow the published CDDL of their CBOR (schemas/paper-qr.cddl).

``core/paper.py`` reads its key numbers from that CDDL, so comparing the two would prove nothing.
What is checked instead: a QR built by the real encoder, taken apart here by hand (Base45, zlib,
cbor2), has the envelope, the protected header and the claim maps the CDDL describes: which keys,
which of them are optional, and the type of each value, read from the CDDL's own rules. And the
numbers are pinned: a printed certificate cannot follow an edit of the CDDL, so renumbering a
key is a new layout (``VSC2:``), never a change of this one.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import cbor2
import pytest

from skills_vc.core.base45 import b45decode
from skills_vc.core.formats.qr import PREFIX
from skills_vc.published import load_cddl_constants, schema_path
from tests.paper.helpers import Issuer, qr_text

CDDL = schema_path("paper-qr.cddl").read_text("utf-8")
CONSTANTS = load_cddl_constants("paper-qr.cddl")

# Layout version 1, as printed on certificates since the first release (docs/paper.md).
VERSION_1 = {
    "cose-alg-label": 1,
    "cose-kid-label": 4,
    "cose-alg-eddsa": -8,
    "cose-alg-es256": -7,
    "cwt-iss-key": 1,
    "cwt-exp-key": 4,
    "cwt-iat-key": 6,
    "cwt-cti-key": 7,
    "cwt-vsc-key": -65537,
    "vsc-volunteer-key": 1,
    "vsc-title-key": 2,
    "vsc-role-key": 3,
    "vsc-start-key": 4,
    "vsc-end-key": 5,
    "vsc-hours-key": 6,
    "vsc-skills-key": 7,
    "vsc-status-index-key": 8,
    "vsc-status-list-key": 9,
    "vsc-digest-key": 10,
    "vsc-purposes-key": 11,
}


def _rule(name: str) -> str:
    """The text of one rule, comments removed."""
    match = re.search(rf"^{re.escape(name)} = (.*?)(?=^\S|\Z)", CDDL, re.MULTILINE | re.DOTALL)
    assert match, name
    return "\n".join(line.split(";", 1)[0].rstrip() for line in match.group(1).splitlines()).strip()


def _map_entries(name: str) -> dict[int, tuple[str, bool]]:
    """The entries of a map rule: key number -> (type, required). Inside ``? ( ... )`` is optional."""
    entries: dict[int, tuple[str, bool]] = {}
    in_optional_group = False
    for line in _rule(name).splitlines():
        line = line.strip()
        if line.startswith("? ("):
            in_optional_group = True
        elif line.startswith(")"):
            in_optional_group = False
        elif "=>" in line:
            key, value = (part.strip() for part in line.split("=>", 1))
            optional = key.startswith("?")
            entries[CONSTANTS[key.lstrip("? ")]] = (value.rstrip(","), not (optional or in_optional_group))
    return entries


def _range(text: str) -> tuple[int, int]:
    low, high = text.strip("()").split("..")
    return int(low), int(high)


def _conforms(value: Any, cddl_type: str) -> bool:
    """Whether ``value`` matches a type expression of this CDDL (the forms it uses, no more)."""
    if " / " in cddl_type:
        return any(_conforms(value, choice) for choice in cddl_type.split(" / "))
    base, _, control = cddl_type.partition(" .")
    if base in CONSTANTS:
        return bool(value == CONSTANTS[base])
    if re.fullmatch(r"-?\d+\.\.-?\d+", base):
        low, high = _range(base)
        return isinstance(value, int) and low <= value <= high
    if base == "uint":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if base in ("tstr", "bstr"):
        if not isinstance(value, str if base == "tstr" else bytes):
            return False
        if control.startswith("size "):
            size = control.removeprefix("size ")
            length = len(value.encode() if isinstance(value, str) else value)
            low, high = _range(size) if ".." in size else (int(size), int(size))
            return low <= length <= high
        if control.startswith("regexp "):
            return re.fullmatch(control.removeprefix("regexp ").strip('"'), str(value)) is not None
        return not control
    if _rule(base).startswith("{"):
        return isinstance(value, dict) and _conforms_map(value, base)
    return _conforms(value, _rule(base))


def _conforms_map(value: dict[Any, Any], rule: str) -> bool:
    entries = _map_entries(rule)
    assert set(value) <= set(entries), f"{rule}: keys {set(value) - set(entries)} are not in the CDDL"
    missing = {key for key, (_, required) in entries.items() if required} - set(value)
    assert not missing, f"{rule}: required keys {missing} are missing"
    for key, item in value.items():
        assert _conforms(item, entries[key][0]), f"{rule}: key {key} = {item!r} is not {entries[key][0]}"
    return True


def _decode(text: str) -> cbor2.CBORTag:
    assert text.startswith(PREFIX)
    data = b45decode(text[len(PREFIX) :])
    return cbor2.loads(zlib.decompress(data) if data[:1] == b"\x78" else data)


def test_the_key_numbers_are_those_of_layout_version_1() -> None:
    assert CONSTANTS == VERSION_1


@pytest.mark.parametrize("key_type", ["Ed25519", "P-256"])
@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"purposes": ("revocation",)},
        {"status_index": None, "status_seq": None, "purposes": (), "vc_digest": None},
        {"credential_id": "https://example.org/credentials/1", "expires_at": 2_000_000_000, "n_skills": 0},
    ],
    ids=["default", "one-purpose", "no-status", "text-id-exp-no-skill"],
)
def test_a_real_qr_follows_the_cddl(key_type: str, claims: dict[str, Any]) -> None:
    tagged = _decode(qr_text(Issuer(key_type=key_type), **claims))

    tag = re.search(r"#6\.(\d+)\(COSE_Sign1\)", CDDL)
    assert tag and tagged.tag == int(tag.group(1))
    protected, unprotected, payload, signature = tagged.value
    assert unprotected == {} and _conforms(signature, "bstr .size 64")
    assert _conforms_map(cbor2.loads(protected), "protected-header")
    cwt = cbor2.loads(payload)
    assert _conforms_map(cwt, "cwt-claims")
    own = cwt[CONSTANTS["cwt-vsc-key"]]
    # What CDDL says with "? ( index, list, ? purposes )": both status keys or neither.
    status = {CONSTANTS["vsc-status-index-key"], CONSTANTS["vsc-status-list-key"]}
    assert status <= set(own) or not (status | {CONSTANTS["vsc-purposes-key"]}) & set(own)


def test_the_checker_refuses_what_the_cddl_refuses() -> None:
    """The hand-made checker above is strict enough to be worth something."""
    cwt = cbor2.loads(_decode(qr_text(Issuer())).value[2])
    own_key = CONSTANTS["cwt-vsc-key"]
    wrong: list[dict[Any, Any]] = [
        {**cwt, 2: "a claim the layout does not have"},
        {key: value for key, value in cwt.items() if key != CONSTANTS["cwt-iat-key"]},
        {**cwt, CONSTANTS["cwt-iss-key"]: "seven77"},
        {**cwt, own_key: {**cwt[own_key], CONSTANTS["vsc-digest-key"]: b"short"}},
        {**cwt, own_key: {**cwt[own_key], CONSTANTS["vsc-purposes-key"]: 4}},
        {**cwt, own_key: {**cwt[own_key], CONSTANTS["vsc-volunteer-key"]: ""}},
        {**cwt, own_key: {**cwt[own_key], 12: 0}},
    ]
    for claims in wrong:
        with pytest.raises(AssertionError):
            assert _conforms_map(claims, "cwt-claims")
