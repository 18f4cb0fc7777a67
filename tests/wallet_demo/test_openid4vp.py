"""OpenID4VP request links and request objects: what the wallet accepts, and every refusal's code."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.wallet_demo.verifier_fake import BASE, CLIENT_ID, DID, NOW, FakeVerifier, dcql, link
from wallet_demo.issuer_keys import did_web_url
from wallet_demo.jose import b64url
from wallet_demo.openid4vp import (
    RequestError,
    RequestLink,
    fetch_request_object,
    parse_request_link,
    verifier_host,
    verify_request,
)
from wallet_demo.remote import Remote


def _verify(verifier: FakeVerifier, token: str, client_id: str = CLIENT_ID, now: int = NOW) -> Any:
    def resolve(did: str) -> dict[str, Any]:
        assert did == DID
        return verifier.document

    return verify_request(
        token,
        RequestLink(client_id=client_id, request_uri=f"{BASE}/r"),
        resolve=resolve,
        now=now,
        allow_http=False,
    )


def _refused(verifier: FakeVerifier, token: str, code: str, **kwargs: Any) -> str:
    with pytest.raises(RequestError) as caught:
        _verify(verifier, token, **kwargs)
    assert caught.value.code == code, caught.value.detail
    return caught.value.detail


@pytest.mark.parametrize("key_type", ["P-256", "Ed25519"])
def test_a_signed_request_is_read(key_type: str) -> None:
    verifier = FakeVerifier(key_type)
    request = _verify(verifier, verifier.sign(verifier.payload()))
    assert request.client_id == CLIENT_ID and request.did == DID and request.verifier == "verifier.test"
    assert request.nonce == "nonce-req-1" and request.state == "state-req-1"
    assert request.response_uri == f"{BASE}/verify/wallet/responses/req-1"
    assert request.expires_at == NOW + 600
    query = request.dcql.credentials[0]
    assert query.id == "volunteer_skills" and query.required == {"skills", "activity", "role"}


def test_wrong_typ_is_refused() -> None:
    verifier = FakeVerifier()
    assert "typ" in _refused(verifier, verifier.sign(verifier.payload(), typ="JWT"), "request_unverified")
    assert "typ" in _refused(verifier, verifier.sign(verifier.payload(), typ=None), "request_unverified")


def test_signature_by_another_key_is_refused() -> None:
    verifier, stranger = FakeVerifier(), FakeVerifier()
    token = verifier.sign(verifier.payload(), key=stranger.key)
    assert "signature" in _refused(verifier, token, "request_unverified")
    # A tampered payload under the right signature.
    header, _, signature = verifier.sign(verifier.payload()).split(".")
    body = verifier.sign(verifier.payload(nonce="other")).split(".")[1]
    _refused(verifier, f"{header}.{body}.{signature}", "request_unverified")


def test_alg_none_hmac_and_a_foreign_kid_are_refused() -> None:
    verifier = FakeVerifier()
    token = verifier.sign(verifier.payload())
    header = {"typ": "oauth-authz-req+jwt", "alg": "none", "kid": verifier.kid}
    unsigned = f"{b64url(json.dumps(header).encode())}.{token.split('.')[1]}."
    assert "alg" in _refused(verifier, unsigned, "request_unverified")
    # HMAC keyed with the public key (the classic confusion) never reaches a signature check.
    header = {"typ": "oauth-authz-req+jwt", "alg": "HS256", "kid": verifier.kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{token.split('.')[1]}"
    mac = hmac.new(json.dumps(verifier.document).encode(), signing_input.encode(), hashlib.sha256).digest()
    assert "alg" in _refused(verifier, f"{signing_input}.{b64url(mac)}", "request_unverified")
    other = verifier.sign(verifier.payload(), kid="did:web:evil.example#verifier-key-1")
    assert "kid" in _refused(verifier, other, "request_unverified")
    no_fragment = verifier.sign(verifier.payload(), kid=DID)
    _refused(verifier, no_fragment, "request_unverified")
    unknown_key = verifier.sign(verifier.payload(), kid=f"{DID}#nope")
    assert "does not publish" in _refused(verifier, unknown_key, "request_unverified")
    # An EdDSA header over an ES256 key.
    assert "alg" in _refused(verifier, _swap_alg(verifier), "request_unverified")


def _swap_alg(verifier: FakeVerifier) -> str:
    token = verifier.sign(verifier.payload())
    header = {"typ": "oauth-authz-req+jwt", "alg": "EdDSA", "kid": verifier.kid}
    parts = token.split(".")
    return ".".join([b64url(json.dumps(header).encode()), parts[1], parts[2]])


def test_client_id_mismatch_is_refused() -> None:
    verifier = FakeVerifier()
    other = "decentralized_identifier:did:web:other.test"
    token = verifier.sign(verifier.payload(client_id=other))
    assert "client_id" in _refused(verifier, token, "request_unverified")
    # The link names another DID than the key's: refused before the signature is even checked.
    _refused(verifier, verifier.sign(verifier.payload()), "request_unverified", client_id=other)


def test_expired_request_is_refused() -> None:
    verifier = FakeVerifier()
    token = verifier.sign(verifier.payload())
    _refused(verifier, token, "request_expired", now=NOW + 600)
    assert _verify(verifier, token, now=NOW + 599).nonce == "nonce-req-1"
    _refused(verifier, verifier.sign(verifier.payload(exp="soon")), "request_invalid")


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"response_type": "vp_token id_token"}, "unsupported_request", "response_type"),
        ({"response_mode": "direct_post.jwt"}, "unsupported_request", "response_mode"),
        ({"response_mode": None}, "unsupported_request", "response_mode"),
        ({"response_uri": None}, "request_invalid", "response_uri"),
        ({"response_uri": "ftp://verifier.test/x"}, "request_invalid", "response_uri"),
        ({"response_uri": "http://verifier.test/x"}, "request_http_not_allowed", "http"),
        ({"redirect_uri": "https://verifier.test/x"}, "request_invalid", "redirect_uri"),
        ({"nonce": None}, "request_invalid", "nonce"),
        ({"nonce": ""}, "request_invalid", "nonce"),
        ({"state": 5}, "request_invalid", "state"),
        ({"dcql_query": None, "presentation_definition": {"id": "x"}}, "unsupported_request", "dcql_query"),
        ({"dcql_query": {"credentials": []}}, "request_invalid", "credentials"),
        (
            {"dcql_query": dcql(claim_sets=[["skills", "nowhere"]])},
            "request_invalid",
            "claim set",
        ),
    ],
)
def test_request_parameters_are_checked(overrides: dict[str, Any], code: str, words: str) -> None:
    verifier = FakeVerifier()
    assert words in _refused(verifier, verifier.sign(verifier.payload(**overrides)), code)


def test_document_of_another_did_is_refused() -> None:
    verifier = FakeVerifier()
    document = {**verifier.document, "id": "did:web:evil.example"}
    with pytest.raises(RequestError) as caught:
        verify_request(
            verifier.sign(verifier.payload()),
            RequestLink(client_id=CLIENT_ID, request_uri=f"{BASE}/r"),
            resolve=lambda did: document,
            now=NOW,
            allow_http=False,
        )
    assert caught.value.code == "request_unverified"


def test_links() -> None:
    parsed = parse_request_link(link("abc"), allow_http=False)
    assert parsed.client_id == CLIENT_ID and parsed.request_uri == f"{BASE}/verify/wallet/requests/abc"
    assert parsed.request_uri_method == "get"
    assert parse_request_link(link(request_uri_method="post"), allow_http=False).request_uri_method == "post"
    assert parse_request_link(link(request_uri_method="GET"), allow_http=False).request_uri_method == "get"
    https = "https://wallet.example/authorize?" + link().split("?", 1)[1]
    assert parse_request_link(https, allow_http=False).client_id == CLIENT_ID
    by_value = f"openid4vp://?client_id={quote(CLIENT_ID)}&request=eyJ.eyJ.sig"
    assert parse_request_link(by_value, allow_http=False).request == "eyJ.eyJ.sig"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_request_link"),
        ("bonjour", "not_a_request"),
        ("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx", "not_a_request"),
        ("openid4vp://?request_uri=https%3A%2F%2Fverifier.test%2Fr", "request_invalid"),
        (
            "openid4vp://?client_id="
            + quote(CLIENT_ID)
            + "&response_type=vp_token&nonce=n&dcql_query=%7B%7D",
            "unsigned_request",
        ),
        (link(client_id="x509_san_dns:verifier.test"), "unsupported_client"),
        (link(client_id="redirect_uri:https://verifier.test/cb"), "unsupported_client"),
        (link(client_id="decentralized_identifier:did:key:z6Mk"), "unsupported_client"),
        (link(client_id="verifier.test"), "unsupported_client"),
        (link(request_uri_method="put"), "request_invalid"),
        (
            "openid4vp://?client_id=" + quote(CLIENT_ID) + "&request_uri=http%3A%2F%2Fverifier.test%2Fr",
            "request_http_not_allowed",
        ),
    ],
)
def test_link_refusals(text: str, code: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_request_link(text, allow_http=False)
    assert caught.value.code == code


def test_did_web_locations() -> None:
    assert did_web_url("did:web:127.0.0.1%3A8000", "http") == "http://127.0.0.1:8000/.well-known/did.json"
    assert (
        did_web_url("did:web:example.org:verifiers:a", "https") == "https://example.org/verifiers/a/did.json"
    )
    assert verifier_host("did:web:127.0.0.1%3A8000") == "127.0.0.1:8000"
    assert verifier_host("did:web:example.org:verifiers:a") == "example.org"


def test_request_uri_method_post_sends_the_wallet_metadata() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="a.b.c")

    remote = Remote(httpx.Client(transport=httpx.MockTransport(handler)), allow_http=False)
    parsed = parse_request_link(link(request_uri_method="post"), allow_http=False)
    assert fetch_request_object(remote, parsed) == "a.b.c"
    assert seen[0].method == "POST"
    form = dict(httpx.QueryParams(seen[0].content.decode()))
    assert "dc+sd-jwt" in json.loads(form["wallet_metadata"])["vp_formats_supported"]
    assert "oauth-authz-req+jwt" in seen[0].headers["accept"]
    fetch_request_object(remote, parse_request_link(link(), allow_http=False))
    assert seen[1].method == "GET"


@pytest.mark.parametrize(
    ("status", "code"), [(404, "request_not_found"), (410, "request_not_found"), (500, "request_refused")]
)
def test_request_uri_errors(status: int, code: str) -> None:
    answer = httpx.Response(status, json={"error": "invalid_request", "error_description": "gone"})
    remote = Remote(httpx.Client(transport=httpx.MockTransport(lambda r: answer)), allow_http=False)
    with pytest.raises(RequestError) as caught:
        fetch_request_object(remote, parse_request_link(link(), allow_http=False))
    assert caught.value.code == code


def test_vp_formats_supported_decides_which_algorithms_answer() -> None:
    verifier = FakeVerifier()
    only_eddsa = {"vp_formats_supported": {"dc+sd-jwt": {"kb-jwt_alg_values": ["EdDSA"]}}}
    request = _verify(verifier, verifier.sign(verifier.payload(client_metadata=only_eddsa)))
    assert request.accepts("ES256", "EdDSA") and not request.accepts("ES256", "ES256")
    other_format = {"vp_formats_supported": {"mso_mdoc": {}}}
    assert not _verify(verifier, verifier.sign(verifier.payload(client_metadata=other_format))).accepts(
        "ES256", "ES256"
    )
    assert _verify(verifier, verifier.sign(verifier.payload(client_metadata=None))).accepts("ES256", "ES256")
