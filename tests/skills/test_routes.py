"""HTTP routes, mounted on a small app with the same error handling as the service."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from skills_vc.api.routes.mapping import router
from skills_vc.errors import SkillsVCError
from skills_vc.services import mapping

SEW = "a3ef84f9-c436-437a-bc6f-4956ae13e1eb"


@pytest.fixture(scope="module")
def client(bundle: mapping.MapperBundle) -> TestClient:
    app = FastAPI()
    app.include_router(router)

    @app.exception_handler(SkillsVCError)
    def _handle(_request: Request, exc: SkillsVCError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    return TestClient(app)


def test_suggest(client: TestClient) -> None:
    response = client.post(
        "/mapping/suggest", json={"text": "Couture de masques pour l'hôpital", "limit": 5}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["lang"] == "fr" and body["lang_detected"] is True
    assert len(body["suggestions"]) == 5
    assert body["suggestions"][0]["rank"] == 1
    assert "ESCO classification of the European Commission" in body["attribution"]


def test_suggest_with_template_and_tasks(client: TestClient) -> None:
    response = client.post(
        "/mapping/suggest",
        json={
            "text": "",
            "lang": "nl",
            "template_id": "helpline",
            "tasks": ["oproepen beantwoorden"],
        },
    )
    assert response.status_code == 200
    assert response.json()["templates"][0]["id"] == "helpline"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"text": ""}, 422, "empty_text"),
        ({"text": "x" * 10_000}, 422, "text_too_long"),
        ({"text": "masks", "lang": "de"}, 422, "unsupported_language"),
        ({"text": "masks", "template_id": "nope"}, 404, "unknown_template"),
        ({"text": "masks", "limit": 500}, 422, "invalid_limit"),
    ],
)
def test_suggest_bad_input(
    client: TestClient, payload: dict[str, object], status: int, code: str
) -> None:
    response = client.post("/mapping/suggest", json=payload)
    assert response.status_code == status
    assert response.json()["error"] == code
    assert response.json()["detail"]


def test_get_skill_in_french_and_dutch(client: TestClient) -> None:
    fr = client.get(f"/skills/{SEW}", params={"lang": "fr"})
    assert fr.status_code == 200
    assert fr.json()["label"] == "coudre des morceaux de tissu"
    assert fr.json()["label_fallback"] == ["fr", "en", "nl"]
    nl = client.get(f"/skills/{SEW}?lang=nl")
    assert nl.json()["label_lang"] == "nl"


def test_get_skill_errors(client: TestClient) -> None:
    unknown = client.get("/skills/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "unknown_skill"
    response = client.get(f"/skills/{SEW}?lang=es")
    assert response.status_code == 422
    assert response.json()["error"] == "unsupported_language"


def test_occupations(client: TestClient) -> None:
    response = client.post("/mapping/occupations", json={"skills": [SEW], "lang": "nl", "limit": 3})
    assert response.status_code == 200
    assert len(response.json()["occupations"]) == 3
    bad = client.post("/mapping/occupations", json={"skills": ["nope"]})
    assert bad.status_code == 404 and bad.json()["error"] == "unknown_skill"
