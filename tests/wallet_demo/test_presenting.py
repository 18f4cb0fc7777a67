"""Presentations: which disclosures a choice takes, the KB-JWT, and DCQL claim sets.

The presentations are checked by two verifiers the wallet does not share code with: the service's
own SD-JWT code (``skills_vc.core.sdjwt``) and the OpenWallet Foundation's ``sd-jwt`` library.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from skills_vc.core import sdjwt as service_sdjwt
from tests.wallet_demo.builders import ISSUER, FakeIssuer, disclosure, sd_jwt
from tests.wallet_demo.verifier_fake import CLAIM_SETS, CLAIMS, CLIENT_ID, NOW, FakeVerifier, dcql
from wallet_demo.dcql import DcqlError, parse_dcql, select_path
from wallet_demo.jose import b64url, jwk_thumbprint, read_jws, sign_jws, verify_jws
from wallet_demo.keys import HolderKey, generate, public_jwk
from wallet_demo.openid4vp import RequestLink, verify_request
from wallet_demo.presenting import disclosures_for, kb_jwt, presentation, sd_hash
from wallet_demo.sdjwt import SdJwt, parse_sd_jwt
from wallet_demo.sharing import claim_choices, disclosed_claims, match_request
from wallet_demo.store import StoredCard, StoredCredential


def _credential(holder: HolderKey) -> tuple[SdJwt, ec.EllipticCurvePrivateKey]:
    issuer = FakeIssuer()
    return parse_sd_jwt(
        sd_jwt(issuer.key, issuer.credential_payload(), holder_jwk=holder.public_jwk)
    ), issuer.key


def _names(found: list[Any] | None) -> list[Any]:
    assert found is not None
    return [d.name if d.name is not None else d.value.get("uri", "?")[-8:] for d in found]


def test_disclosures_for_each_kind_of_path() -> None:
    sd, _ = _credential(generate("P-256"))
    skills = disclosures_for(sd, [("skills",)])
    assert skills is not None and len(skills) == 2 and all(d.name is None for d in skills)
    assert disclosures_for(sd, [("skills", None)]) == skills
    first = disclosures_for(sd, [("skills", 0)])
    assert first is not None and [d.value["uri"] for d in first] == [sd.claims["skills"][0]["uri"]]
    assert disclosures_for(sd, [("skills", 5)]) is None
    assert _names(disclosures_for(sd, [("activity", "title")])) == ["title"]  # no parent disclosure
    assert _names(disclosures_for(sd, [("volunteer", "name")])) == ["name"]
    assert disclosures_for(sd, [("association", "name")]) == []  # not selectively disclosable
    assert disclosures_for(sd, [("volunteer", "email")]) is None  # not in this credential
    assert disclosures_for(sd, [("nowhere",)]) is None
    both = disclosures_for(sd, [("activity", "role"), ("activity", "title"), ("activity", "role")])
    assert _names(both) == ["title", "role"]  # issued order, each once
    whole = disclosures_for(sd, [("activity",)])
    assert sorted(_names(whole)) == ["end_date", "hours", "role", "start_date", "title"]


def test_nested_disclosures_take_their_parents() -> None:
    """A hidden object holding hidden members: a member needs its parent's disclosure too."""
    key = ec.generate_private_key(ec.SECP256R1())
    title, title_digest = disclosure("salt-title", "title", "Couture")
    role, role_digest = disclosure("salt-role", "role", "Couturière")
    activity, activity_digest = disclosure("salt-activity", "activity", {"_sd": [title_digest, role_digest]})
    token = sign_jws(
        {"typ": "dc+sd-jwt", "alg": "ES256"},
        {"iss": ISSUER, "_sd": [activity_digest], "_sd_alg": "sha-256"},
        key,
    )
    sd = parse_sd_jwt(f"{token}~{title}~{activity}~{role}~")
    found = disclosures_for(sd, [("activity", "title")])
    assert found is not None and [d.raw for d in found] == [title, activity]


def test_kb_jwt_and_sd_hash() -> None:
    holder = generate("P-256")
    sd, _ = _credential(holder)
    chosen = disclosures_for(sd, [("skills",), ("activity", "title")])
    assert chosen is not None
    text = presentation(sd, chosen, holder, audience=CLIENT_ID, nonce="n-1", now=NOW)
    issuer_jwt = sd.raw.split("~")[0]
    presented, _, kb = text.rpartition("~")
    presented += "~"
    assert presented == issuer_jwt + "~" + "".join(d.raw + "~" for d in chosen)
    expected = b64url(hashlib.sha256(presented.encode("ascii")).digest())
    assert sd_hash(presented) == expected
    jws = read_jws(kb)
    assert jws.header == {"typ": "kb+jwt", "alg": "ES256"}
    assert jws.payload == {"iat": NOW, "aud": CLIENT_ID, "nonce": "n-1", "sd_hash": expected}
    verify_jws(jws, holder.public_jwk)
    # No disclosure at all: the KB-JWT still covers "<jwt>~".
    bare = presentation(sd, [], holder, audience=CLIENT_ID, nonce="n", now=NOW)
    assert bare.count("~") == 1 and read_jws(bare.split("~")[1]).payload["sd_hash"] == sd_hash(
        issuer_jwt + "~"
    )
    assert kb_jwt(holder, "x~", audience="a", nonce="b", now=1).count(".") == 2


