"""Paper credential over HTTP: QR text and images, trust list, certificate PDF, POST /verify/qr."""

from __future__ import annotations

import io
import socket
from datetime import UTC, datetime
from typing import Any

import pypdfium2
import pytest
import zxingcpp

from skills_vc.core.offline import verify_offline
from skills_vc.core.trustlist import TrustListError, verify_trust_list
from skills_vc.errors import SkillsVCError
from skills_vc.services import paper
from tests.conftest import MANAGE_VOLUNTEERS, SEW_PROTECTIVE, WORK_IN_TEAMS, Platform, check


@pytest.fixture
def issued(platform: Platform) -> dict[str, Any]:
    association = platform.register("entraide-bxl")
    body = platform.issue(association, skills=[SEW_PROTECTIVE, WORK_IN_TEAMS, MANAGE_VOLUNTEERS])
    return {"association": association, "id": body["id"]}


def _get(platform: Platform, issued: dict[str, Any], suffix: str) -> Any:
    response = platform.client.get(
        f"/credentials/{issued['id']}/{suffix}", headers=issued["association"]["headers"]
    )
    assert response.status_code == 200, response.text
    return response


def _trust(platform: Platform) -> tuple[str, dict[str, str]]:
    token = platform.client.get("/.well-known/skills-vc-trust-list.jwt").text
    return token, platform.client.get("/.well-known/skills-vc-operator-key.json").json()


def test_qr_text_is_stable_and_verifies_online(platform: Platform, issued: dict[str, Any]) -> None:
    text = _get(platform, issued, "qr.txt").text
    assert text.startswith("VSC1:") and text == _get(platform, issued, "qr.txt").text
    response = platform.client.post("/verify/qr", json={"qr": text})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verified"] and report["format"] == "vsc1" and report["verdict"] == "verified"
    assert check(report, "issuer_trusted")["message"]["en"].startswith("Association entraide-bxl ASBL")
    assert report["credential"]["id"] == issued["id"]
    # The VC API verify endpoint takes the QR text as well, with the same report.
    status, same = platform.verify(text)
    assert status == 200 and same["format"] == "vsc1"
    assert [c["code"] for c in same["checks"]] == [c["code"] for c in report["checks"]]


def test_revoked_credential_fails_qr_verification(platform: Platform, issued: dict[str, Any]) -> None:
    text = _get(platform, issued, "qr.txt").text
    revoked = platform.client.post(
        f"/credentials/{issued['id']}/revoke",
        json={"reason": "erreur"},
        headers=issued["association"]["headers"],
    )
    assert revoked.status_code == 200
    response = platform.client.post("/verify/qr", json={"qr": text})
    assert response.status_code == 400
    assert response.json()["error"] == "revoked"
    assert check(response.json(), "status")["code"] == "revoked"


def test_tampered_qr_is_400_with_the_report(platform: Platform, issued: dict[str, Any]) -> None:
    text = _get(platform, issued, "qr.txt").text
    tampered = text[:40] + ("A" if text[40] != "A" else "B") + text[41:]
    response = platform.client.post("/verify/qr", json={"qr": tampered})
    assert response.status_code == 400
    assert check(response.json(), "signature")["status"] == "failed"
    bad = platform.client.post("/verify/qr", json={"text": "x"})
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_request")


def test_qr_routes_are_the_issuers_only(platform: Platform, issued: dict[str, Any]) -> None:
    assert platform.client.get(f"/credentials/{issued['id']}/qr.txt").status_code == 401
    other = platform.register("autre-asbl")
    response = platform.client.get(f"/credentials/{issued['id']}/qr.png", headers=other["headers"])
    assert (response.status_code, response.json()["error"]) == (404, "credential_not_found")


def test_trust_list_is_cacheable_and_signed_by_the_operator(
    platform: Platform, issued: dict[str, Any]
) -> None:
    response = platform.client.get("/.well-known/skills-vc-trust-list.jwt")
    assert response.status_code == 200 and "max-age" in response.headers["cache-control"]
    etag = response.headers["etag"]
    again = platform.client.get("/.well-known/skills-vc-trust-list.jwt", headers={"If-None-Match": etag})
    assert again.status_code == 304
    operator = platform.client.get("/.well-known/skills-vc-operator-key.json").json()
    listed = verify_trust_list(response.text, operator, now=platform.clock())
    entry = next(e for e in listed.entries if e.slug == "entraide-bxl")
    assert entry.did == issued["association"]["did"] and entry.accreditation[0].end is None
    assert len(entry.keys[0].short_kid) == 16
    later = datetime.fromtimestamp(listed.expires_at + 1, UTC)
    with pytest.raises(TrustListError) as caught:
        verify_trust_list(response.text, operator, now=later)
    assert caught.value.code == "trust_list_expired"


