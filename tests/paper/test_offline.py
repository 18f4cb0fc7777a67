"""Paper QR: encode -> decode -> verify offline, tampering, trust, status from a cached list."""

from __future__ import annotations

import dataclasses
import socket
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skills_vc.core.base45 import ALPHABET, b45decode, b45encode
from skills_vc.core.formats.qr import PREFIX, decode_unverified, encode
from skills_vc.core.offline import verify_offline
from skills_vc.core.paper import short_issuer_id
from skills_vc.core.trustlist import TrustListError, verify_trust_list
from tests.paper.helpers import NOW, OPERATOR_JWK, Issuer, claims, qr_text, trust_list

ISSUER = Issuer()
ES256_ISSUER = Issuer(slug="aide-ecran", key_type="P-256")
TRUST = verify_trust_list(trust_list(ISSUER, ES256_ISSUER), OPERATOR_JWK, now=NOW)
QR = qr_text(ISSUER)


def _codes(report: Any) -> dict[str, str]:
    return {c.name: c.code for c in report.checks}


@given(st.binary(max_size=200))
def test_base45_round_trip(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


def test_base45_rfc9285_examples() -> None:
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45decode("QED8WEX0") == b"ietf!"
    with pytest.raises(ValueError):
        b45decode("GGW")  # 65536 does not fit two bytes


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    volunteer=_text,
    title=_text,
    role=_text,
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 1, 1)),
    days=st.integers(0, 3000),
    hours=st.integers(0, 100_000),
    n_skills=st.integers(0, 20),
    es256=st.booleans(),
)
def test_encode_decode_verify_round_trip(
    volunteer: str, title: str, role: str, start: date, days: int, hours: int, n_skills: int, es256: bool
) -> None:
    issuer = ES256_ISSUER if es256 else ISSUER
    original = claims(
        issuer,
        n_skills=n_skills,
        volunteer=volunteer,
        title=title,
        role=role,
        start=start,
        end=start + timedelta(days=days),
        hours=hours,
    )
    text = encode(original, issuer.signer)
    assert text.startswith(PREFIX) and set(text[len(PREFIX) :]) <= set(ALPHABET)
    assert decode_unverified(text) == original
    report = verify_offline(text, TRUST, now=NOW)
    assert report.format == "vsc1"
    assert report.verdict == "verified_status_not_checked", _codes(report)
    assert not report.verified
    assert report.check("status").code == "status_not_checked_offline"  # type: ignore[union-attr]
    subject = report.credential["credentialSubject"]  # type: ignore[index]
    assert (subject["name"], subject["role"]) == (volunteer, role)
    lists = [issuer.status_list("revocation", []), issuer.status_list("suspension", [])]
    assert verify_offline(text, TRUST, now=NOW, status_lists=lists).verified


def test_eddsa_is_deterministic() -> None:
    fixed = claims(ISSUER)
    assert encode(fixed, ISSUER.signer) == encode(fixed, ISSUER.signer)


_FATAL = ("malformed_credential", "signature_invalid", "unknown_key", "unsupported_algorithm")


def test_every_single_character_change_is_not_verified() -> None:
    """Exhaustive: each position of the QR text replaced by each other Base45 character (and a letter
    outside the alphabet) fails the signature check with a code that says why."""
    seen: dict[str, int] = {}
    for position in range(len(QR)):
        for replacement in ALPHABET + "a":
            if QR[position] == replacement:
                continue
            report = verify_offline(QR[:position] + replacement + QR[position + 1 :], TRUST, now=NOW)
            signature = report.checks[0]
            assert not report.verified and report.verdict == "not_verified"
            assert signature.name == "signature" and signature.status == "failed", (position, replacement)
            expected = ("unsupported_format", "malformed_credential") if position < len(PREFIX) else _FATAL
            assert signature.code in expected, (position, replacement, signature.code)
            assert all(c.status == "skipped" for c in report.checks[1:])
            seen[signature.code] = seen.get(signature.code, 0) + 1
    # The changes reach every layer: Base45/CBOR framing, the key id, the algorithm, the signed bytes.
    assert set(seen) >= {"malformed_credential", "signature_invalid", "unknown_key", "unsupported_format"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.booleans())
def test_arbitrary_bytes_after_the_prefix_give_a_report_not_an_exception(data: bytes, deflate: bool) -> None:
    import zlib

    text = PREFIX + b45encode(zlib.compress(data) if deflate else data)
    report = verify_offline(text, TRUST, now=NOW)
    assert report.checks[0].status == "failed" and report.checks[0].code == "malformed_credential"


def test_trailing_bytes_after_the_cose_structure_are_refused() -> None:
    data = b45decode(QR[len(PREFIX) :])
    assert data[:1] != b"\x78"  # not deflated: see docs/paper.md
    report = verify_offline(PREFIX + b45encode(data + b"\x00"), TRUST, now=NOW)
    assert (report.checks[0].status, report.checks[0].code) == ("failed", "malformed_credential")


