"""VC API ``POST /presentations/verify`` through real HTTP on SQLite and PostgreSQL: a holder's
vp+jwt carrying credentials received over OpenID4VCI, an SD-JWT closed by a KB-JWT, presentation
objects with no proof we can check, and every refusal with its exact code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import base58
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from skills_vc.core.checks import Check, Report
from skills_vc.core.formats.vcjwt import wrap_envelope
from skills_vc.core.holder import did_jwk
from skills_vc.core.keys import PrivateKey, b64url_decode
from skills_vc.core.vp import PresentationOptions, verify_presentation
from tests.api.wallet_support import (
    OB3,
    SD_JWT,
    Holder,
    make_offer,
    nonce,
    receive,
    request_credential,
    token,
)
from tests.conftest import Platform

VC2 = "https://www.w3.org/ns/credentials/v2"
CHALLENGE = "u7Qx3Jd9Kq2mWzL0p5VbNw"
DOMAIN = "https://verifier.skills-vc.test"


def _did(holder: Holder, method: str = "jwk") -> tuple[str, str]:
    """The holder's DID and the DID URL of its key (``did:jwk`` or an Ed25519 ``did:key``)."""
    if method == "jwk":
        did = did_jwk(holder.jwk)
        return did, did + "#0"
    ident = "z" + base58.b58encode(b"\xed\x01" + b64url_decode(holder.jwk["x"])).decode()
    return f"did:key:{ident}", f"did:key:{ident}#{ident}"


def _received(
    platform: Platform, asbl: dict[str, Any], holder: Holder, configuration: str, **header: Any
) -> str:
    """A credential of ``configuration`` issued to ``holder`` through the OpenID4VCI flow."""
    offer = make_offer(platform, asbl)
    response = token(platform, offer)
    assert response.status_code == 200, response.text
    access = response.json()["access_token"]
    if not header:
        return receive(platform, offer, holder, configuration, access)
    proof = holder.proof(
        aud=offer.issuer, nonce=nonce(platform, offer), iat=int(platform.clock().timestamp()), **header
    )
    answer = request_credential(platform, offer, access, configuration, proof)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["credentials"][0]["credential"])


def _payload(token_text: str) -> dict[str, Any]:
    return dict(json.loads(b64url_decode(token_text.split("~")[0].split(".")[1])))


