"""The API calls the deployment tests make over real HTTP: register and accredit an association,
record and issue, verify, revoke (the same requests as ``tests.conftest.Platform``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import OPERATOR_KEY, activity_body

__all__ = ["Association", "Issued", "check", "issue", "register", "revoke", "verify"]


@dataclass(frozen=True)
class Association:
    slug: str
    did: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Issued:
    id: str
    jwt: str


def _enterprise_number(n: int) -> str:
    base = f"05{n:06d}"
    return base + f"{97 - int(base) % 97:02d}"


def register(client: httpx.Client, n: int) -> Association:
    """Association number ``n`` registered, then accredited by the operator."""
    slug = f"asbl-deploy-{n}"
    response = client.post(
        "/associations",
        json={
            "legal_name": f"Association {slug} ASBL",
            "enterprise_number": _enterprise_number(n),
            "slug": slug,
        },
    )
    assert response.status_code == 201, response.text
    data = response.json()
    accredited = client.post(
        f"/associations/{slug}/accreditation",
        json={"status": "accredited"},
        headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
    )
    assert accredited.status_code == 200, accredited.text
    return Association(slug, data["association"]["did"], {"Authorization": f"Bearer {data['api_key']}"})


def issue(client: httpx.Client, association: Association) -> Issued:
    """A volunteer and an activity recorded, and its credential issued."""
    volunteer = client.post("/volunteers", json={"name": "Aïcha Benali"}, headers=association.headers)
    assert volunteer.status_code == 201, volunteer.text
    activity = client.post(
        "/activities", json=activity_body(volunteer.json()["id"]), headers=association.headers
    )
    assert activity.status_code == 201, activity.text
    issued = client.post(f"/activities/{activity.json()['id']}/credentials", headers=association.headers)
    assert issued.status_code == 201, issued.text
    return Issued(issued.json()["id"], issued.json()["jwt"])


def verify(client: httpx.Client, jwt: str) -> dict[str, Any]:
    """The verification report (200 when verified, 400 with the report when not)."""
    response = client.post("/credentials/verify", json={"verifiableCredential": jwt})
    assert response.status_code in (200, 400), response.text
    report: dict[str, Any] = response.json()
    assert report["verified"] is (response.status_code == 200)
    return report


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["check"] == name)


def revoke(client: httpx.Client, association: Association, credential: Issued) -> None:
    response = client.post(
        f"/credentials/{credential.id}/revoke",
        json={"reason": "issued in error"},
        headers=association.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "revoked"
