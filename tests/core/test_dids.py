import pytest

from skills_vc.core.dids import VerificationKey, did_document, did_for, did_web_url, split_did_url


def test_did_web_encodes_the_port_and_resolves_to_the_issuer_path() -> None:
    did = did_for("127.0.0.1:8000", "voedselhulp-gent")
    assert did == "did:web:127.0.0.1%3A8000:issuers:voedselhulp-gent"
    assert did_web_url(did) == "https://127.0.0.1:8000/issuers/voedselhulp-gent/did.json"
    assert did_web_url("did:web:example.org") == "https://example.org/.well-known/did.json"


def test_split_did_url() -> None:
    assert split_did_url("did:web:x:issuers:y#abc") == ("did:web:x:issuers:y", "abc")
    for bad in ("did:web:x", "did:web:x#", "https://x#k"):
        with pytest.raises(ValueError):
            split_did_url(bad)


def test_document_lists_every_key_for_assertion() -> None:
    keys = [
        VerificationKey("k1", {"kty": "OKP", "crv": "Ed25519", "x": "AA"}),
        VerificationKey("k2", {"kty": "OKP", "crv": "Ed25519", "x": "BB"}),
    ]
    document = did_document("did:web:x:issuers:y", keys)
    assert document["assertionMethod"] == ["did:web:x:issuers:y#k1", "did:web:x:issuers:y#k2"]
    assert all(m["controller"] == "did:web:x:issuers:y" for m in document["verificationMethod"])
