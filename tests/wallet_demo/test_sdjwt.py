"""SD-JWT parsing: disclosures applied (object properties, array elements, nested), and refusals."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.wallet_demo.builders import ISSUER, disclosure, sd_jwt
from wallet_demo.cards import card_view, credential_id
from wallet_demo.errors import WalletError
from wallet_demo.jose import b64url, sign_jws
from wallet_demo.sdjwt import SdJwtError, parse_sd_jwt

KEY = ec.generate_private_key(ec.SECP256R1())
PAYLOAD = {
    "iss": ISSUER,
    "jti": "urn:uuid:11111111-2222-4333-8444-555555555555",
    "association": {"name": "Couturières solidaires ASBL"},
}


def test_claims_are_rebuilt_from_every_disclosure() -> None:
    parsed = parse_sd_jwt(sd_jwt(KEY, PAYLOAD))
    claims = parsed.claims
    assert claims["volunteer"] == {"name": "Aïcha Benali"}
    assert claims["activity"]["title"] == "Couture de masques" and claims["activity"]["language"] == "fr"
    assert claims["activity"]["hours"] == 240
    assert [s["label"]["nl"] for s in claims["skills"]] == [
        "in teamverband werken",
        "beschermende kleding naaien",
    ]
    assert "_sd" not in claims["activity"] and "_sd_alg" not in claims
    assert parsed.key_binding_jwt is None
    assert len(parsed.disclosures) == 8
    assert parsed.jws.header["typ"] == "dc+sd-jwt"


def test_withheld_disclosures_are_simply_absent() -> None:
    full = sd_jwt(KEY, PAYLOAD)
    jwt, *disclosures = full.split("~")
    kept = [d for d in disclosures if d and "title" not in parse_sd_jwt(f"{jwt}~{d}~").claims["activity"]]
    claims = parse_sd_jwt(jwt + "~" + "".join(d + "~" for d in kept)).claims
    assert "title" not in claims["activity"] and claims["activity"]["role"] == "Couturière"


def test_card_view_reads_skills_in_the_readers_language() -> None:
    raw = sd_jwt(KEY, PAYLOAD)
    view = card_view("c1", [("dc+sd-jwt", raw)], "nl")
    assert [s.label for s in view.skills] == ["in teamverband werken", "beschermende kleding naaien"]
    assert view.association == "Couturières solidaires ASBL" and view.volunteer == "Aïcha Benali"
    assert view.start is not None and view.start.isoformat() == "2020-03-23"
    assert card_view("c1", [("dc+sd-jwt", raw)], "en").skills[0].label == "work in teams"
    assert credential_id("dc+sd-jwt", raw) == PAYLOAD["jti"]


def test_vc_jwt_skills_come_from_the_alignment() -> None:
    payload = {
        "id": "urn:uuid:abc",
        "issuer": {"id": "did:web:x", "name": "Asbl"},
        "credentialSubject": {
            "activityStartDate": "2020-03-23T00:00:00Z",
            "achievement": {"name": "Couture", "alignment": [{"targetName": "travailler en équipe"}]},
        },
    }
    raw = sign_jws({"alg": "ES256", "typ": "vc+jwt", "kid": "did:web:x#k"}, payload, KEY)
    view = card_view("urn:uuid:abc", [("jwt_vc_json", raw)], "nl")
    assert [s.label for s in view.skills] == ["travailler en équipe"] and view.title == "Couture"
    assert credential_id("jwt_vc_json", raw) == "urn:uuid:abc"


def test_unreferenced_disclosure_is_refused() -> None:
    stray, _ = disclosure("salt", "name", "Someone Else")
    with pytest.raises(SdJwtError, match="not referenced"):
        parse_sd_jwt(sd_jwt(KEY, PAYLOAD) + stray + "~")


def test_repeated_disclosure_is_refused() -> None:
    full = sd_jwt(KEY, PAYLOAD)
    first = full.split("~")[1]
    with pytest.raises(SdJwtError, match="twice"):
        parse_sd_jwt(full + first + "~")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "form"),
        ("not-a-jwt~", "cannot be read"),
        ("a.b.c~", "cannot be read"),
    ],
)
def test_malformed_sd_jwt(text: str, message: str) -> None:
    with pytest.raises(SdJwtError, match=message):
        parse_sd_jwt(text)


def test_bad_disclosure_and_reserved_names() -> None:
    jwt = sign_jws({"alg": "ES256"}, {"iss": ISSUER}, KEY)
    with pytest.raises(SdJwtError, match="base64url JSON"):
        parse_sd_jwt(jwt + "~%%%~")
    with pytest.raises(SdJwtError, match="neither"):
        parse_sd_jwt(jwt + "~" + b64url(b'["only-salt"]') + "~")
    reserved, digest = disclosure("salt", "_sd", ["x"])
    with pytest.raises(SdJwtError, match="reserved"):
        parse_sd_jwt(sign_jws({"alg": "ES256"}, {"_sd": [digest]}, KEY) + "~" + reserved + "~")


def test_repeated_digest_is_refused_even_for_a_decoy() -> None:
    decoy = b64url(b"d" * 32)
    jwt = sign_jws({"alg": "ES256"}, {"a": {"_sd": [decoy]}, "b": {"_sd": [decoy]}}, KEY)
    with pytest.raises(SdJwtError, match="twice"):
        parse_sd_jwt(jwt + "~")


def test_unsupported_hash_algorithm() -> None:
    jwt = sign_jws({"alg": "ES256"}, {"_sd_alg": "sha-512"}, KEY)
    with pytest.raises(SdJwtError, match="_sd_alg"):
        parse_sd_jwt(jwt + "~")


def test_unreadable_credential_has_no_id() -> None:
    with pytest.raises(WalletError) as caught:
        credential_id("dc+sd-jwt", "garbage")
    assert caught.value.code == "invalid_credential"


def test_an_independent_library_reads_the_same_claims() -> None:
    """Cross-check with the OpenWallet sd-jwt library: it parses the SD-JWT the tests build the same way."""
    sd_jwt_lib = pytest.importorskip("sd_jwt.verifier")
    from jwcrypto.jwk import JWK

    from wallet_demo.keys import public_jwk

    raw = sd_jwt(KEY, PAYLOAD)
    issuer_key = JWK(**public_jwk(KEY))
    verifier = sd_jwt_lib.SDJWTVerifier(raw, lambda iss, header: issuer_key, serialization_format="compact")
    theirs = verifier.get_verified_payload()
    ours = parse_sd_jwt(raw).claims
    assert theirs["skills"] == ours["skills"] and theirs["activity"] == ours["activity"]
