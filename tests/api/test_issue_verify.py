"""Issue an Open Badges 3.0 credential over HTTP and verify it: the happy paths."""

from __future__ import annotations

import jwt
import pytest
from jsonschema import Draft201909Validator, Draft202012Validator

from skills_vc.core.schema import OB3_SCHEMA_FILE, VC2_SCHEMA_FILE, validate_credential
from skills_vc.published import load_schema
from tests.conftest import MANAGE_VOLUNTEERS, Platform, check


def test_issued_credential_is_an_ob3_vc2_credential_and_verifies(platform: Platform) -> None:
    asbl = platform.register("couturieres")
    issued = platform.issue(asbl)
    credential = issued["credential"]

    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == asbl["did"] == "did:web:skills-vc.test:issuers:couturieres"
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["activityStartDate"] == "2020-03-23T00:00:00Z"
    assert subject["activityEndDate"] == "2020-06-30T00:00:00Z"
    assert subject["role"] == "Couturière bénévole"
    achievement = subject["achievement"]
    assert achievement["achievementType"] == "CommunityService"
    assert achievement["criteria"]["narrative"]
    alignment = achievement["alignment"][0]
    assert alignment == {
        "type": ["Alignment"],
        "targetType": "ext:ESCOSkill",
        "targetFramework": "ESCO v1.1.1",
        "targetCode": "e5eb5b7c-bc7f-4c25-820f-f9bdef888b86",
        "targetUrl": "http://data.europa.eu/esco/skill/e5eb5b7c-bc7f-4c25-820f-f9bdef888b86",
        # The ESCO label in the activity's language (French here), from the packaged index.
        "targetName": "coudre des vêtements de protection professionnels",
    }
    activity = platform.client.get(f"/activities/{issued['activity_id']}", headers=asbl["headers"]).json()
    assert activity["skills"][0]["label"] == alignment["targetName"]
    # The mapper's suggestions for the description are kept with the record.
    assert activity["suggested_skills"] and all("score" in s for s in activity["suggested_skills"])
    assert "Marie Dubois" in credential["evidence"][0]["narrative"]
    assert "240 hours" in credential["evidence"][0]["narrative"]
    statuses = credential["credentialStatus"]
    assert [s["statusPurpose"] for s in statuses] == ["revocation", "suspension"]
    assert statuses[0]["statusListIndex"] == str(issued["status_list_index"])
    assert credential["credentialSchema"][0]["type"] == "JsonSchema"
    assert len(validate_credential(credential)) == 3  # VC 2.0, OB 3.0 and our subject schema
    # A second, independent JSON Schema implementation agrees.
    vc2 = Draft202012Validator(load_schema(VC2_SCHEMA_FILE))
    assert [e.message for e in vc2.iter_errors(credential)] == []

    status, report = platform.verify(issued["verifiable_credential"])
    assert status == 200, report
    assert report["verified"] is True
    assert [c["check"] for c in report["checks"]] == [
        "signature",
        "issuer_trusted",
        "validity_period",
        "status",
        "schema",
    ]
    for item in report["checks"]:
        assert item["status"] == "passed"
        assert set(item["message"]) == {"fr", "nl", "en"}


def test_vc_jwt_header_and_payload_follow_vc_jose_cose(platform: Platform) -> None:
    asbl = platform.register()
    issued = platform.issue(asbl)
    token = issued["jwt"]
    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})
    assert header["typ"] == "vc+jwt"
    assert header["alg"] == "EdDSA"
    assert header["kid"].startswith(asbl["did"] + "#")
    assert payload["iss"] == asbl["did"]
    assert "vc" not in payload
    assert payload["credentialSubject"] == issued["credential"]["credentialSubject"]
    assert issued["verifiable_credential"]["id"] == "data:application/vc+jwt," + token


def test_es256_association_signs_with_es256(platform: Platform) -> None:
    asbl = platform.register(key_type="P-256")
    issued = platform.issue(asbl)
    assert jwt.get_unverified_header(issued["jwt"])["alg"] == "ES256"
    status, report = platform.verify(issued["jwt"])
    assert status == 200 and report["verified"], report


def test_ob3_credential_with_one_status_entry_validates_against_the_unmodified_schema(
    platform: Platform, tmp_path, db, clock
) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from skills_vc.api.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(tmp_path, status_purposes=["revocation"]), clock=clock, engine=db)
    with TestClient(app) as client:
        single = Platform(client, clock)
        issued = single.issue(single.register("single-status"))
    credential = issued["credential"]
    assert isinstance(credential["credentialStatus"], dict)
    validator = Draft201909Validator(load_schema(OB3_SCHEMA_FILE))
    assert [e.message for e in validator.iter_errors(credential)] == []
    # The same credential with both purposes (a VC 2.0 set) fails the unmodified OB 3.0 schema.
    assert not validator.is_valid({**credential, "credentialStatus": [credential["credentialStatus"]] * 2})


