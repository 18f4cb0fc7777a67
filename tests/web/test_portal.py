"""The association portal over real HTTP: record and issue, downloads, the list, suspend and revoke,
the volunteer's link, and what a staff member of another association cannot see."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt
import pytest

from tests.conftest import Platform
from tests.web.helpers import Elements
from tests.web.portal_support import CUTTING, SEWING, record_form, staff_member, token

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "credential.json"


@pytest.fixture
def site(secure_site: Platform) -> Platform:
    """The portal's session cookie is Secure: these tests reach the app over https."""
    return secure_site


@pytest.fixture
def coordinator(site: Platform) -> dict[str, Any]:
    association = site.register("entraide-bxl")
    return staff_member(site, association)


def _issue(site: Platform, **overrides: Any) -> str:
    response = site.client.post(
        "/portal/record", data=record_form(csrf_token=token(site), **overrides), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/portal/credentials/urn:uuid:")
    return unquote(location.removeprefix("/portal/credentials/"))


def _count(site: Platform, query: str = "") -> int:
    page = site.client.get(f"/portal?lang=en&{query}").text
    match = re.search(r'data-total="(\d+)"', page)
    assert match, page
    return int(match.group(1))


def test_not_signed_in_goes_to_the_sign_in_form_and_comes_back(site: Platform) -> None:
    response = site.client.get("/portal/record?lang=nl", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/login?next=%2Fportal%2Frecord%3Flang%3Dnl"


def test_record_suggest_without_script_then_issue_and_download(site: Platform, coordinator: Any) -> None:
    form = site.client.get("/portal/record?lang=fr")
    assert form.status_code == 200
    assert 'id="record-form"' in form.text
    suggested = site.client.post(
        "/portal/record", data=record_form(csrf_token=token(site), action="suggest", skills=[])
    )
    assert suggested.status_code == 200
    boxes = [a.get("value") for a in Elements(suggested.text).named("input") if a.get("name") == "skills"]
    assert SEWING in boxes and CUTTING in boxes
    assert "coudre des morceaux de tissu" in suggested.text
    assert "Aïcha Benali" in suggested.text  # the form keeps what was typed

    credential_id = _issue(site, skills=[SEWING, CUTTING])
    page = site.client.get(f"/portal/credentials/{credential_id}?lang=nl")
    assert page.status_code == 200
    assert 'data-flash="issued"' in page.text
    assert "Aïcha Benali" in page.text and "Couture de masques pour les hôpitaux" in page.text
    assert 'data-state="active"' in page.text

    document = site.client.get(f"/portal/credentials/{credential_id}/credential.json")
    assert document.status_code == 200
    assert "attachment" in document.headers["content-disposition"]
    verified = site.client.post("/credentials/verify", json=document.json())
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True
    jwt = site.client.get(f"/portal/credentials/{credential_id}/credential.jwt").text
    assert document.json()["verifiableCredential"]["id"] == f"data:application/vc+jwt,{jwt}"
    pdf = site.client.get(f"/portal/credentials/{credential_id}/certificate.pdf?lang=nl")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    png = site.client.get(f"/portal/credentials/{credential_id}/qr.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_live_suggestions_need_the_csrf_header(site: Platform, coordinator: Any) -> None:
    body = {
        "title": "Distribution de colis alimentaires",
        "description": "Tri et distribution",
        "language": "fr",
    }
    refused = site.client.post("/portal/suggest", json=body)
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    answered = site.client.post("/portal/suggest", json=body, headers={"X-CSRF-Token": token(site)})
    assert answered.status_code == 200
    suggestions = answered.json()["suggestions"]
    assert 1 <= len(suggestions) <= 10
    first = suggestions[0]
    assert first["uri"].startswith("http://data.europa.eu/esco/skill/")
    assert set(first) >= {"label", "skill_type", "matched_words", "templates", "competent"}
    unknown = site.client.post(
        "/portal/suggest", json={**body, "extra": 1}, headers={"X-CSRF-Token": token(site)}
    )
    assert unknown.status_code == 400 and unknown.json()["error"] == "unknown_field"


def test_skill_search_finds_esco_skills(site: Platform, coordinator: Any) -> None:
    found = site.client.get("/portal/skills/search", params={"q": "couture", "lang": "fr"}).json()["skills"]
    assert any("coudre" in s["label"] or "couture" in s["label"] for s in found)
    assert site.client.get("/portal/skills/search", params={"q": "x"}).status_code == 422


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"skills": []}, "no_skills"),
        ({"start_date": "2020-31-12"}, "invalid_date"),
        ({"end_date": "2020-01-01"}, "invalid_dates"),
        ({"end_date": "2099-01-01"}, "date_in_future"),
        ({"hours": "douze"}, "invalid_hours"),
        ({"hours": "0"}, "invalid_hours"),
        ({"title": ""}, "missing_field"),
        ({"volunteer_name": " "}, "invalid_volunteer_name"),
        ({"volunteer_email": "pas une adresse"}, "invalid_email"),
        (
            {"skills": ["http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000"]},
            "unknown_skill",
        ),
        ({"title": "x" * 301}, "value_too_long"),
    ],
)
def test_bad_record_input_is_shown_on_the_form_and_changes_nothing(
    site: Platform, coordinator: Any, overrides: dict[str, Any], code: str
) -> None:
    association = coordinator["association"]
    before = site.client.get("/volunteers", headers=association["headers"]).json()
    response = site.client.post("/portal/record", data=record_form(csrf_token=token(site), **overrides))
    assert 400 <= response.status_code < 500
    assert f'data-error="{code}"' in response.text
    assert 'id="record-form"' in response.text
    assert site.client.get("/volunteers", headers=association["headers"]).json() == before
    assert _count(site) == 0


