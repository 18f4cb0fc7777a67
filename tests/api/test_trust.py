"""The registry decides trust: accredited at the moment of issuance, or not trusted at all."""

from __future__ import annotations

from typing import Any

from tests.conftest import Platform, check


def _minimal(did: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:6a1a2a6e-0b35-4a3c-9d1e-5d1c3c1f1f01",
        "type": ["VerifiableCredential"],
        "issuer": did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:volunteer"},
    }


def _trust(platform: Platform, token: str) -> dict[str, Any]:
    status, report = platform.verify(token)
    assert check(report, "signature")["status"] == "passed"
    assert status == (200 if report["verified"] else 400)
    return check(report, "issuer_trusted")


def test_never_accredited(platform: Platform) -> None:
    asbl = platform.register(accredit=False)
    token = platform.sign_raw(asbl["slug"], _minimal(asbl["did"]))
    result = _trust(platform, token)
    assert (result["status"], result["code"]) == ("failed", "issuer_not_trusted")


def test_accredited_only_after_issuance(platform: Platform) -> None:
    asbl = platform.register(accredit=False)
    platform.clock.advance(hours=1)
    token = platform.sign_raw(asbl["slug"], _minimal(asbl["did"]))
    platform.clock.advance(hours=1)
    platform.set_accreditation(asbl["slug"], "accredited")
    platform.clock.advance(hours=1)
    result = _trust(platform, token)
    assert (result["status"], result["code"]) == ("failed", "issuer_not_trusted")


def test_withdrawn_before_issuance(platform: Platform) -> None:
    asbl = platform.register()
    platform.clock.advance(hours=1)
    platform.set_accreditation(asbl["slug"], "withdrawn")
    platform.clock.advance(hours=1)
    token = platform.sign_raw(asbl["slug"], _minimal(asbl["did"]))
    result = _trust(platform, token)
    assert (result["status"], result["code"]) == ("failed", "issuer_not_trusted")


def test_suspended_at_issuance_then_accredited_again(platform: Platform) -> None:
    asbl = platform.register()
    platform.clock.advance(minutes=5)
    platform.set_accreditation(asbl["slug"], "suspended")
    platform.clock.advance(minutes=5)
    during = platform.sign_raw(asbl["slug"], _minimal(asbl["did"]))
    platform.clock.advance(minutes=5)
    platform.set_accreditation(asbl["slug"], "accredited")
    platform.clock.advance(minutes=5)
    after = platform.sign_raw(asbl["slug"], _minimal(asbl["did"]))
    assert _trust(platform, during)["code"] == "issuer_not_trusted"
    assert _trust(platform, after)["code"] == "issuer_accredited"


def test_withdrawal_after_issuance_keeps_earlier_credentials_trusted(platform: Platform) -> None:
    asbl = platform.register()
    issued = platform.issue(asbl)
    platform.clock.advance(days=30)
    platform.set_accreditation(asbl["slug"], "withdrawn")
    result = _trust(platform, issued["jwt"])
    assert (result["status"], result["code"]) == ("passed", "issuer_accredited")


def test_accreditation_transitions_are_enforced_and_operator_only(platform: Platform) -> None:
    asbl = platform.register()
    platform.set_accreditation(asbl["slug"], "withdrawn")
    again = platform.client.post(
        f"/associations/{asbl['slug']}/accreditation",
        json={"status": "accredited"},
        headers=platform.operator,
    )
    assert again.status_code == 409 and again.json()["error"] == "invalid_accreditation_transition"
    other = platform.register()
    by_association = platform.client.post(
        f"/associations/{other['slug']}/accreditation", json={"status": "suspended"}, headers=other["headers"]
    )
    assert by_association.status_code == 403 and by_association.json()["error"] == "operator_only"
    anonymous = platform.client.post(
        f"/associations/{other['slug']}/accreditation", json={"status": "suspended"}
    )
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthenticated"
    history = platform.client.get(f"/associations/{asbl['slug']}").json()["accreditation_history"]
    assert [h["status"] for h in history] == ["pending", "accredited", "withdrawn"]


def test_registry_lists_associations_by_status(platform: Platform) -> None:
    platform.register("waiting", accredit=False)
    platform.register("active")
    pending = platform.client.get("/associations", params={"accreditation_status": "pending"}).json()
    assert [a["slug"] for a in pending] == ["waiting"]
    assert {a["slug"] for a in platform.client.get("/associations").json()} == {"waiting", "active"}
