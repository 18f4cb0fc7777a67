"""The published schemas: served as they are in ``schemas/``, valid, and true of what is issued."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from sqlalchemy import Engine

from skills_vc import published
from skills_vc.api.app import create_app
from skills_vc.core.schema import (
    OB3_SCHEMA_FILE,
    SUBJECT_SCHEMA_FILE,
    SUBJECT_SCHEMA_ID,
    SchemaViolation,
    validate_credential,
)
from skills_vc.published import SCHEMAS_DIR, load_schema, published_names
from tests.conftest import PUBLIC_URL, Clock, Platform, make_settings

SD_JWT_SCHEMA = "volunteer-activity.sd-jwt-vc.schema.json"
VCT = f"{PUBLIC_URL}/vct/volunteer-activity"
SEW = "http://data.europa.eu/esco/skill/e5eb5b7c-bc7f-4c25-820f-f9bdef888b86"


def _media_type(name: str) -> str:
    if name.endswith(".schema.json"):
        return "application/schema+json"
    return "application/cddl" if name.endswith(".cddl") else "application/json"


def _ob3_registry() -> Registry:  # type: ignore[type-arg]
    """The unmodified OB 3.0 schema under its $id, so that our subject schema's $ref resolves offline."""
    ob3 = load_schema(OB3_SCHEMA_FILE)
    return Registry().with_resource(ob3["$id"], Resource.from_contents(ob3))


# --------------------------------------------------------------------------- serving


def test_every_published_file_is_served_with_its_media_type(platform: Platform) -> None:
    names = published_names()
    assert {
        "w3c-vc-2.0.schema.json",
        "1edtech-ob-3.0-achievementcredential.schema.json",
        "ob3-credential-subject.schema.json",
        SD_JWT_SCHEMA,
        "volunteer-activity.type-metadata.json",
        "paper-qr.cddl",
        "bulk-issuance.csv.json",
    } == set(names)
    for name in names:
        response = platform.client.get(f"/schemas/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].split(";")[0] == _media_type(name)
        assert response.headers["cache-control"].startswith("public")
        if name.endswith(".json"):
            assert isinstance(json.loads(response.content), dict)
        else:
            assert "COSE_Sign1" in response.content.decode("utf-8")
        if "{PUBLIC}" not in (SCHEMAS_DIR / name).read_text("utf-8"):
            assert response.content == (SCHEMAS_DIR / name).read_bytes(), f"{name} is served as it is"


@pytest.mark.parametrize(
    "path",
    [
        "/schemas/..%2Fpyproject.toml",
        "/schemas/..%2F..%2Fpyproject.toml",
        "/schemas/%2E%2E%2Fpyproject.toml",
        "/schemas/%2Fetc%2Fpasswd",
        "/schemas/sub/w3c-vc-2.0.schema.json",
        "/schemas/README.md",
        "/schemas/w3c-vc-2.0.schema.json%00",
        "/schemas/nothing.json",
        "/schemas/",
    ],
)
def test_only_files_of_the_folder_are_served(platform: Platform, path: str) -> None:
    response = platform.client.get(path)
    assert response.status_code == 404
    assert response.json()["error"] == "schema_not_found"


def test_type_metadata_names_this_deployment_and_the_schema_it_links(platform: Platform) -> None:
    response = platform.client.get("/vct/volunteer-activity")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    assert response.headers["cache-control"].startswith("public")
    assert "{PUBLIC}" not in response.text and "{INTEGRITY}" not in response.text
    metadata = response.json()
    assert metadata["vct"] == VCT  # the URL it is served at, under the deployment's public URL
    assert metadata["schema_uri"] == f"{PUBLIC_URL}/schemas/{SD_JWT_SCHEMA}"
    schema = platform.client.get(metadata["schema_uri"].removeprefix(PUBLIC_URL)).content
    digest = base64.b64encode(hashlib.sha256(schema).digest()).decode()
    assert metadata["schema_uri#integrity"] == f"sha256-{digest}"
    # The same document under /schemas/.
    assert platform.client.get("/schemas/volunteer-activity.type-metadata.json").json() == metadata


def test_type_metadata_claims_follow_the_draft_and_the_claims_schema(platform: Platform) -> None:
    metadata = platform.client.get("/vct/volunteer-activity").json()
    assert [d["locale"] for d in metadata["display"]] == ["fr", "nl", "en"]
    for display in metadata["display"]:
        assert display["name"] and display["rendering"]["simple"]["background_color"].startswith("#")
    properties = load_schema(SD_JWT_SCHEMA)["properties"]
    sd = {tuple(claim["path"]): claim["sd"] for claim in metadata["claims"]}
    for claim in metadata["claims"]:
        assert claim["path"][0] in properties, claim["path"]
        assert [d["locale"] for d in claim["display"]] == ["fr", "nl", "en"]
        assert all(d["label"] and d["description"] for d in claim["display"])
    for name in ("iss", "vct", "cnf", "status", "association"):
        assert sd[(name,)] == "never"
    assert sd[("volunteer", "name")] == sd[("activity", "hours")] == sd[("skills", None)] == "always"
    # Exactly the claims docs/wallet.md lists under the _sd of volunteer and activity are "always".
    always = {path for path, value in sd.items() if value == "always"}
    assert always == {
        ("volunteer", "name"),
        ("volunteer", "email"),
        *(("activity", c) for c in ("title", "description", "role", "start_date", "end_date", "hours")),
        ("activity", "tasks"),
        ("activity", "location"),
        ("skills", None),
    }


def test_public_url_with_a_trailing_slash(db: Engine, clock: Clock, tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, public_url=PUBLIC_URL + "/"), clock=clock, engine=db)
    with TestClient(app) as client:
        metadata = client.get("/vct/volunteer-activity").json()
    assert metadata["vct"] == VCT
    assert metadata["schema_uri"] == f"{PUBLIC_URL}/schemas/{SD_JWT_SCHEMA}"