def test_a_record_without_csrf_token_is_refused(site: Platform, coordinator: Any) -> None:
    response = site.client.post("/portal/record", data=record_form(csrf_token="forged"))
    assert response.status_code == 403
    assert 'data-error="csrf_failed"' in response.text
    assert _count(site) == 0


def test_html_in_activity_text_is_escaped_everywhere(site: Platform, coordinator: Any) -> None:
    hostile = '<script>alert("x")</script><b onmouseover="x()">gras</b>'
    credential_id = _issue(
        site, title=f"Masques {hostile}", description=f"Couture {hostile}", volunteer_name=f"Eve {hostile}"
    )
    link_page = site.client.get(f"/portal/credentials/{credential_id}?lang=en").text
    share = Elements(link_page).by_id("share-url")["value"] or ""
    pages = [
        site.client.get("/portal?lang=en").text,
        link_page,
        site.client.get(urlsplit(share).path).text,
    ]
    for html in pages:
        assert "<script>alert" not in html and "<b onmouseover" not in html
        assert "&lt;script&gt;alert(" in html


def test_list_search_and_filters(site: Platform, coordinator: Any) -> None:
    first = _issue(site, volunteer_name="Jan Peeters", volunteer_email="jan@example.org")
    _issue(
        site,
        volunteer_name="Marie Dubois",
        volunteer_email="marie@example.org",
        title="Distribution de colis",
    )
    _issue(site, volunteer_name="Youssef Amrani", volunteer_email="youssef@example.org")
    assert _count(site) == 3
    assert _count(site, "q=peeters") == 1
    assert _count(site, "q=COLIS") == 1
    assert _count(site, "q=example.org") == 3
    assert _count(site, "q=100%25") == 0  # a % is searched for, not a wildcard
    today = site.clock().date().isoformat()
    assert _count(site, f"from={today}&to={today}") == 3
    assert _count(site, "to=2019-12-31") == 0
    bad = site.client.get("/portal?from=demain")
    assert bad.status_code == 400 and 'data-error="invalid_filter_date"' in bad.text
    _change(site, first, "revoke", reason="erreur de saisie", confirm="yes")
    assert _count(site, "state=revoked") == 1
    assert _count(site, "state=active") == 2
    listed = site.client.get("/portal?lang=en&q=peeters").text
    assert 'data-state="revoked"' in listed


def _change(site: Platform, credential_id: str, action: str, **form: str) -> Any:
    return site.client.post(
        f"/portal/credentials/{credential_id}/status",
        data={"csrf_token": token(site), "action": action, **form},
        follow_redirects=False,
    )


def _verify(site: Platform, credential_id: str) -> dict[str, Any]:
    document = site.client.get(f"/portal/credentials/{credential_id}/credential.json").json()
    result: dict[str, Any] = site.client.post("/credentials/verify", json=document).json()
    return result