def _vp_jwt(
    platform: Platform,
    wallet: Holder,
    credentials: list[str],
    *,
    method: str = "jwk",
    key: PrivateKey | None = None,
    header: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A VC-JOSE-COSE vp+jwt made by the holder (pyjwt signs it; the service only verifies)."""
    did, kid = _did(wallet, method)
    payload: dict[str, Any] = {
        "@context": [VC2],
        "type": ["VerifiablePresentation"],
        "holder": did,
        "verifiableCredential": [wrap_envelope(c) for c in credentials],
        "nonce": CHALLENGE,
        "aud": DOMAIN,
        "iat": int(platform.clock().timestamp()),
    }
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    signer = key or wallet.key
    alg = "EdDSA" if isinstance(signer, ed25519.Ed25519PrivateKey) else "ES256"
    return jwt.encode(payload, signer, algorithm=alg, headers={"typ": "vp+jwt", "kid": kid, **(header or {})})


def _envelope(vp: str, media: str = "application/vp+jwt") -> dict[str, Any]:
    return {"@context": [VC2], "type": "EnvelopedVerifiablePresentation", "id": f"data:{media},{vp}"}


def _verify(platform: Platform, presentation: Any, **options: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"verifiablePresentation": presentation}
    if options:
        body["options"] = options
    response = platform.client.post("/presentations/verify", json=body)
    return response.status_code, response.json()


def _checks(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["check"]: (c["status"], c["code"]) for c in report["presentation"]["checks"]}


@pytest.fixture
def asbl(platform: Platform) -> dict[str, Any]:
    return platform.register("vp-asbl")


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # RFC 9864; VC-JOSE-COSE still names EdDSA
@pytest.mark.parametrize("method", ["jwk", "key"])
def test_a_holder_presents_two_credentials_as_a_vp_jwt(
    platform: Platform, asbl: dict[str, Any], method: str
) -> None:
    holder = Holder(ed25519.Ed25519PrivateKey.generate()) if method == "key" else Holder()
    did, kid = _did(holder, method)
    header = {} if method == "jwk" else {"jwk": None, "kid": kid}
    credentials = [_received(platform, asbl, holder, OB3, **header) for _ in range(2)]
    assert all(_payload(c)["credentialSubject"]["id"] == did for c in credentials)
    vp = _vp_jwt(platform, holder, credentials, method=method)

    for presented in (_envelope(vp), vp, f"data:application/vp+jwt,{vp}"):
        status, report = _verify(platform, presented, challenge=CHALLENGE, domain=DOMAIN)
        assert status == 200, report
        assert report["verified"] is True and report["problemDetails"] == []
        assert report["presentation"]["format"] == "vp+jwt" and report["presentation"]["holder"] == did
        assert _checks(report) == {
            "presentation_signature": ("passed", "presentation_signature_valid"),
            "challenge": ("passed", "challenge_valid"),
            "domain": ("passed", "domain_valid"),
            "credentials": ("passed", "credentials_verified"),
        }
        assert report["holder_binding"]["status"] == "passed"
        assert report["holder_binding"]["code"] == "holder_binding_valid"
        assert report["holder_binding"]["holder"] == did
        assert set(report["holder_binding"]["message"]) == {"fr", "nl", "en"}
        # Each credential's report is the one /credentials/verify gives.
        assert len(report["credentials"]) == 2
        for credential, credential_report in zip(credentials, report["credentials"], strict=True):
            assert credential_report == platform.verify(wrap_envelope(credential))[1]
            assert credential_report["verified"] is True

    # An independent library verifies the holder's signature with the key the kid names.
    jwk: dict[str, Any] = dict(holder.jwk)
    public = OKPKey.import_key(jwk) if jwk["kty"] == "OKP" else ECKey.import_key(jwk)
    alg = "EdDSA" if method == "key" else "ES256"
    verified = jws.deserialize_compact(vp, public, algorithms=[alg])
    assert verified.headers() == {"alg": alg, "typ": "vp+jwt", "kid": kid}
    assert json.loads(verified.payload)["nonce"] == CHALLENGE


def test_no_challenge_asked_is_not_checked_and_domain_in_an_aud_list(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    holder = Holder()
    vp = _vp_jwt(platform, holder, [_received(platform, asbl, holder, OB3)], aud=["other", DOMAIN])
    status, report = _verify(platform, _envelope(vp), domain=DOMAIN)
    assert status == 200, report
    assert _checks(report)["challenge"] == ("not_checked", "challenge_not_requested")
    assert _checks(report)["domain"] == ("passed", "domain_valid")
    status, report = _verify(platform, _envelope(vp))
    assert status == 200 and _checks(report)["domain"] == ("not_checked", "domain_not_requested")


def test_challenge_and_domain_must_match(platform: Platform, asbl: dict[str, Any]) -> None:
    holder = Holder()
    credential = _received(platform, asbl, holder, OB3)
    cases = [
        (
            _vp_jwt(platform, holder, [credential], nonce="another-challenge"),
            "challenge",
            "challenge_mismatch",
        ),
        (_vp_jwt(platform, holder, [credential], nonce=None), "challenge", "challenge_missing"),
        (
            _vp_jwt(platform, holder, [credential], aud="https://elsewhere.example"),
            "domain",
            "domain_mismatch",
        ),
        (_vp_jwt(platform, holder, [credential], aud=None), "domain", "domain_missing"),
    ]
    for vp, check, code in cases:
        status, report = _verify(platform, _envelope(vp), challenge=CHALLENGE, domain=DOMAIN)
        assert status == 400, report
        assert report["error"] == code and report["verified"] is False
        assert _checks(report)[check] == ("failed", code)
        assert _checks(report)["presentation_signature"][0] == "passed"
        assert {"type": f"urn:skills-vc:problem:{code}", "code": code, "check": check}.items() <= next(
            p for p in report["problemDetails"] if p["code"] == code
        ).items()
        # The credentials themselves are fine.
        assert report["credentials"][0]["verified"] is True


def test_signed_by_another_key_than_the_kid(platform: Platform, asbl: dict[str, Any]) -> None:
    holder = Holder()
    vp = _vp_jwt(platform, holder, [_received(platform, asbl, holder, OB3)], key=Holder().key)
    status, report = _verify(platform, _envelope(vp), challenge=CHALLENGE)
    assert status == 400 and report["error"] == "presentation_signature_invalid"
    assert _checks(report) == {
        "presentation_signature": ("failed", "presentation_signature_invalid"),
        "challenge": ("skipped", "skipped_after_presentation_proof"),
        "domain": ("skipped", "skipped_after_presentation_proof"),
        "credentials": ("skipped", "skipped_after_presentation_proof"),
    }
    assert report["credentials"] == [] and report["holder_binding"]["status"] == "skipped"
    # A payload changed after signing fails the same way.
    head, _, signature = vp.split(".")
    claims = _payload(vp) | {"nonce": "changed"}
    forged = ".".join([head, jwt.utils.base64url_encode(json.dumps(claims).encode()).decode(), signature])
    assert _verify(platform, forged)[1]["error"] == "presentation_signature_invalid"


def test_a_revoked_credential_inside_names_its_status_check(platform: Platform, asbl: dict[str, Any]) -> None:
    holder = Holder()
    credentials = [_received(platform, asbl, holder, OB3) for _ in range(2)]
    revoked = _payload(credentials[1])["id"]
    response = platform.client.post(
        f"/credentials/{revoked}/revoke", json={"reason": "issued in error"}, headers=asbl["headers"]
    )
    assert response.status_code == 200, response.text
    status, report = _verify(
        platform, _envelope(_vp_jwt(platform, holder, credentials)), challenge=CHALLENGE, domain=DOMAIN
    )
    assert status == 400, report
    assert report["error"] == "credential_not_verified" and "Credential 2" in report["detail"]
    assert _checks(report)["credentials"] == ("failed", "credential_not_verified")
    assert _checks(report)["presentation_signature"] == ("passed", "presentation_signature_valid")
    first, second = report["credentials"]
    assert first["verified"] is True and second["verified"] is False
    assert next(c for c in second["checks"] if c["check"] == "status")["code"] == "revoked"
    assert {"code": "revoked", "check": "status", "credential": 1}.items() <= next(
        p for p in report["problemDetails"] if p["code"] == "revoked"
    ).items()


def test_the_holder_must_be_the_credentials_subject(platform: Platform, asbl: dict[str, Any]) -> None:
    owner, other = Holder(), Holder()
    credential = _received(platform, asbl, owner, OB3)
    # Another holder presents the owner's credential, signing with its own key.
    status, report = _verify(
        platform, _envelope(_vp_jwt(platform, other, [credential])), challenge=CHALLENGE, domain=DOMAIN
    )
    assert status == 400 and report["error"] == "holder_not_subject"
    assert (
        report["holder_binding"]["status"] == "failed"
        and report["holder_binding"]["holder"] == _did(other)[0]
    )
    assert report["credentials"][0]["verified"] is True  # the credential is genuine, just not theirs
    # The presentation names a holder other than the key that signed it.
    vp = _vp_jwt(platform, owner, [credential], holder=_did(other)[0])
    status, report = _verify(platform, _envelope(vp), challenge=CHALLENGE, domain=DOMAIN)
    assert status == 400 and report["error"] == "holder_mismatch"


def test_an_sd_jwt_vc_inside_a_vp_jwt_is_bound_by_its_cnf(platform: Platform, asbl: dict[str, Any]) -> None:
    holder = Holder()
    sd_jwt = _received(platform, asbl, holder, SD_JWT)
    envelope = {
        "@context": [VC2],
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/dc+sd-jwt,{sd_jwt}",
    }
    status, report = _verify(
        platform,
        _vp_jwt(platform, holder, [], verifiableCredential=[envelope]),
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    assert status == 200, report
    assert report["credentials"][0]["format"] == "dc+sd-jwt"
    assert report["holder_binding"]["code"] == "holder_binding_valid"
    other = Holder()
    status, report = _verify(platform, _vp_jwt(platform, other, [], verifiableCredential=[envelope]))
    assert status == 400 and report["error"] == "holder_not_subject"


def _sd_jwt_presentation(platform: Platform, asbl: dict[str, Any], holder: Holder, **kb: Any) -> str:
    sd_jwt = _received(platform, asbl, holder, SD_JWT)
    values: dict[str, Any] = {"aud": DOMAIN, "nonce": CHALLENGE, "iat": int(platform.clock().timestamp())}
    return holder.kb_jwt(sd_jwt, **(values | kb))


def test_sd_jwt_with_key_binding(platform: Platform, asbl: dict[str, Any]) -> None:
    holder = Holder()
    presentation = _sd_jwt_presentation(platform, asbl, holder)
    for presented in (presentation, _envelope(presentation, "application/dc+sd-jwt")):
        status, report = _verify(platform, presented, challenge=CHALLENGE, domain=DOMAIN)
        assert status == 200, report
        assert report["presentation"]["format"] == "dc+sd-jwt"
        assert report["presentation"]["holder"] == did_jwk(holder.jwk)
        assert _checks(report) == {
            "presentation_signature": ("passed", "presentation_signature_valid"),
            "challenge": ("passed", "challenge_valid"),
            "domain": ("passed", "domain_valid"),
            "credentials": ("passed", "credentials_verified"),
        }
        assert report["holder_binding"]["code"] == "holder_binding_valid"
        assert [c["check"] for c in report["credentials"][0]["checks"]][:3] == [
            "signature",
            "disclosures",
            "key_binding",
        ]
    # The legacy media type is read too.
    assert _verify(platform, _envelope(presentation, "application/vc+sd-jwt"), challenge=CHALLENGE)[0] == 200


def test_sd_jwt_key_binding_answers_must_match(platform: Platform, asbl: dict[str, Any]) -> None:
    holder = Holder()
    for kb, code in (
        ({"nonce": "stale"}, "challenge_mismatch"),
        ({"aud": "https://x.example"}, "domain_mismatch"),
    ):
        presentation = _sd_jwt_presentation(platform, asbl, holder, **kb)
        status, report = _verify(platform, presentation, challenge=CHALLENGE, domain=DOMAIN)
        assert status == 400 and report["error"] == code, report
    # No KB-JWT: nothing proves who presents it.
    bare = _received(platform, asbl, holder, SD_JWT)
    status, report = _verify(platform, bare, challenge=CHALLENGE)
    assert status == 400 and report["error"] == "key_binding_missing"
    assert report["holder_binding"]["code"] == "holder_binding_unproven"
    # A KB-JWT signed by another key than the credential's cnf.
    sd_jwt = _received(platform, asbl, holder, SD_JWT)
    stolen = holder.kb_jwt(
        sd_jwt, aud=DOMAIN, nonce=CHALLENGE, iat=int(platform.clock().timestamp()), key=Holder().key
    )
    status, report = _verify(platform, stolen, challenge=CHALLENGE, domain=DOMAIN)
    assert status == 400 and report["error"] == "key_binding_wrong_key"


def test_an_unsecured_presentation_reports_its_credentials_but_is_not_verified(
    platform: Platform, asbl: dict[str, Any]
) -> None:
    credential = platform.issue(asbl)["verifiable_credential"]
    presentation = {
        "@context": [VC2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential],
    }
    status, report = _verify(platform, presentation, challenge=CHALLENGE)
    assert status == 400 and report["error"] == "presentation_unsecured"
    assert report["presentation"]["format"] == "unsecured"
    assert _checks(report)["challenge"] == ("skipped", "skipped_after_presentation_proof")
    assert _checks(report)["credentials"] == ("passed", "credentials_verified")
    assert report["credentials"][0]["verified"] is True
    assert report["holder_binding"]["status"] == "not_checked"
    # A Data Integrity proof is not a securing mechanism this verifier supports.
    signed = presentation | {"proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}}
    status, report = _verify(platform, signed)
    assert status == 400 and report["error"] == "presentation_proof_unsupported"
    assert report["presentation"]["format"] == "data-integrity"


def _vc11_vp(platform: Platform, holder: Holder) -> str:
    did, kid = _did(holder)
    claims = {"iss": did, "nonce": CHALLENGE, "vp": {"@context": [VC2], "type": ["VerifiablePresentation"]}}
    return jwt.encode(claims, holder.key, algorithm="ES256", headers={"typ": "vp+jwt", "kid": kid})


MALFORMED: list[tuple[str, Any, str]] = [
    ("a number", 42, "presentation_malformed"),
    ("null", None, "presentation_malformed"),
    ("a list", [], "presentation_malformed"),
    ("garbage text", "not a presentation", "presentation_malformed"),
    ("tildes only", "~~~", "presentation_malformed"),
    ("a non-conforming document", {"type": ["NonconformingDocument"]}, "presentation_malformed"),
    ("no @context", {"type": ["VerifiablePresentation"]}, "presentation_malformed"),
    ("no type", {"@context": [VC2]}, "presentation_malformed"),
    (
        "@context in the wrong order",
        {"@context": [{"x": "https://example.org/#x"}, VC2], "type": ["VerifiablePresentation"]},
        "presentation_malformed",
    ),
    (
        "a @context that is no URL",
        {"@context": [VC2, "https ://not-a-url/v1"], "type": ["VerifiablePresentation"]},
        "presentation_malformed",
    ),
    (
        "a credential as a string",
        {"@context": [VC2], "type": ["VerifiablePresentation"], "verifiableCredential": ["a.b.c"]},
        "presentation_malformed",
    ),
    (
        "a holder that is no URL",
        {"@context": [VC2], "type": ["VerifiablePresentation"], "holder": {"name": "Acme"}},
        "presentation_malformed",
    ),
    (
        "an envelope with an empty @context",
        {"@context": [], "type": "EnvelopedVerifiablePresentation", "id": "data:application/vp+jwt,a.b.c"},
        "presentation_malformed",
    ),
    (
        "an envelope whose id is no data: URL",
        {"@context": [VC2], "type": "EnvelopedVerifiablePresentation", "id": "a.b.c"},
        "presentation_malformed",
    ),
    (
        "an envelope of another media type",
        {"@context": [VC2], "type": "EnvelopedVerifiablePresentation", "id": "data:application/jwt,a.b.c"},
        "presentation_unsupported_format",
    ),
    ("a JWT that is not one", "data:application/vp+jwt,a.b.c", "presentation_malformed"),
]


@pytest.mark.parametrize(("case", "presented", "code"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_presentations_get_400_and_a_stable_code(
    platform: Platform, case: str, presented: Any, code: str
) -> None:
    status, report = _verify(platform, presented, challenge=CHALLENGE)
    assert status == 400, report
    assert report["error"] == code and report["verified"] is False
    assert isinstance(report["detail"], str) and report["detail"]
    assert _checks(report)["presentation_signature"] == ("failed", code)
    assert report["problemDetails"][0]["code"] == code


def test_refused_jose_headers_and_claims(platform: Platform, asbl: dict[str, Any]) -> None:
    holder = Holder()
    credential = _received(platform, asbl, holder, OB3)
    now = int(platform.clock().timestamp())
    cases = [
        (_vc11_vp(platform, holder), "presentation_malformed"),
        (_vp_jwt(platform, holder, [credential], header={"typ": "JWT"}), "presentation_malformed"),
        (
            _vp_jwt(platform, holder, [credential], header={"kid": "did:web:example.org#key-1"}),
            "holder_key_unusable",
        ),
        (
            _vp_jwt(platform, holder, [credential], header={"kid": _did(holder)[0] + "#1"}),
            "holder_key_unusable",
        ),
        (_vp_jwt(platform, holder, [credential], exp=now - 10), "presentation_expired"),
        (_vp_jwt(platform, holder, [credential], iat=now + 3600), "presentation_not_yet_valid"),
        (
            jwt.encode({"nonce": CHALLENGE}, "", algorithm="none", headers={"typ": "vp+jwt"}),
            "unsupported_algorithm",
        ),
        (
            jwt.encode(
                {"nonce": CHALLENGE},
                "secret-key-of-32-bytes-at-least!",
                algorithm="HS256",
                headers={"typ": "vp+jwt", "kid": _did(holder)[1]},
            ),
            "unsupported_algorithm",
        ),
    ]
    for vp, code in cases:
        status, report = _verify(platform, _envelope(vp), challenge=CHALLENGE)
        assert (status, report["error"]) == (400, code), (code, report)


def test_request_shape_errors_keep_the_service_codes(platform: Platform) -> None:
    response = platform.client.post(
        "/presentations/verify", json={"verifiablePresentation": "x", "proof": {}}
    )
    assert response.status_code == 400 and response.json()["error"] == "unknown_field"
    response = platform.client.post(
        "/presentations/verify", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"] == "malformed_json"
    response = platform.client.post("/presentations/verify", json={"options": {}})
    assert response.status_code == 422 and response.json()["error"] == "invalid_request"
    # Options the VC API defines but this verifier does not use are ignored.
    status, report = _verify(platform, "x", challenge=CHALLENGE, checks=["proof"])
    assert status == 400 and report["error"] == "presentation_malformed"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from([VC2, "a.b.c", "~"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["@context", "type", "id", "holder", "verifiableCredential", "proof"])
            | st.text(max_size=5),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_ENVELOPE_IDS = st.builds(
    lambda media, data: f"data:{media},{data}",
    st.sampled_from(["application/vp+jwt", "application/dc+sd-jwt", "application/jwt", "text/plain;x=1"]),
    st.text(alphabet="ab.~-_", max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(
    presented=_JSON
    | st.builds(
        lambda ident, context: {"@context": context, "type": "EnvelopedVerifiablePresentation", "id": ident},
        _ENVELOPE_IDS,
        _JSON,
    )
)
def test_any_json_gets_a_report_never_an_exception(presented: Any) -> None:
    """The pure core answers every JSON value with a report (the route turns it into 400)."""
    seen: list[Any] = []

    def unverified(credential: Any) -> Report:
        seen.append(credential)
        return Report(format=None, checks=[Check("signature", "failed", "unsupported_format")])

    report = verify_presentation(
        presented, PresentationOptions(challenge="c"), unverified, now=datetime(2026, 3, 2, tzinfo=UTC)
    )
    body = report.as_dict()
    assert body["verified"] is False and body["problemDetails"]
    assert json.loads(json.dumps(body)) == body
    assert all(isinstance(entry, dict) for entry in seen)