# --------------------------------------------------------------------------- the JSON Schemas


@pytest.mark.parametrize("name", [n for n in published_names() if n.endswith(".schema.json")])
def test_json_schemas_are_valid_schemas(name: str) -> None:
    schema = load_schema(name)
    validator_for(schema).check_schema(schema)
    assert schema["$id"].startswith("https://")


def _issued_payload(platform: Platform, **volunteer: Any) -> dict[str, Any]:
    """The payload of a vc+jwt issued through the API: the credential and the JWT's own claims."""
    asbl = platform.register()
    response = platform.client.post(
        "/volunteers", json={"name": "Aïcha Benali", **volunteer}, headers=asbl["headers"]
    )
    assert response.status_code == 201, response.text
    issued = platform.issue(asbl, volunteer_id=response.json()["id"])
    return dict(jwt.decode(issued["jwt"], options={"verify_signature": False}))


def _credential(payload: dict[str, Any]) -> dict[str, Any]:
    """The credential in a vc+jwt payload, as the verifier reads it (without iss, iat, jti)."""
    return {k: v for k, v in payload.items() if k not in ("iss", "iat", "jti", "exp", "nbf")}


HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


@pytest.mark.parametrize("volunteer", [{}, {"holder_did": HOLDER}], ids=["no-holder-did", "holder-did"])
def test_an_issued_credential_follows_our_subject_schema(
    platform: Platform, volunteer: dict[str, str]
) -> None:
    payload = _issued_payload(platform, **volunteer)
    credential = _credential(payload)
    assert {"id": SUBJECT_SCHEMA_ID, "type": "JsonSchema"} in credential["credentialSchema"]
    assert SUBJECT_SCHEMA_ID in validate_credential(credential)
    # A second implementation (python-jsonschema) agrees, on the payload and on the subject alone.
    schema = load_schema(SUBJECT_SCHEMA_FILE)
    registry = _ob3_registry().with_resource(SUBJECT_SCHEMA_ID, Resource.from_contents(schema))
    whole = Draft202012Validator(schema, registry=registry)
    assert [e.message for e in whole.iter_errors(payload)] == []
    subject = Draft202012Validator(
        {"$ref": SUBJECT_SCHEMA_ID + "#/$defs/volunteerActivitySubject"}, registry=registry
    )
    assert [e.message for e in subject.iter_errors(credential["credentialSubject"])] == []
    assert ("id" in credential["credentialSubject"]) == bool(volunteer)


def test_the_subject_schema_is_strict_on_our_own_fields(platform: Platform) -> None:
    credential = _credential(_issued_payload(platform))

    def changed(edit: Any) -> dict[str, Any]:
        copied = copy.deepcopy(credential)
        edit(copied["credentialSubject"])
        return copied

    wrong = [
        changed(lambda s: s.update(extra="not ours")),
        changed(lambda s: s["achievement"].update(achievementType="Course")),
        changed(lambda s: s["achievement"]["alignment"][0].update(targetType="ext:Other")),
        changed(lambda s: s["achievement"]["alignment"][0].update(targetUrl="http://example.org/skill/1")),
        changed(lambda s: s["achievement"]["alignment"][0].pop("targetFramework")),
        changed(lambda s: s["achievement"].update(inLanguage="de")),
        changed(lambda s: s.update(activityStartDate="2020-03-23T10:00:00Z")),
        changed(lambda s: s.pop("identifier")),
    ]
    for document in wrong:
        with pytest.raises(SchemaViolation) as caught:
            validate_credential(document)
        assert caught.value.code == "schema_invalid"
        assert "subject schema" in str(caught.value) or "Open Badges" in str(caught.value)
    # Held to it only when it declares it: a credential that lists only the OB 3.0 schema (as those
    # issued before it existed do) is not.
    older = {**wrong[0], "credentialSchema": credential["credentialSchema"][:1]}
    assert SUBJECT_SCHEMA_ID not in validate_credential(older)