def test_suspend_reinstate_and_revoke_with_reason_and_confirmation(site: Platform, coordinator: Any) -> None:
    credential_id = _issue(site)
    unconfirmed = _change(site, credential_id, "suspend", reason="vérification en cours")
    assert unconfirmed.status_code == 400 and 'data-error="confirmation_required"' in unconfirmed.text
    no_reason = _change(site, credential_id, "suspend", confirm="yes")
    assert no_reason.status_code == 422 and 'data-error="reason_required"' in no_reason.text
    assert _verify(site, credential_id)["verified"] is True

    assert (
        _change(site, credential_id, "suspend", reason="vérification en cours", confirm="yes").status_code
        == 303
    )
    page = site.client.get(f"/portal/credentials/{credential_id}?lang=fr").text
    assert (
        'data-flash="suspend"' in page
        and 'data-state="suspended"' in page
        and "vérification en cours" in page
    )
    assert _verify(site, credential_id)["verified"] is False

    assert _change(site, credential_id, "unsuspend").status_code == 303
    assert _verify(site, credential_id)["verified"] is True

    assert (
        _change(site, credential_id, "revoke", reason="activité non effectuée", confirm="yes").status_code
        == 303
    )
    assert _verify(site, credential_id)["verified"] is False
    again = _change(site, credential_id, "unsuspend")
    assert again.status_code == 409 and 'data-error="already_revoked"' in again.text
    pdf = site.client.get(f"/portal/credentials/{credential_id}/certificate.pdf")
    assert pdf.status_code == 409 and 'data-error="credential_revoked"' in pdf.text


def test_another_associations_staff_sees_nothing(site: Platform, coordinator: Any) -> None:
    credential_id = _issue(site)
    other = site.register("autre-asbl")
    site.client.cookies.clear()
    staff_member(site, other)
    assert _count(site) == 0
    for path in ("", "/credential.json", "/certificate.pdf", "/qr.png"):
        response = site.client.get(f"/portal/credentials/{credential_id}{path}")
        assert response.status_code == 404
    refused = _change(site, credential_id, "revoke", reason="x", confirm="yes")
    assert refused.status_code == 404


def test_the_volunteers_link_opens_without_an_account_until_revoked(site: Platform, coordinator: Any) -> None:
    credential_id = _issue(site)
    page = site.client.get(f"/portal/credentials/{credential_id}?lang=en").text
    link = urlsplit(Elements(page).by_id("share-url")["value"] or "").path
    assert link.startswith("/c/")
    staff_cookies = dict(site.client.cookies)
    site.client.cookies.clear()
    holder = site.client.get(link + "?lang=nl")
    assert holder.status_code == 200 and "Aïcha Benali" in holder.text
    document = site.client.get(link + "/credential.json")
    assert document.status_code == 200
    assert site.client.post("/credentials/verify", json=document.json()).json()["verified"] is True
    assert site.client.get(link + "/certificate.pdf").content.startswith(b"%PDF-")
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert site.client.get(tampered).status_code == 404
    site.client.cookies.update(staff_cookies)
    _change(site, credential_id, "revoke", reason="erreur", confirm="yes")
    site.client.cookies.clear()
    revoked = site.client.get(link)
    assert revoked.status_code == 200 and 'data-state="revoked"' in revoked.text
    assert site.client.get(link + "/credential.json").status_code == 409
    site.clock.advance(days=366)
    assert site.client.get(link).status_code == 404


def test_the_same_email_and_name_is_the_same_volunteer(site: Platform, coordinator: Any) -> None:
    association = coordinator["association"]
    _issue(site)
    _issue(site, title="Distribution de colis", start_date="2020-07-01", end_date="2020-08-31")
    _issue(site, volunteer_name="Aïcha B.")  # another name with that email: another record
    volunteers = site.client.get("/volunteers", headers=association["headers"]).json()
    assert sorted(v["name"] for v in volunteers) == ["Aïcha B.", "Aïcha Benali"]


def test_skill_search_works_without_the_script(site: Platform, coordinator: Any) -> None:
    form = record_form(csrf_token=token(site), action="search", skills=[SEWING], skill_query="repasser")
    page = site.client.post("/portal/record?lang=fr", data=form)
    assert page.status_code == 200
    found = [a.get("value") for a in Elements(page.text).named("input") if a.get("name") == "skills"]
    ironing = [uri for uri in found if uri and uri != SEWING]
    assert ironing and "repasser" in page.text
    assert found.count(SEWING) == 1  # the ticked skill stays ticked, listed once
    assert _count(site) == 0  # searching issues nothing


def test_a_credential_issued_through_the_vc_api_is_shown_without_an_activity(
    site: Platform, coordinator: Any
) -> None:
    association = coordinator["association"]
    credential = json.loads(EXAMPLE.read_text())
    issued = site.client.post(
        "/credentials/issue", json={"credential": credential, "options": {}}, headers=association["headers"]
    )
    assert issued.status_code == 201, issued.text
    envelope = issued.json()["verifiableCredential"]["id"]
    credential_id = jwt.decode(envelope.split(",", 1)[1], options={"verify_signature": False})["id"]
    page = site.client.get(f"/portal/credentials/{credential_id}?lang=en")
    assert page.status_code == 200
    assert "Helpline for isolated elderly people" in page.text and 'data-state="active"' in page.text
