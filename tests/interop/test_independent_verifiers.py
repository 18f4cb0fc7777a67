"""Every issued vc+jwt and status list is verified by implementations skills-vc did not write:
npm ``jose`` (compactVerify, keys from the DID document) and the Python ``joserfc`` library; the
status bitstring is decoded by Node's zlib."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey, OKPKey

from tests.conftest import Platform
from tests.interop.conftest import run_node


def _jwk_for(platform: Platform, kid: str) -> dict[str, Any]:
    slug = kid.split(":issuers:")[1].split("#")[0]
    document = platform.client.get(f"/issuers/{slug}/did.json").json()
    method = next(m for m in document["verificationMethod"] if m["id"] == kid)
    return dict(method["publicKeyJwk"])


def _path(url: str) -> str:
    return url.removeprefix("https://skills-vc.test")


@pytest.fixture
def corpus(platform: Platform) -> dict[str, Any]:
    """Credentials of both key types, a VC API credential, and their status lists."""
    ed = platform.register("ed-asbl")
    es = platform.register("es-vzw", key_type="P-256")
    issued = [platform.issue(ed), platform.issue(ed), platform.issue(es)]
    generic = (
        platform.client.post(
            "/credentials/issue",
            json={
                "credential": {
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiableCredential"],
                    "credentialSubject": {"id": "did:example:v"},
                }
            },
            headers=ed["headers"],
        )
        .json()["verifiableCredential"]["id"]
        .split(",", 1)[1]
    )
    revoked = issued[1]
    platform.client.post(
        f"/credentials/{revoked['id']}/revoke", json={"reason": "test"}, headers=ed["headers"]
    )
    suspended = issued[2]
    platform.client.post(
        f"/credentials/{suspended['id']}/suspend", json={"reason": "test"}, headers=es["headers"]
    )
    tokens = {f"credential-{i}": item["jwt"] for i, item in enumerate(issued)}
    tokens["vc-api"] = generic
    for item in (issued[0], issued[2]):
        for purpose, url in item["status_lists"].items():
            response = platform.client.get(_path(url))
            assert response.status_code == 200
            tokens[f"list-{item['id']}-{purpose}"] = response.text
    return {"tokens": tokens, "revoked": revoked, "suspended": suspended, "issued": issued}


def _node_input(platform: Platform, tokens: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for name, token in tokens.items():
        header = jwt.get_unverified_header(token)
        out.append(
            {"name": name, "jwt": token, "jwk": _jwk_for(platform, header["kid"]), "alg": header["alg"]}
        )
    return out


@pytest.mark.interop
def test_npm_jose_verifies_every_token(platform: Platform, corpus: dict[str, Any]) -> None:
    tokens = corpus["tokens"]
    items = _node_input(platform, tokens)
    tampered = dict(
        items[0],
        name="tampered",
        jwt=items[0]["jwt"][:-8] + ("AAAAAAAA" if not items[0]["jwt"].endswith("AAAAAAAA") else "BBBBBBBB"),
    )
    result = run_node({"tokens": [*items, tampered]})
    by_name = {r["name"]: r for r in result["tokens"]}
    assert by_name["tampered"]["ok"] is False  # the independent verifier can say no
    for name, token in tokens.items():
        verdict = by_name[name]
        assert verdict["ok"] is True, verdict
        assert verdict["header"]["typ"] == "vc+jwt"
        assert verdict["payload"] == jwt.decode(token, options={"verify_signature": False})
        issuer = verdict["payload"]["issuer"]
        assert verdict["payload"]["iss"] == (issuer if isinstance(issuer, str) else issuer["id"])
        assert verdict["header"]["kid"].startswith(verdict["payload"]["iss"] + "#")


@pytest.mark.interop
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # RFC 9864; VC-JOSE-COSE still names EdDSA
def test_joserfc_verifies_every_token(platform: Platform, corpus: dict[str, Any]) -> None:
    for token in corpus["tokens"].values():
        header = jwt.get_unverified_header(token)
        jwk = _jwk_for(platform, header["kid"])
        key = OKPKey.import_key(jwk) if jwk["kty"] == "OKP" else ECKey.import_key(jwk)
        verified = jws.deserialize_compact(token, key, algorithms=[header["alg"]])
        assert verified.headers()["typ"] == "vc+jwt"
        assert json.loads(verified.payload) == jwt.decode(token, options={"verify_signature": False})
        head, body, signature = token.split(".")
        flipped = signature[:-3] + ("A" if signature[-3] != "A" else "B") + signature[-2:]
        with pytest.raises(BadSignatureError):
            jws.deserialize_compact(".".join([head, body, flipped]), key, algorithms=[header["alg"]])


@pytest.mark.interop
def test_status_bitstrings_decoded_by_independent_code(platform: Platform, corpus: dict[str, Any]) -> None:
    lists = []
    for name, token in corpus["tokens"].items():
        if name.startswith("list-"):
            subject = jwt.decode(token, options={"verify_signature": False})["credentialSubject"]
            lists.append(
                {"name": name, "encodedList": subject["encodedList"], "purpose": subject["statusPurpose"]}
            )
    result = run_node(
        {"lists": [{"name": item["name"], "encodedList": item["encodedList"]} for item in lists]}
    )
    decoded = {item["name"]: item for item in result["lists"]}
    revoked, suspended = corpus["revoked"], corpus["suspended"]
    for item in lists:
        got = decoded[item["name"]]
        assert got["length"] >= 131_072
        list_owner = next(c for c in corpus["issued"] if item["name"].startswith(f"list-{c['id']}"))
        same_association = list_owner["issuer"]
        expected = []
        for target, purpose in ((revoked, "revocation"), (suspended, "suspension")):
            if target["issuer"] == same_association and item["purpose"] == purpose:
                expected.append(target["status_list_index"])
        assert got["set"] == sorted(expected), item["name"]
