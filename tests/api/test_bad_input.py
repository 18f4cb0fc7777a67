"""Bad input gets a stable machine code and a human message, never a 500, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SEW_PROTECTIVE, Platform, check

LIMIT = 256 * 1024


def _error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["detail"], str) and body["detail"]


def test_malformed_json(platform: Platform) -> None:
    asbl = platform.register()
    response = platform.client.post(
        "/credentials/issue",
        content=b'{"credential": {',
        headers={**asbl["headers"], "Content-Type": "application/json"},
    )
    _error(response, 400, "malformed_json")
    response = platform.client.post(
        "/credentials/verify", content=b"[1,2", headers={"Content-Type": "application/json"}
    )
    _error(response, 400, "malformed_json")


@pytest.mark.parametrize(
    "body",
    [
        {"verifiableCredential": 42},
        {"verifiableCredential": ["a"]},
        {"options": {}},
        [],
        "just a string",
    ],
)
def test_wrong_types_on_verify(platform: Platform, body: Any) -> None:
    _error(platform.client.post("/credentials/verify", json=body), 422, "invalid_request")


def test_wrong_types_on_activity(platform: Platform) -> None:
    asbl = platform.register()
    volunteer = platform.client.post("/volunteers", json={"name": "Ana"}, headers=asbl["headers"]).json()
    body = {
        "volunteer_id": volunteer["id"],
        "title": "t",
        "description": "d",
        "role": "r",
        "start_date": "2020-03-01",
        "end_date": "2020-04-01",
        "hours": "many",
        "language": "fr",
        "coordinator_name": "c",
        "coordinator_role": "c",
        "skills": [SEW_PROTECTIVE],
    }
    _error(platform.client.post("/activities", json=body, headers=asbl["headers"]), 422, "invalid_request")
    body["hours"] = 10
    body["start_date"] = "2020-02-30"
    _error(platform.client.post("/activities", json=body, headers=asbl["headers"]), 422, "invalid_request")
    body["start_date"] = "2020-05-01"
    _error(platform.client.post("/activities", json=body, headers=asbl["headers"]), 422, "invalid_dates")
    body["start_date"] = "2020-03-01"
    body["language"] = "de"
    _error(
        platform.client.post("/activities", json=body, headers=asbl["headers"]), 422, "unsupported_language"
    )
    body["language"] = "fr"
    body["skills"] = [{"uri": "http://example.org/skill/1"}]
    _error(platform.client.post("/activities", json=body, headers=asbl["headers"]), 422, "invalid_skill_uri")
    body["skills"] = [{"uri": "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-000000000000"}]
    _error(platform.client.post("/activities", json=body, headers=asbl["headers"]), 422, "unknown_skill")
    body["skills"] = [SEW_PROTECTIVE]
    body["template_id"] = "no-such-template"
    _error(platform.client.post("/activities", json=body, headers=asbl["headers"]), 404, "unknown_template")
    del body["template_id"]
    body["skills"] = [SEW_PROTECTIVE, SEW_PROTECTIVE]
    _error(platform.client.post("/activities", json=body, headers=asbl["headers"]), 422, "duplicate_skill")
    body["skills"] = [SEW_PROTECTIVE]
    body["hours"] = 0
    _error(platform.client.post("/activities", json=body, headers=asbl["headers"]), 422, "invalid_hours")
    body["hours"] = 10
    body["end_date"] = "2099-01-01"  # an activity is attested once it has ended
    _error(platform.client.post("/activities", json=body, headers=asbl["headers"]), 422, "date_in_future")
    assert platform.client.get("/activities", headers=asbl["headers"]).json() == []


def test_a_volunteer_email_must_look_like_one(platform: Platform) -> None:
    asbl = platform.register()
    for email in ("ana", "ana@localhost", "ana @example.org", "ana@example..org"):
        response = platform.client.post(
            "/volunteers", json={"name": "Ana", "email": email}, headers=asbl["headers"]
        )
        _error(response, 422, "invalid_email")
    assert platform.client.get("/volunteers", headers=asbl["headers"]).json() == []


def test_oversized_body_is_refused_by_declared_length_and_by_stream(platform: Platform) -> None:
    big = b'{"verifiableCredential": "' + b"a" * (LIMIT + 10) + b'"}'
    _error(
        platform.client.post(
            "/credentials/verify", content=big, headers={"Content-Type": "application/json"}
        ),
        413,
        "payload_too_large",
    )

    def chunks() -> Any:
        yield b'{"verifiableCredential": "'
        for _ in range(40):
            yield b"a" * 8192
        yield b'"}'

    response = platform.client.post(
        "/credentials/verify", content=chunks(), headers={"Content-Type": "application/json"}
    )
    _error(response, 413, "payload_too_large")


def test_unknown_top_level_request_fields(platform: Platform) -> None:
    asbl = platform.register()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:1"},
    }
    response = platform.client.post(
        "/credentials/issue", json={"credential": credential, "extra": 1}, headers=asbl["headers"]
    )
    _error(response, 400, "unknown_field")
    _error(
        platform.client.post("/credentials/verify", json={"verifiableCredential": "x.y.z", "proof": {}}),
        400,
        "unknown_field",
    )
    _error(
        platform.client.post(
            "/associations",
            json={"legal_name": "A", "enterprise_number": "0412345020", "slug": "abc", "admin": True},
        ),
        400,
        "unknown_field",
    )


def test_undefined_top_level_terms_in_a_credential(platform: Platform) -> None:
    asbl = platform.register()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:1"},
        "favouriteColour": "green",
    }
    response = platform.client.post(
        "/credentials/issue", json={"credential": credential}, headers=asbl["headers"]
    )
    _error(response, 422, "schema_undefined_term")
    assert platform.client.get("/credentials", headers=asbl["headers"]).json() == []
    # Signed anyway (by someone holding the key): verification reports the schema check.
    credential.update(
        issuer=asbl["did"],
        validFrom="2026-01-01T00:00:00Z",
        id="urn:uuid:0d5e6f5a-1111-4aaa-8bbb-123456789abc",
    )
    status, report = platform.verify(platform.sign_raw(asbl["slug"], credential))
    assert status == 400
    assert (check(report, "schema")["status"], check(report, "schema")["code"]) == (
        "failed",
        "schema_undefined_term",
    )


def test_issue_refuses_foreign_issuer_proof_and_status(platform: Platform) -> None:
    asbl = platform.register()
    base = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:1"},
    }
    cases = [
        ({**base, "issuer": "did:web:someone-else"}, 403, "issuer_mismatch"),
        ({**base, "proof": {"type": "DataIntegrityProof"}}, 422, "proof_not_allowed"),
        (
            {**base, "credentialStatus": {"type": "BitstringStatusListEntry"}},
            422,
            "credentialstatus_not_allowed",
        ),
        ({**base, "@context": ["https://www.w3.org/2018/credentials/v1"]}, 422, "invalid_context"),
        ({k: v for k, v in base.items() if k != "credentialSubject"}, 422, "schema_invalid"),
        ({**base, "validFrom": "yesterday"}, 422, "schema_invalid"),
    ]
    for credential, status, code in cases:
        _error(
            platform.client.post(
                "/credentials/issue", json={"credential": credential}, headers=asbl["headers"]
            ),
            status,
            code,
        )
    assert platform.client.get("/credentials", headers=asbl["headers"]).json() == []


def test_duplicate_credential_id(platform: Platform) -> None:
    asbl = platform.register()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:11111111-2222-4333-8444-555555555555",
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:1"},
    }
    assert (
        platform.client.post(
            "/credentials/issue", json={"credential": credential}, headers=asbl["headers"]
        ).status_code
        == 201
    )
    _error(
        platform.client.post("/credentials/issue", json={"credential": credential}, headers=asbl["headers"]),
        409,
        "credential_id_taken",
    )


def test_validity_period_checks(platform: Platform) -> None:
    asbl = platform.register()
    base = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:1"},
    }
    expired = {**base, "validFrom": "2025-01-01T00:00:00Z", "validUntil": "2026-01-01T00:00:00Z"}
    future = {**base, "validFrom": "2027-01-01T00:00:00Z"}
    for credential, code, param in (
        (expired, "expired", "2026-01-01T00:00:00Z"),
        (future, "not_yet_valid", "2027-01-01T00:00:00Z"),
    ):
        response = platform.client.post(
            "/credentials/issue", json={"credential": credential}, headers=asbl["headers"]
        )
        assert response.status_code == 201, response.text
        status, report = platform.verify(response.json()["verifiableCredential"])
        assert status == 400
        result = check(report, "validity_period")
        assert (result["status"], result["code"]) == ("failed", code)
        assert param in result["message"]["fr"]
        assert check(report, "signature")["status"] == "passed"
    inverted = {**base, "validFrom": "2026-06-01T00:00:00Z", "validUntil": "2026-01-01T00:00:00Z"}
    response = platform.client.post(
        "/credentials/issue", json={"credential": inverted}, headers=asbl["headers"]
    )
    assert response.status_code == 201
    assert (
        check(platform.verify(response.json()["verifiableCredential"])[1], "validity_period")["code"]
        == "invalid_validity_period"
    )


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        (
            {"legal_name": "A", "enterprise_number": "0412.345.021", "slug": "abc"},
            "invalid_enterprise_number",
            422,
        ),
        ({"legal_name": "A", "enterprise_number": "0412.345.020", "slug": "Bad Slug"}, "invalid_slug", 422),
        ({"legal_name": "A", "enterprise_number": "0412.345.020", "slug": "ab"}, "invalid_request", 422),
    ],
)
def test_registration_errors(platform: Platform, body: dict[str, Any], code: str, status: int) -> None:
    _error(platform.client.post("/associations", json=body), status, code)
    assert platform.client.get("/associations").json() == []


def test_duplicate_registration(platform: Platform) -> None:
    body = {"legal_name": "A", "enterprise_number": "0412.345.020", "slug": "abc"}
    assert platform.client.post("/associations", json=body).status_code == 201
    _error(
        platform.client.post("/associations", json={**body, "slug": "abd"}), 409, "enterprise_number_taken"
    )
    _error(
        platform.client.post("/associations", json={**body, "enterprise_number": "BE0456789034"}),
        409,
        "slug_taken",
    )


def test_authentication_errors(platform: Platform) -> None:
    _error(platform.client.get("/credentials"), 401, "unauthenticated")
    _error(
        platform.client.get("/credentials", headers={"Authorization": "Bearer nope"}), 401, "invalid_api_key"
    )
    _error(
        platform.client.get("/credentials", headers={"Authorization": "Basic abc"}), 401, "unauthenticated"
    )


def test_unknown_records(platform: Platform) -> None:
    asbl = platform.register()
    _error(
        platform.client.get("/credentials/urn:uuid:nope", headers=asbl["headers"]),
        404,
        "credential_not_found",
    )
    _error(
        platform.client.post("/activities/nope/credentials", headers=asbl["headers"]),
        404,
        "activity_not_found",
    )
    _error(platform.client.get("/associations/nope"), 404, "association_not_found")
    _error(platform.client.get("/issuers/nope/did.json"), 404, "association_not_found")


def test_jwt_exp_and_nbf_are_honoured(platform: Platform) -> None:
    asbl = platform.register()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:0d5e6f5a-2222-4aaa-8bbb-123456789abc",
        "type": ["VerifiableCredential"],
        "issuer": asbl["did"],
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:1"},
    }
    from skills_vc.core.formats import get_format

    signer = platform.signer(asbl["slug"])
    now = int(platform.clock().timestamp())
    for extra, code in (
        ({"exp": now - 60}, "expired"),
        ({"nbf": now + 3600}, "not_yet_valid"),
        ({"exp": "soon"}, None),
    ):
        token = get_format("vc+jwt").secure({**credential, **extra}, signer, now=now)
        status, report = platform.verify(token)
        assert status == 400
        if code is None:
            assert check(report, "signature")["code"] == "malformed_credential"
        else:
            assert check(report, "validity_period")["code"] == code


def test_a_failed_commit_is_an_error_response_and_writes_nothing(platform: Platform) -> None:
    """The request's transaction ends before the response: a commit that fails is a 500."""
    asbl = platform.register()
    activity = platform.activity(asbl)
    state = platform.client.app.state  # type: ignore[attr-defined]
    factory = state.session_factory

    def failing_factory() -> Any:
        session = factory()

        def commit() -> None:
            raise RuntimeError("the database went away")

        session.commit = commit
        return session

    state.session_factory = failing_factory
    client = TestClient(platform.client.app, raise_server_exceptions=False)
    try:
        response = client.post(f"/activities/{activity['id']}/credentials", headers=asbl["headers"])
    finally:
        state.session_factory = factory
    _error(response, 500, "internal_error")
    assert platform.client.get("/credentials", headers=asbl["headers"]).json() == []