def test_changed_payload_keeps_a_well_formed_qr_but_fails_the_signature() -> None:
    forged = encode(claims(ISSUER, hours=9999), Issuer(slug=ISSUER.slug).signer)
    report = verify_offline(forged, TRUST, now=NOW)
    assert _codes(report)["signature"] == "unknown_key"


def test_key_not_in_the_trust_list_is_an_unknown_key() -> None:
    stranger = Issuer(slug="inconnue")
    report = verify_offline(qr_text(stranger), TRUST, now=NOW)
    assert (report.checks[0].status, report.checks[0].code) == ("failed", "unknown_key")


def test_unknown_issuer_is_not_trusted() -> None:
    """A listed association never accredited: its key resolves, the issuer is not trusted."""
    pending = Issuer(slug="en-attente")
    listed = verify_trust_list(trust_list(pending), OPERATOR_JWK, now=NOW)
    never = dataclasses.replace(listed, entries=(dataclasses.replace(pending.entry(), accreditation=()),))
    report = verify_offline(qr_text(pending), never, now=NOW)
    assert _codes(report)["signature"] == "signature_valid"
    assert _codes(report)["issuer_trusted"] == "issuer_not_trusted"
    assert report.verdict == "not_verified"


def test_accredited_only_after_issuance_is_not_trusted() -> None:
    late = Issuer(slug="tardive")
    listed = verify_trust_list(trust_list(late), OPERATOR_JWK, now=NOW)
    entry = late.entry(accredited_from=NOW - timedelta(days=1))
    listed = dataclasses.replace(listed, entries=(entry,))
    assert _codes(verify_offline(qr_text(late), listed, now=NOW))["issuer_trusted"] == "issuer_not_trusted"


def test_qr_claiming_another_associations_short_id_is_refused() -> None:
    text = encode(claims(ISSUER, issuer=short_issuer_id(ES256_ISSUER.did)), ISSUER.signer)
    assert _codes(verify_offline(text, TRUST, now=NOW))["signature"] == "key_not_issuer"


def test_revoked_with_a_cached_status_list_is_not_verified() -> None:
    lists = [ISSUER.status_list("revocation", [4242]), ISSUER.status_list("suspension", [])]
    report = verify_offline(QR, TRUST, now=NOW, status_lists=lists)
    assert not report.verified
    assert (report.check("status").status, report.check("status").code) == ("failed", "revoked")  # type: ignore[union-attr]


def test_suspended_with_a_cached_status_list_is_not_verified() -> None:
    lists = [ISSUER.status_list("revocation", []), ISSUER.status_list("suspension", [4242])]
    assert _codes(verify_offline(QR, TRUST, now=NOW, status_lists=lists))["status"] == "suspended"


def test_stale_cached_status_list_is_not_used() -> None:
    old = NOW - timedelta(days=30)
    lists = [ISSUER.status_list("revocation", [], at=old), ISSUER.status_list("suspension", [], at=old)]
    report = verify_offline(QR, TRUST, now=NOW, status_lists=lists)
    status = report.check("status")
    assert status is not None and (status.status, status.code) == ("not_checked", "status_list_too_old")
    assert report.verdict == "verified_status_not_checked"


def test_status_list_signed_by_another_association_is_refused() -> None:
    other = Issuer(slug=ISSUER.slug)  # same slug and URL, a key the trust list does not have
    lists = [other.status_list("revocation", []), other.status_list("suspension", [])]
    status = verify_offline(QR, TRUST, now=NOW, status_lists=lists).check("status")
    assert status is not None and (status.status, status.code) == ("failed", "status_list_invalid")


def test_expired_trust_list_is_refused() -> None:
    token = trust_list(ISSUER, issued=NOW - timedelta(days=10), days=7)
    with pytest.raises(TrustListError) as caught:
        verify_trust_list(token, OPERATOR_JWK, now=NOW)
    assert caught.value.code == "trust_list_expired"


def test_foreign_signed_trust_list_is_refused() -> None:
    from skills_vc.core import keys

    with pytest.raises(TrustListError) as caught:
        verify_trust_list(trust_list(ISSUER), keys.public_jwk(keys.generate_private_key("Ed25519")), now=NOW)
    assert caught.value.code == "trust_list_foreign_signature"


def test_tampered_trust_list_is_refused() -> None:
    header, payload, signature = trust_list(ISSUER).split(".")
    with pytest.raises(TrustListError) as caught:
        verify_trust_list(f"{header}.{payload[:-2]}AA.{signature}", OPERATOR_JWK, now=NOW)
    assert caught.value.code in ("trust_list_foreign_signature", "trust_list_malformed")


def test_offline_verification_opens_no_network_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the offline verifier tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    listed = verify_trust_list(trust_list(ISSUER), OPERATOR_JWK, now=NOW)
    report = verify_offline(qr_text(ISSUER), listed, now=NOW)
    assert report.verdict == "verified_status_not_checked"
    lists = [ISSUER.status_list("revocation", []), ISSUER.status_list("suspension", [])]
    assert verify_offline(qr_text(ISSUER), listed, now=NOW, status_lists=lists).verified
