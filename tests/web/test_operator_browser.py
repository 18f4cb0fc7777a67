"""The platform operator in a real browser (Debian's Chromium, headless, through Playwright).

The screenshot of the page in Dutch goes to docs/screenshots/operator-nl.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OPERATOR_KEY, Platform
from tests.web.conftest import LiveServer

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

Live = tuple[LiveServer, Platform]


@pytest.fixture
def site(http_site: Platform) -> Platform:
    """Signed-in pages in the browser: the live server is plain http, so the session cookie is not Secure."""
    return http_site


def _status_of(page: Any, slug: str) -> str:
    return str(page.locator(f"#association-{slug} [data-status]").get_attribute("data-status"))


def test_operator_signs_in_accredits_and_reads_the_page_in_dutch(
    page: Any, live: Live, screenshots: Path
) -> None:
    server, site = live
    site.register("alpha")
    site.register("zulu", accredit=False)
    page.goto(server.url + "/operator")
    assert page.url == server.url + "/operator/login"
    page.goto(server.url + "/operator/login?lang=en")
    # The key field has the focus: type the key and press Enter.
    assert page.evaluate("document.activeElement.id") == "operator_key"
    page.keyboard.type(OPERATOR_KEY)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/operator")
    articles = page.locator("article.association")
    assert articles.first.get_attribute("id") == "association-zulu"  # pending first

    zulu = page.locator("#association-zulu")
    zulu.locator("#reason-zulu-accredited").fill("complete file")
    zulu.get_by_role("button", name="Accredit", exact=True).focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "the focused button shows no focus ring"
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator("#flash").inner_text() == "Association zulu ASBL is now accredited."
    assert _status_of(page, "zulu") == "accredited"
    assert site.client.get("/associations/zulu").json()["accreditation_status"] == "accredited"

    # Suspending asks for the box to be ticked: without it the browser does not send the form.
    alpha = page.locator("#association-alpha")
    alpha.locator("summary", has_text="Suspend").click()
    alpha.get_by_role("button", name="Suspend", exact=True).click()
    box = alpha.get_by_role("checkbox", name="I confirm the suspension")
    assert box.evaluate("box => box.validity.valueMissing")
    assert site.client.get("/associations/alpha").json()["accreditation_status"] == "accredited"
    box.press("Space")
    alpha.get_by_role("button", name="Suspend", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("#flash").inner_text() == "Association alpha ASBL is now suspended."
    assert site.client.get("/associations/alpha").json()["accreditation_status"] == "suspended"

    site.register("entraide-bxl", accredit=False)
    page.get_by_role("link", name="Nederlands").click()
    page.wait_for_url("**/operator?lang=nl")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", level=1).inner_text() == "Erkenning van de verenigingen"
    assert page.get_by_role("heading", level=2).first.inner_text() == "Wachten op erkenning (1)"
    assert page.locator("#association-alpha").get_by_role("button", name="Erkennen", exact=True).is_visible()
    assert page.get_by_role("button", name="Afmelden").is_visible()
    page.screenshot(path=str(screenshots / "operator-nl.png"), full_page=True)
    assert (screenshots / "operator-nl.png").read_bytes().startswith(b"\x89PNG")

    # On a phone the page does not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Afmelden").click()
    page.wait_for_url(server.url + "/operator/login")
    assert page.locator(".message-ok").inner_text() == "U bent afgemeld."
