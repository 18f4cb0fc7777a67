"""A coordinator in a real browser (Debian's Chromium, headless, through Playwright): signs in,
records an activity with live skill suggestions and issues it, then issues a 50-row CSV file.

Screenshots (with SKILLS_VC_SCREENSHOTS=1, into docs/screenshots/): portal-record-fr.png,
portal-bulk-preview-fr.png, portal-bulk-done-nl.png, portal-credentials-en.png.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Platform
from tests.web.conftest import LiveServer
from tests.web.portal_support import PASSWORD
from tests.web.test_portal_bulk import _rows, excel_csv

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

Live = tuple[LiveServer, Platform]


@pytest.fixture
def site(http_site: Platform) -> Platform:
    """Signed-in pages in the browser: the live server is plain http, so the session cookie is not Secure."""
    return http_site


def _sign_in(page: Any, server: LiveServer, site: Platform) -> None:
    association = site.register("entraide-bxl")
    created = site.client.post(
        "/associations/entraide-bxl/staff",
        json={"email": "sophie@entraide.example", "name": "Sophie Claes", "password": PASSWORD},
        headers=association["headers"],
    )
    assert created.status_code == 201, created.text
    page.goto(server.url + "/portal/record?lang=fr")
    assert "/portal/login" in page.url
    page.fill("#email", "sophie@entraide.example")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/portal/record?lang=fr")


def test_coordinator_records_an_activity_with_live_suggestions_and_downloads_it(
    page: Any, live: Live, screenshots: Path
) -> None:
    server, site = live
    _sign_in(page, server, site)
    page.fill("#volunteer_name", "Aïcha Benali")
    page.fill("#volunteer_email", "aicha@example.org")
    page.fill("#title", "Couture de masques pour les hôpitaux")
    page.fill("#role", "Couturière bénévole")
    # Typing the description asks the mapper; suggestions appear without submitting anything.
    page.locator("#description").press_sequentially(
        "Couture de masques et de blouses pour les hôpitaux bruxellois."
    )
    # aria-busy is false once the answer for the text as typed is shown (no later one is coming).
    suggestion = page.locator("#suggestions[aria-busy=false] li").filter(
        has_text="coudre des morceaux de tissu"
    )
    suggestion.wait_for()
    assert "Pourquoi" in page.locator("#suggestions li").first.inner_text()
    page.fill("#start_date", "2020-03-23")
    page.fill("#end_date", "2020-06-30")
    page.fill("#hours", "120")
    page.fill("#coordinator_role", "Coordinatrice")
    # Tick a suggestion with the keyboard: it moves to the ticked list and keeps the focus.
    suggestion.locator("input").focus()
    page.keyboard.press("Space")
    page.locator("#chosen li").filter(has_text="coudre des morceaux de tissu").wait_for()
    assert page.evaluate("document.activeElement.closest('#chosen') !== null")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    # Then add one found by searching.
    page.fill("#skill-query", "découper des textiles")
    page.keyboard.press("Enter")  # searches, does not submit the form
    found = page.locator("#search-results li").filter(has_text="découper des textiles").first
    found.wait_for()
    found.locator("input").check()
    assert page.locator("#chosen li").count() == 2
    # A ticked skill is listed once: no longer among the suggestions or the search results.
    listed = page.locator("#suggestions li, #search-results li")
    assert listed.filter(has_text="découper des textiles").count() == 0
    page.screenshot(path=str(screenshots / "portal-record-fr.png"), full_page=True)
    page.click("#issue-button")
    page.wait_for_url("**/portal/credentials/urn:uuid:*")
    assert page.locator("#flash").get_attribute("data-flash") == "issued"
    assert page.locator("#credential-state [data-state]").get_attribute("data-state") == "active"
    skills = page.locator("section[aria-labelledby=skills-title]").inner_text()
    assert "coudre des morceaux de tissu" in skills and "découper des textiles" in skills

    # On a phone the page fits the screen: nothing makes it scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_download() as download:
        page.click("#download-pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    with page.expect_download() as download:
        page.click("#download-json")
    document = Path(download.value.path()).read_text()
    assert site.client.post("/credentials/verify", json=json.loads(document)).json()["verified"] is True


def test_coordinator_issues_a_fifty_row_csv_and_gets_the_results(
    page: Any, live: Live, screenshots: Path
) -> None:
    server, site = live
    _sign_in(page, server, site)
    page.goto(server.url + "/portal/bulk?lang=fr")
    page.set_input_files(
        "#file", files=[{"name": "benevoles.csv", "mimeType": "text/csv", "buffer": excel_csv(_rows(50))}]
    )
    page.fill("#coordinator_role", "Coordinatrice")
    page.click("#upload-button")
    page.wait_for_url("**/portal/bulk/*")
    assert page.locator("[data-count=ok]").inner_text() == "50"
    groups = page.locator("fieldset.group")
    assert groups.count() == 2
    for i in range(2):
        for box in groups.nth(i).locator("input[type=checkbox]").all()[:2]:
            box.check()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / "portal-bulk-preview-fr.png"), full_page=False)
    page.click("#confirm-button")
    # The progress bar is followed by the script, which shows the result when the issuance ends.
    page.locator("#import-done").wait_for(timeout=60_000)
    assert page.locator("#import-done").get_attribute("data-issued") == "50"
    page.goto(page.url + "?lang=nl")
    page.screenshot(path=str(screenshots / "portal-bulk-done-nl.png"), full_page=False)
    with page.expect_download() as download:
        page.click("#result-csv")
    result = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(result) == 51 and all(";issued;" in line for line in result[1:])
    with page.expect_download(timeout=60_000) as download:
        page.click("#certificates-zip")
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as archive:
        assert len(archive.namelist()) == 50

    page.goto(server.url + "/portal?lang=en")
    assert page.locator("#result-count").get_attribute("data-total") == "50"
    page.fill("#q", "Bénévole 00007")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#credentials tbody tr").count() == 1
    page.locator("#credentials tbody a").first.click()
    page.locator("#step-revoke summary").click()
    page.fill("#reason-revoke", "duplicate entry")
    page.check("#confirm-revoke")
    page.locator("#step-revoke button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#credential-state [data-state]").get_attribute("data-state") == "revoked"
    page.goto(server.url + "/portal?lang=en")
    page.screenshot(path=str(screenshots / "portal-credentials-en.png"), full_page=False)