@pytest.mark.parametrize("key_type", ["P-256", "Ed25519"])
def test_the_service_reads_the_presentation(key_type: str) -> None:
    holder = generate(key_type)  # type: ignore[arg-type]
    sd, _ = _credential(holder)
    chosen = disclosures_for(sd, [("skills",), ("activity", "title"), ("activity", "role")])
    assert chosen is not None
    text = presentation(sd, chosen, holder, audience=CLIENT_ID, nonce="n-2", now=NOW)
    issuer_jwt, encoded, kb = service_sdjwt.split(text)
    claims, count = service_sdjwt.disclose(read_jws(issuer_jwt).payload, encoded)
    assert count == 4
    assert set(claims["activity"]) == {"language", "title", "role"}
    assert "volunteer" not in claims or claims["volunteer"] == {}
    assert len(claims["skills"]) == 2
    binding = service_sdjwt.verify_key_binding(text, kb, claims["cnf"], now=NOW)
    assert binding.aud == CLIENT_ID and binding.nonce == "n-2"
    # A disclosure dropped after signing breaks sd_hash.
    tampered = text.replace(encoded[0] + "~", "", 1)
    with pytest.raises(service_sdjwt.SdJwtError) as caught:
        service_sdjwt.verify_key_binding(tampered, kb, claims["cnf"], now=NOW)
    assert caught.value.code == "key_binding_sd_hash"


def test_the_openwallet_library_reads_the_presentation() -> None:
    from jwcrypto.jwk import JWK
    from sd_jwt.verifier import SDJWTVerifier

    holder = generate("P-256")  # sd-jwt-python checks KB-JWTs with ES256 only
    sd, issuer_key = _credential(holder)
    chosen = disclosures_for(sd, [("skills",), ("volunteer", "name")])
    assert chosen is not None
    text = presentation(sd, chosen, holder, audience=CLIENT_ID, nonce="n-3", now=NOW)
    issuer = JWK(**public_jwk(issuer_key))
    shown = SDJWTVerifier(text, lambda iss, header: issuer, CLIENT_ID, "n-3").get_verified_payload()
    assert shown["volunteer"] == {"name": "Aïcha Benali"}
    assert "title" not in shown["activity"] and len(shown["skills"]) == 2
    with pytest.raises(ValueError, match="nonce"):
        SDJWTVerifier(text, lambda iss, header: issuer, CLIENT_ID, "other")


def test_claim_sets_required_optional_and_the_set_chosen() -> None:
    query = parse_dcql(dcql()).credentials[0]
    assert query.required == {"skills", "activity", "role"}
    assert set(query.asked) - query.required == {"name", "start", "end"}
    base = {"skills", "activity", "role"}
    assert query.chosen_set(base | {"name", "start", "end"}) == set(CLAIM_SETS[0])
    assert query.chosen_set(base | {"start", "end"}) == set(CLAIM_SETS[1])
    assert query.chosen_set(base) == base
    assert query.chosen_set({"skills", "activity", "name"}) is None  # role is required
    # Only some combinations: a choice between them takes the first one inside it, never more.
    picky = parse_dcql(dcql(claim_sets=[["skills", "name"], ["skills", "start"]])).credentials[0]
    assert picky.required == {"skills"}
    assert picky.chosen_set({"skills", "name", "start"}) == {"skills", "name"}
    assert picky.chosen_set({"skills"}) is None
    # No claim_sets: every claim is required.
    every = parse_dcql(dcql(claim_sets=None)).credentials[0]
    assert every.required == {c["id"] for c in CLAIMS}
    assert every.chosen_set(set(every.required) - {"name"}) is None
    # Claims asked for outside any claim set are not offered.
    extra = parse_dcql(dcql(claim_sets=[["skills"]])).credentials[0]
    assert extra.asked == ("skills",)


def test_the_volunteers_choice_becomes_a_claim_set() -> None:
    holder = generate("P-256")
    sd, _ = _credential(holder)
    claims = [
        *CLAIMS,
        {"id": "association", "path": ["association", "name"]},
        {"id": "email", "path": ["volunteer", "email"]},
    ]
    sets = [
        [c["id"] for c in claims],
        ["skills", "activity", "role", "association"],
        ["skills", "activity", "role"],
    ]
    query = parse_dcql(dcql(claims=claims, claim_sets=sets)).credentials[0]
    choices = {c.claim_id: c for c in claim_choices(query, sd)}
    assert choices["skills"].required and not choices["skills"].optional
    assert choices["name"].optional and choices["name"].values == ("Aïcha Benali",)
    assert choices["association"].always and not choices["association"].optional  # no disclosure: always seen
    assert not choices["email"].available
    # The name unticked: the email is missing, so the first set is out; the association is always
    # shown, so the set with it is the one disclosed.
    picked = disclosed_claims(query, sd, {"start", "end"})
    assert picked == {"skills", "activity", "role", "association"}


