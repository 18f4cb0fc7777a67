"""Signing a staff member in to the association portal, and reading its pages, in tests."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Platform
from tests.web.helpers import Elements

PASSWORD = "masques-et-blouses-2020"
SEWING = "http://data.europa.eu/esco/skill/a3ef84f9-c436-437a-bc6f-4956ae13e1eb"
CUTTING = "http://data.europa.eu/esco/skill/cc63230c-356b-4c5b-950a-7e3b1ffe2dea"


def staff_member(site: Platform, association: dict[str, Any], email: str | None = None) -> dict[str, Any]:
    """Create a staff account for ``association`` through its API key, and sign it in."""
    email = email or f"coordination@{association['slug']}.example"
    created = site.client.post(
        f"/associations/{association['slug']}/staff",
        json={"email": email, "name": "Sophie Claes", "password": PASSWORD},
        headers=association["headers"],
    )
    assert created.status_code == 201, created.text
    sign_in(site, email)
    return {"email": email, "association": association}


def sign_in(site: Platform, email: str, password: str = PASSWORD) -> None:
    response = site.client.post(
        "/portal/login", data={"email": email, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def csrf(page: str) -> str:
    tokens = {a["value"] for a in Elements(page).named("input") if a.get("name") == "csrf_token"}
    assert len(tokens) == 1, tokens
    return str(tokens.pop())


def token(site: Platform) -> str:
    return csrf(site.client.get("/portal?lang=en").text)


def record_form(**overrides: str | list[str]) -> dict[str, Any]:
    form: dict[str, Any] = {
        "volunteer_name": "Aïcha Benali",
        "volunteer_email": "aicha@example.org",
        "title": "Couture de masques pour les hôpitaux",
        "role": "Couturière bénévole",
        "description": "Couture de masques et de blouses pour les hôpitaux bruxellois.",
        "tasks": "découpe\ncouture",
        "start_date": "2020-03-23",
        "end_date": "2020-06-30",
        "hours": "120",
        "language": "fr",
        "location": "Anderlecht",
        "coordinator_name": "Sophie Claes",
        "coordinator_role": "Coordinatrice",
        "skills": [SEWING],
        "action": "issue",
    }
    form.update(overrides)
    return form


def wait_for_import(site: Platform, import_id: str, limit: float = 120.0) -> dict[str, Any]:
    """Poll an import's progress until it is no longer issuing (the bound only stops a hung test)."""
    deadline = time.monotonic() + limit
    while True:
        data: dict[str, Any] = site.client.get(f"/portal/bulk/{import_id}/progress").json()
        if data["status"] != "issuing" or time.monotonic() > deadline:
            return data
        time.sleep(0.05)
