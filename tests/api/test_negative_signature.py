"""A bad proof is fatal: each forgery fails the signature check with its own exact code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Platform, check

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


def _forge(header: dict[str, Any], payload: dict[str, Any], signature: str) -> str:
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()), signature])


def _assert_fatal(report: dict[str, Any], code: str) -> None:
    assert report["verified"] is False
    signature = check(report, "signature")
    assert signature["status"] == "failed"
    assert signature["code"] == code, signature
    assert all(c["status"] == "skipped" for c in report["checks"] if c["check"] != "signature")
    assert "credential" not in report


@pytest.fixture
def issued(platform: Platform) -> dict[str, Any]:
    return platform.issue(platform.register("signer"))


def _expected_code(changed: str) -> str:
    """The exact code a one-character change must produce in the payload or signature segment:
    ``malformed_credential`` when a segment is no longer canonical base64url, ``signature_invalid``
    otherwise."""
    segments = changed.split(".")
    if len(segments) != 3 or "~" in changed:
        return "unsupported_format"  # no longer shaped like a compact JWS at all
    for segment in segments:
        try:
            raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        except ValueError:
            return "malformed_credential"
        if len(segment) % 4 == 1 or _b64(raw) != segment:
            return "malformed_credential"
    # The signature is checked before the payload is parsed: broken JSON is a bad signature.
    return "signature_invalid"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_changed_character_anywhere_is_not_verified(
    platform: Platform, issued: dict[str, Any], data: st.DataObject
) -> None:
    token = issued["jwt"]
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    original = token[position]
    replacement = data.draw(st.sampled_from([c for c in B64URL + ".~ " if c != original]))
    changed = token[:position] + replacement + token[position + 1 :]
    status, report = platform.verify(changed)
    assert status == 400
    assert report["verified"] is False
    result = check(report, "signature")
    assert result["status"] == "failed"
    if position > token.index("."):
        assert result["code"] == _expected_code(changed), (position, replacement)
    else:
        # A changed header may still parse and name another algorithm, type or key.
        assert result["code"] in (
            "malformed_credential",
            "unsupported_algorithm",
            "unknown_key",
            "unsupported_format",
            "signature_invalid",
        )


def test_changed_payload_with_original_signature(platform: Platform, issued: dict[str, Any]) -> None:
    header, payload, signature = _segments(issued["jwt"])
    payload["credentialSubject"]["achievement"]["alignment"][0]["targetName"] = "brain surgery"
    _, report = platform.verify(_forge(header, payload, signature))
    _assert_fatal(report, "signature_invalid")


def test_changed_signature_byte(platform: Platform, issued: dict[str, Any]) -> None:
    head, body, signature = issued["jwt"].split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    _, report = platform.verify(".".join([head, body, _b64(bytes(raw))]))
    _assert_fatal(report, "signature_invalid")


def test_alg_none(platform: Platform, issued: dict[str, Any]) -> None:
    header, payload, _ = _segments(issued["jwt"])
    header["alg"] = "none"
    _, report = platform.verify(_forge(header, payload, ""))
    _assert_fatal(report, "unsupported_algorithm")


def test_hs256_signed_with_the_issuers_public_key(platform: Platform, issued: dict[str, Any]) -> None:
    header, payload, _ = _segments(issued["jwt"])
    document = platform.client.get("/issuers/signer/did.json").json()
    jwk = document["verificationMethod"][0]["publicKeyJwk"]
    for secret in (base64.urlsafe_b64decode(jwk["x"] + "=="), json.dumps(jwk).encode()):
        header["alg"] = "HS256"
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        _, report = platform.verify(f"{signing_input}.{_b64(mac)}")
        _assert_fatal(report, "unsupported_algorithm")


def test_unknown_kid(platform: Platform, issued: dict[str, Any]) -> None:
    header, payload, signature = _segments(issued["jwt"])
    header["kid"] = header["kid"].split("#")[0] + "#not-a-key"
    _, report = platform.verify(_forge(header, payload, signature))
    _assert_fatal(report, "unknown_key")


def test_kid_of_an_unregistered_did(platform: Platform, issued: dict[str, Any]) -> None:
    header, payload, signature = _segments(issued["jwt"])
    header["kid"] = "did:web:evil.example:issuers:signer#" + header["kid"].split("#")[1]
    _, report = platform.verify(_forge(header, payload, signature))
    _assert_fatal(report, "unknown_key")


def test_missing_kid(platform: Platform, issued: dict[str, Any]) -> None:
    header, payload, signature = _segments(issued["jwt"])
    del header["kid"]
    _, report = platform.verify(_forge(header, payload, signature))
    _assert_fatal(report, "unknown_key")


def test_signed_with_another_associations_key(platform: Platform, issued: dict[str, Any]) -> None:
    """Association B signs a credential that names association A as its issuer."""
    other = platform.register("other")
    other_issued = platform.issue(other)
    _, payload, _ = _segments(issued["jwt"])
    other_header, _, _ = _segments(other_issued["jwt"])
    # B's genuine signature over A's credential, with B's kid: the key is not the issuer's.
    signer = _private_key_of(platform, "other")
    token = jwt.encode(
        payload, signer, algorithm="EdDSA", headers={"typ": "vc+jwt", "kid": other_header["kid"]}
    )
    _, report = platform.verify(token)
    _assert_fatal(report, "key_not_issuer")
    # B's signature presented under A's kid: it does not match A's key.
    header, _, _ = _segments(issued["jwt"])
    token = jwt.encode(payload, signer, algorithm="EdDSA", headers={"typ": "vc+jwt", "kid": header["kid"]})
    _, report = platform.verify(token)
    _assert_fatal(report, "signature_invalid")


def test_vc11_style_token_is_refused(platform: Platform, issued: dict[str, Any]) -> None:
    _, payload, _ = _segments(issued["jwt"])
    header, _, _ = _segments(issued["jwt"])
    token = jwt.encode(
        {"vc": payload, "iss": payload["iss"]},
        _private_key_of(platform, "signer"),
        algorithm="EdDSA",
        headers={"typ": "vc+jwt", "kid": header["kid"]},
    )
    _, report = platform.verify(token)
    _assert_fatal(report, "malformed_credential")


@pytest.mark.parametrize(
    "presented", ["not a jwt", "a.b.c", {"type": "VerifiableCredential"}, "data:application/vc+jwt,xx.yy"]
)
def test_unreadable_input_is_a_failed_signature_check(platform: Platform, presented: Any) -> None:
    status, report = platform.verify(presented)
    assert status == 400
    assert check(report, "signature")["code"] in ("malformed_credential", "unsupported_format")
    assert report["verified"] is False


def _private_key_of(platform: Platform, slug: str) -> Any:
    return platform.signer(slug).key


@pytest.mark.parametrize("contexts", [None, [], ["https://www.w3.org/2018/credentials/v1"], "not-a-list"])
def test_an_envelope_without_the_vc2_context_is_not_read(platform: Platform, contexts: Any) -> None:
    """An EnvelopedVerifiableCredential is a VC 2.0 credential: its first context must be VC 2.0."""
    association = platform.register()
    token = platform.issue(association)["jwt"]
    envelope: dict[str, Any] = {
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/vc+jwt,{token}",
    }
    if contexts is not None:
        envelope["@context"] = contexts
    status, report = platform.verify(envelope)
    assert status == 400 and check(report, "signature")["code"] == "unsupported_format"
    envelope["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    assert platform.verify(envelope)[0] == 200