def test_matching_cards_by_vct_and_algorithms() -> None:
    holder = generate("P-256")
    sd, _ = _credential(holder)
    card = StoredCard(
        id="urn:uuid:1",
        credential_issuer=ISSUER,
        issuer_display=[],
        holder_kid=jwk_thumbprint(holder.public_jwk),
        paper_qr=None,
        received_at=datetime(2026, 1, 1),
        credentials=(StoredCredential("urn:uuid:1", "c", "dc+sd-jwt", sd.raw, datetime(2026, 1, 1)),),
    )
    verifier = FakeVerifier()

    def request(**overrides: Any) -> Any:
        token = verifier.sign(verifier.payload(**overrides))
        link = RequestLink(client_id=CLIENT_ID, request_uri="https://verifier.test/r")
        return verify_request(token, link, resolve=lambda did: verifier.document, now=NOW, allow_http=False)

    matched = match_request(request(), [card])
    assert matched.can_answer and matched.answers[0].cards == (card,)
    other_type = match_request(request(dcql_query=dcql(vct="https://elsewhere/vct/other")), [card])
    assert not other_type.can_answer and [q.id for q in other_type.missing] == ["volunteer_skills"]
    eddsa_only = {"vp_formats_supported": {"dc+sd-jwt": {"kb-jwt_alg_values": ["EdDSA"]}}}
    assert not match_request(request(client_metadata=eddsa_only), [card]).can_answer
    needs_email = dcql(claims=[{"id": "email", "path": ["volunteer", "email"]}], claim_sets=None)
    assert not match_request(request(dcql_query=needs_email), [card]).can_answer
    mdoc = {"credentials": [{"id": "mdl", "format": "mso_mdoc", "meta": {"doctype_value": "x"}}]}
    assert not match_request(request(dcql_query=mdoc), [card]).can_answer
    # credential_sets: the optional set is left out, the required one answered.
    two = {
        "credentials": [dcql()["credentials"][0], {**mdoc["credentials"][0]}],
        "credential_sets": [
            {"options": [["mdl"], ["volunteer_skills"]]},
            {"options": [["mdl"]], "required": False},
        ],
    }
    chosen = match_request(request(dcql_query=two), [card])
    assert chosen.can_answer and [a.query.id for a in chosen.answers] == ["volunteer_skills"]


@pytest.mark.parametrize(
    "query",
    [
        {"credentials": [{"id": "a b", "format": "dc+sd-jwt"}]},
        {"credentials": [{"id": "a", "format": "dc+sd-jwt"}, {"id": "a", "format": "dc+sd-jwt"}]},
        {"credentials": [{"id": "a", "format": "dc+sd-jwt", "claims": [{"path": []}]}]},
        {"credentials": [{"id": "a", "format": "dc+sd-jwt", "claims": [{"path": ["x", True]}]}]},
        {"credentials": [{"id": "a", "format": "dc+sd-jwt", "claims": [{"path": ["x", -1]}]}]},
        {"credentials": [{"id": "a", "format": "dc+sd-jwt", "claim_sets": [["x"]]}]},
        {"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": "x"}}]},
        {"credentials": [{"id": "a", "format": "dc+sd-jwt"}], "credential_sets": [{"options": [["b"]]}]},
        {"credentials": "x"},
    ],
)
def test_dcql_that_cannot_be_read(query: dict[str, Any]) -> None:
    with pytest.raises(DcqlError):
        parse_dcql(json.loads(json.dumps(query)))


def test_select_path() -> None:
    root = {"a": [{"b": 1}, {"c": 2}, {"b": 3}], "d": {"e": "x"}}
    assert select_path(root, ("a", None, "b")) == [1, 3]
    assert select_path(root, ("a", 1, "c")) == [2]
    assert select_path(root, ("d", "e")) == ["x"]
    assert select_path(root, ("d", "nope")) == []
    assert select_path(root, ("d", 0)) == []


def test_a_pending_request_is_taken_once(tmp_path: Any) -> None:
    from wallet_demo.store import Store

    store = Store(tmp_path / "w.db")
    now = datetime(2026, 1, 1, 9, 0)
    store.add_pending_request("r", {"a": 1}, now, datetime(2026, 1, 1, 9, 10))
    taken = store.take_pending_request("r")
    assert taken is not None and taken[0] == {"a": 1}
    assert store.take_pending_request("r") is None  # a second click finds nothing to send
    store.restore_pending_request("r", taken)  # the answer failed: the volunteer may try again
    assert store.pending_request("r", now=now) == {"a": 1}
    assert store.pending_request("r", now=datetime(2026, 1, 1, 9, 10)) is None  # expired
