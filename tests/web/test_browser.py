"""A counsellor in a real browser (Debian's Chromium, headless, through Playwright).

Screenshots of the form, a verified result in Dutch and a refused one go to docs/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MANAGE_VOLUNTEERS, SEW_PROTECTIVE, WORK_IN_TEAMS, Platform
from tests.web.conftest import LiveServer
from tests.web.helpers import certificate_pdf, qr_text, revoke

# One database is enough to drive the pages; the HTTP tests run on both.
pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

Live = tuple[LiveServer, Platform]


def _issue(site: Platform, slug: str = "entraide-bxl") -> tuple[dict[str, Any], dict[str, Any]]:
    association = site.register(slug)
    return association, site.issue(association, skills=[SEW_PROTECTIVE, WORK_IN_TEAMS, MANAGE_VOLUNTEERS])


def _verdict(page: Any) -> str:
    return str(page.locator("#verdict").get_attribute("data-verdict"))


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name), full_page=True)
    assert (folder / name).read_bytes().startswith(b"\x89PNG")


def test_language_switch_is_remembered(page: Any, live: Live, screenshots: Path) -> None:
    server, _site = live
    page.goto(server.url + "/verify")
    assert page.locator("html").get_attribute("lang") == "fr"  # the browser asks for fr-BE
    _shot(page, screenshots, "verify-form-fr.png")
    page.get_by_role("link", name="Nederlands").click()
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", level=1).inner_text() == "Het attest van een vrijwilliger controleren"
    page.goto(server.url + "/verify")
    assert page.locator("html").get_attribute("lang") == "nl"
    # Keyboard only: from the field (focused on load) back to the switch, then Enter.
    assert page.evaluate("document.activeElement.id") == "credential"
    for _ in range(4):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.textContent") == "English":
            break
    else:
        pytest.fail("the English link was not reached with the keyboard")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "the focused link shows no focus ring"
    page.keyboard.press("Enter")
    page.wait_for_url("**lang=en")
    assert page.get_by_label("Credential or QR code text").is_visible()


def test_pasted_vc_jwt_read_in_dutch(page: Any, live: Live, screenshots: Path) -> None:
    server, site = live
    _association, body = _issue(site)
    page.goto(server.url + "/verify?lang=nl")
    page.get_by_label("Attest of tekst van de QR-code").fill(body["jwt"])
    page.get_by_role("button", name="Controleren").click()
    assert _verdict(page) == "verified"
    assert page.locator(".banner-title").inner_text().endswith("Geverifieerd")
    transversal = page.locator("ul[data-group=transversal] a")
    assert transversal.first.inner_text() == "in teams werken"
    assert transversal.first.get_attribute("href") == WORK_IN_TEAMS["uri"]
    assert page.locator("ul[data-group=skill]").inner_text().count("vrijwilligers leiden") == 1
    assert "Association entraide-bxl ASBL" in page.locator("#registry").inner_text()
    _shot(page, screenshots, "verified-nl.png")


def test_scanned_qr_text_submitted_by_enter(page: Any, live: Live) -> None:
    server, site = live
    association, body = _issue(site)
    text = qr_text(site, association, body["id"])
    page.goto(server.url + "/verify?lang=nl")
    field = page.get_by_label("Attest of tekst van de QR-code")
    assert page.evaluate("document.activeElement.id") == "credential"  # ready for the scanner
    field.press_sequentially(text)  # a USB scanner types the text, then Enter
    with page.expect_navigation():
        field.press("Enter")
    assert _verdict(page) == "verified"
    assert "Aïcha Benali" in page.locator("#volunteer").inner_text()
    assert "vrijwilligers leiden" in page.locator("ul[data-group=skill]").inner_text()


def test_uploaded_pdf_certificate(page: Any, live: Live) -> None:
    server, site = live
    association, body = _issue(site)
    pdf = certificate_pdf(site, association, body["id"])
    page.goto(server.url + "/verify?lang=nl")
    page.get_by_label("Of kies een bestand").set_input_files(
        files=[{"name": "attest.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    page.get_by_role("button", name="Controleren").click()
    assert _verdict(page) == "verified"
    assert "in teams werken" in page.locator("ul[data-group=transversal]").inner_text()


def test_revoked_credential_is_not_verified(page: Any, live: Live, screenshots: Path) -> None:
    server, site = live
    association, body = _issue(site)
    revoke(site, association, body["id"])
    page.goto(server.url + "/verify?lang=nl")
    page.get_by_label("Attest of tekst van de QR-code").fill(body["jwt"])
    page.get_by_role("button", name="Controleren").click()
    assert _verdict(page) == "not_verified"
    assert page.locator("li[data-check=status]").get_attribute("data-status") == "failed"
    assert "De vereniging heeft dit attest ingetrokken." in page.locator("li[data-check=status]").inner_text()
    _shot(page, screenshots, "not-verified-nl.png")


def test_oversized_file_is_refused_before_upload(page: Any, live: Live) -> None:
    server, _site = live
    page.goto(server.url + "/verify?lang=en")
    big = b"%PDF-" + b"0" * (5 * 1024 * 1024)
    page.get_by_label("Or choose a file").set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": big}]
    )
    assert page.locator("#file-too-large").is_visible()
    page.get_by_role("button", name="Verify").click()
    assert page.url.endswith("/verify?lang=en")  # nothing was sent


def test_phone_layout_and_print_view(browser: Any, live: Live, screenshots: Path) -> None:
    server, site = live
    _association, body = _issue(site)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-BE", is_mobile=True)
    try:
        phone = context.new_page()
        phone.goto(server.url + "/verify")
        assert phone.locator("html").get_attribute("lang") == "nl"  # from Accept-Language
        phone.get_by_label("Attest of tekst van de QR-code").fill(body["jwt"])
        phone.get_by_role("button", name="Controleren").click()
        assert _verdict(phone) == "verified"
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the result page scrolls sideways on a phone"
        _shot(phone, screenshots, "verified-nl-phone.png")
        phone.emulate_media(media="print")
        assert not phone.locator(".actions").is_visible() and not phone.locator(".lang-switch").is_visible()
        assert phone.locator("#verdict").is_visible()
    finally:
        context.close()