# --------------------------------------------------------------------------- the SD-JWT VC claims


def _sd_jwt_claims() -> dict[str, Any]:
    """Processed claims of a volunteer-activity SD-JWT VC, everything disclosed (docs/wallet.md)."""
    return {
        "iss": f"{PUBLIC_URL}/issuers/couturieres-solidaires",
        "iat": 1767225600,
        "exp": 1798761600,
        "vct": VCT,
        "jti": "urn:uuid:3c6f0b0e-8f1a-4a7e-9d55-0f1b8c9a2e11",
        "cnf": {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
        "status": {
            "status_list": {"idx": 81234, "uri": f"{PUBLIC_URL}/token-status-lists/couturieres-solidaires/0"}
        },
        "association": {
            "name": "Couturières solidaires ASBL",
            "enterprise_number": "0400.000.197",
            "did": "did:web:skills-vc.test:issuers:couturieres-solidaires",
        },
        "volunteer": {"name": "Aïcha Benali", "email": "aicha@example.org"},
        "activity": {
            "title": "Couture de masques pour les hôpitaux",
            "description": "Couture de masques et de blouses pour les hôpitaux bruxellois.",
            "role": "Couturière bénévole",
            "start_date": "2020-03-23",
            "end_date": "2020-06-30",
            "hours": 240,
            "tasks": ["découpe", "couture"],
            "location": "Bruxelles",
            "language": "fr",
        },
        "skills": [
            {
                "uri": SEW,
                "framework": "ESCO v1.1.1",
                "type": "skill",
                "label": {
                    "fr": "coudre des vêtements de protection professionnels",
                    "nl": "beschermende werkkleding naaien",
                    "en": "sew protective workwear",
                },
                "competent": ["B123"],
            }
        ],
    }


def _sd_jwt_errors(claims: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(
        load_schema(SD_JWT_SCHEMA), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [e.message for e in validator.iter_errors(claims)]


def test_sd_jwt_vc_claims_follow_their_schema() -> None:
    assert _sd_jwt_errors(_sd_jwt_claims()) == []
    # Nothing about the volunteer disclosed: still valid.
    minimal = {
        **_sd_jwt_claims(),
        "volunteer": {},
        "activity": {"language": "fr"},
        "skills": [],
    }
    assert _sd_jwt_errors(minimal) == []


OCCUPATION = "http://data.europa.eu/esco/occupation/0a0c4bd1-e2c8-4cd3-8ec4-a35d8ab9d6e2"
BROKEN: dict[str, Any] = {
    "_sd": lambda c: c["volunteer"].update(_sd=["digest"]),
    "_sd_alg": lambda c: c.update(_sd_alg="sha-256"),
    "array-element-digest": lambda c: c["skills"].append({"...": "digest"}),
    "occupation-uri": lambda c: c["skills"][0].update(uri=OCCUPATION),
    "upper-case-uri": lambda c: c["skills"][0].update(uri=SEW.upper()),
    "private-jwk": lambda c: c["cnf"]["jwk"].update(d="a private key"),
    "hours-as-text": lambda c: c["activity"].update(hours="240"),
    "date-format": lambda c: c["activity"].update(start_date="23/03/2020"),
    "no-status": lambda c: c.pop("status"),
    "enterprise-number": lambda c: c["association"].update(enterprise_number="400000197"),
}


@pytest.mark.parametrize("edit", BROKEN.values(), ids=BROKEN.keys())
def test_sd_jwt_vc_claims_that_break_the_layout_are_refused(edit: Any) -> None:
    claims = _sd_jwt_claims()
    edit(claims)
    assert _sd_jwt_errors(claims)


def test_a_missing_folder_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(published, "SCHEMAS_DIR", tmp_path / "schemas")
    with pytest.raises(published.PublishedFolderMissing, match="pip install -e"):
        published.schema_path("paper-qr.cddl")