def test_did_document_lists_the_key_that_signed(platform: Platform) -> None:
    asbl = platform.register("digital-for-all")
    issued = platform.issue(asbl)
    response = platform.client.get("/issuers/digital-for-all/did.json")
    assert response.status_code == 200
    document = response.json()
    assert document["id"] == asbl["did"]
    kid = jwt.get_unverified_header(issued["jwt"])["kid"]
    assert kid in document["assertionMethod"]
    method = next(m for m in document["verificationMethod"] if m["id"] == kid)
    assert method["publicKeyJwk"]["crv"] == "Ed25519"
    assert "d" not in method["publicKeyJwk"]


def test_key_rotation_keeps_old_credentials_verifiable(platform: Platform) -> None:
    asbl = platform.register()
    old = platform.issue(asbl)
    response = platform.client.post(
        f"/associations/{asbl['slug']}/keys/rotate", json={"key_type": "P-256"}, headers=asbl["headers"]
    )
    assert response.status_code == 200, response.text
    keys = response.json()["keys"]
    assert len(keys) == 2 and keys[0]["retired_at"] is not None and keys[1]["retired_at"] is None
    new = platform.issue(asbl)
    assert jwt.get_unverified_header(new["jwt"])["kid"] != jwt.get_unverified_header(old["jwt"])["kid"]
    document = platform.client.get(f"/issuers/{asbl['slug']}/did.json").json()
    assert len(document["verificationMethod"]) == 2
    for issued in (old, new):
        status, report = platform.verify(issued["jwt"])
        assert status == 200, report


def test_vc_api_issue_adds_status_and_returns_an_envelope(platform: Platform) -> None:
    asbl = platform.register()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "issuer": asbl["did"],
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    }
    response = platform.client.post(
        "/credentials/issue", json={"credential": credential, "options": {}}, headers=asbl["headers"]
    )
    assert response.status_code == 201, response.text
    envelope = response.json()["verifiableCredential"]
    assert envelope["type"] == "EnvelopedVerifiableCredential"
    payload = jwt.decode(envelope["id"].split(",", 1)[1], options={"verify_signature": False})
    assert payload["credentialStatus"][0]["type"] == "BitstringStatusListEntry"
    assert payload["id"].startswith("urn:uuid:")
    status, report = platform.verify(envelope)
    assert status == 200, report


def test_an_association_sees_only_its_own_records(platform: Platform) -> None:
    first = platform.register()
    second = platform.register()
    issued = platform.issue(first, skills=[MANAGE_VOLUNTEERS])
    assert platform.client.get(f"/credentials/{issued['id']}", headers=second["headers"]).status_code == 404
    revoke = platform.client.post(
        f"/credentials/{issued['id']}/revoke", json={"reason": "x"}, headers=second["headers"]
    )
    assert revoke.status_code == 404 and revoke.json()["error"] == "credential_not_found"
    assert platform.client.get("/credentials", headers=second["headers"]).json() == []
    assert [c["id"] for c in platform.client.get("/credentials", headers=first["headers"]).json()] == [
        issued["id"]
    ]
    activity = issued["activity_id"]
    assert platform.client.get(f"/activities/{activity}", headers=second["headers"]).status_code == 404
    assert (
        platform.client.get(f"/volunteers/{issued['volunteer_id']}", headers=second["headers"]).status_code
        == 404
    )


@pytest.mark.parametrize("status", ["pending", "suspended", "withdrawn"])
def test_only_accredited_associations_issue(platform: Platform, status: str) -> None:
    asbl = platform.register(accredit=status != "pending")
    if status != "pending":
        platform.set_accreditation(asbl["slug"], status)
    activity = platform.activity(asbl)
    response = platform.client.post(f"/activities/{activity['id']}/credentials", headers=asbl["headers"])
    assert response.status_code == 403
    assert response.json()["error"] == "association_not_accredited"
    assert platform.client.get("/credentials", headers=asbl["headers"]).json() == []


def test_report_check_helper_is_exact(platform: Platform) -> None:
    asbl = platform.register()
    issued = platform.issue(asbl)
    _, report = platform.verify(issued["jwt"])
    assert check(report, "status")["code"] == "status_active"


def test_batch_issuance_is_all_or_nothing(platform: Platform) -> None:
    asbl = platform.register()
    ids = [platform.activity(asbl)["id"] for _ in range(5)]
    refused = platform.client.post(
        "/activities/credentials", json={"activity_ids": [*ids, "missing"]}, headers=asbl["headers"]
    )
    assert refused.status_code == 404 and refused.json()["error"] == "activity_not_found"
    assert platform.client.get("/credentials", headers=asbl["headers"]).json() == []
    response = platform.client.post(
        "/activities/credentials", json={"activity_ids": ids}, headers=asbl["headers"]
    )
    assert response.status_code == 201, response.text
    issued = response.json()
    assert [c["activity_id"] for c in issued] == ids
    assert len({c["status_list_index"] for c in issued}) == 5
    for credential in issued:
        status, report = platform.verify(credential["jwt"])
        assert status == 200, report
    listed = platform.client.get("/credentials", headers=asbl["headers"]).json()
    assert {c["id"] for c in listed} == {c["id"] for c in issued}
    assert all(c["credential"]["id"] == c["id"] for c in listed)