def test_suspension_after_issuance_closes_the_accreditation_period(platform: Platform) -> None:
    association = platform.register("a-suspendre")
    platform.clock.advance(hours=2)
    platform.set_accreditation("a-suspendre", "suspended")
    token, operator = _trust(platform)
    entry = verify_trust_list(token, operator, now=platform.clock()).entries[0]
    assert entry.did == association["did"] and entry.accreditation[0].end is not None


def test_certificate_pdf_round_trip(
    platform: Platform, issued: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Render the PDF, rasterise it, read the QR from the pixels and verify it offline."""
    pdf = _get(platform, issued, "certificate.pdf?lang=nl")
    assert pdf.headers["content-type"] == "application/pdf"
    token, operator = _trust(platform)
    status_lists = [
        platform.client.get(f"/status-lists/entraide-bxl/{purpose}/0").text
        for purpose in ("revocation", "suspension")
    ]
    document = pypdfium2.PdfDocument(pdf.content)
    assert len(document) == 1
    page_text = document[0].get_textpage().get_text_range()
    assert (
        "Vaardigheden" in page_text and "in teams werken" in page_text and "vrijwilligers leiden" in page_text
    )
    assert "This service uses the ESCO classification of the European Commission." in page_text
    assert issued["id"] in page_text
    image = document[0].render(scale=200 / 72).to_pil().convert("L")
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1 and codes[0].text.startswith("VSC1:")

    monkeypatch.setattr(socket.socket, "connect", lambda *a, **k: pytest.fail("network used"))
    now = platform.clock()
    listed = verify_trust_list(token, operator, now=now)
    offline = verify_offline(codes[0].text, listed, now=now)
    assert offline.verdict == "verified_status_not_checked"
    assert verify_offline(codes[0].text, listed, now=now, status_lists=status_lists).verified


def test_verify_qr_from_uploaded_png_and_pdf(platform: Platform, issued: dict[str, Any]) -> None:
    png = _get(platform, issued, "qr.png").content
    pdf = _get(platform, issued, "certificate.pdf?lang=en").content
    for name, data, kind in (("qr.png", png, "image/png"), ("scan.pdf", pdf, "application/pdf")):
        response = platform.client.post("/verify/qr", files={"file": (name, io.BytesIO(data), kind)})
        assert response.status_code == 200, response.text
        assert response.json()["verified"]
    blank = platform.client.post(
        "/verify/qr", files={"file": ("x.png", io.BytesIO(b"not an image"), "image/png")}
    )
    assert (blank.status_code, blank.json()["error"]) == (422, "unreadable_upload")


def test_qr_svg(platform: Platform, issued: dict[str, Any]) -> None:
    svg = _get(platform, issued, "qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content


def test_qr_above_version_25_is_refused() -> None:
    with pytest.raises(SkillsVCError) as caught:
        paper.qr_symbol("VSC1:" + "A" * 1400)
    assert caught.value.code == "qr_too_large"
    assert paper.qr_symbol("VSC1:" + "A" * 600).version <= 20


def test_credential_with_too_many_skills_is_not_printed(platform: Platform) -> None:
    from skills_vc.services.mapping import get_bundle

    index = get_bundle().index
    skills = [{"uri": index.uri(i)} for i in range(0, 4000, 100)]  # 40 skills, the most an activity takes
    association = platform.register("beaucoup")
    body = platform.issue(association, skills=skills)
    for suffix in ("qr.png", "certificate.pdf?lang=en"):
        response = platform.client.get(f"/credentials/{body['id']}/{suffix}", headers=association["headers"])
        assert (response.status_code, response.json()["error"]) == (422, "qr_too_large")


def test_es256_association_qr_verifies(platform: Platform) -> None:
    association = platform.register("cle-p256", key_type="P-256")
    body = platform.issue(association)
    text = platform.client.get(f"/credentials/{body['id']}/qr.txt", headers=association["headers"]).text
    response = platform.client.post("/verify/qr", json={"qr": text})
    assert response.status_code == 200, response.text


def test_online_qr_verification_resolves_keys_in_the_registry(platform: Platform) -> None:
    """A QR signed by a key the registry does not hold is an unknown key; one signed by a
    registered association that was never accredited verifies its signature but not its issuer."""
    from skills_vc.core.formats.qr import encode
    from skills_vc.core.paper import short_issuer_id
    from tests.paper.helpers import Issuer, claims, qr_text

    stranger = platform.client.post("/verify/qr", json={"qr": qr_text(Issuer(slug="inconnue"))})
    assert stranger.status_code == 400 and check(stranger.json(), "signature")["code"] == "unknown_key"

    pending = platform.register("en-attente", accredit=False)
    signer = platform.signer("en-attente")
    did = signer.kid.partition("#")[0]
    text = encode(claims(Issuer(slug="en-attente"), issuer=short_issuer_id(did)), signer)
    response = platform.client.post("/verify/qr", json={"qr": text})
    assert response.status_code == 400
    assert check(response.json(), "signature")["code"] == "signature_valid"
    assert check(response.json(), "issuer_trusted")["code"] == "issuer_not_trusted"
    assert pending["did"] == did
