"""Every page checked by axe-core (npm, Deque's accessibility engine) in Debian's Chromium: WCAG 2.1
A and AA rules (labels, names, contrast, landmarks, ARIA, language) with no violation.

axe-core is installed with the interop tools (tests/interop, ``npm ci``); without it the test skips,
unless ``SKILLS_VC_REQUIRE_INTEROP=1`` (set by .ci/run). The page's Content-Security-Policy forbids
inline scripts, so the browser context injecting axe bypasses it (the pages themselves do not).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import OPERATOR_KEY, Platform
from tests.web.conftest import LiveServer
from tests.web.portal_support import PASSWORD, SEWING
from tests.web.test_portal_bulk import _rows, excel_csv

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

AXE = Path(__file__).resolve().parents[1] / "interop" / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def site(http_site: Platform) -> Platform:
    """Signed-in pages in the browser: the live server is plain http, so the session cookie is not Secure."""
    return http_site


@pytest.fixture
def axe_page(browser: Any, live: tuple[LiveServer, Platform]) -> Iterator[Any]:
    if not AXE.exists():
        if os.environ.get("SKILLS_VC_REQUIRE_INTEROP") == "1":
            pytest.fail(f"{AXE} is missing: run npm ci in tests/interop")
        pytest.skip("axe-core is not installed (npm ci in tests/interop)")
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="fr-BE", bypass_csp=True)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _violations(page: Any) -> list[str]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => v.id + ': ' + v.help + ' @ '"
        " + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(' | '))",
        RULES,
    )
    return list(result)


def test_every_page_passes_axe(axe_page: Any, live: tuple[LiveServer, Platform]) -> None:
    server, site = live
    page = axe_page
    association = site.register("entraide-bxl")
    site.register("en-attente", accredit=False)
    site.client.post(
        "/associations/entraide-bxl/staff",
        json={"email": "sophie@entraide.example", "name": "Sophie Claes", "password": PASSWORD},
        headers=association["headers"],
    )
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        found[name] = _violations(page)

    page.goto(server.url + "/?lang=nl")
    check("verify form")
    page.goto(server.url + "/portal/login?lang=fr")
    check("portal sign-in")
    page.fill("#email", "sophie@entraide.example")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/portal")
    page.goto(server.url + "/portal/record?lang=fr")
    page.fill("#title", "Couture de masques pour les hôpitaux")
    page.fill("#description", "Couture de masques et de blouses pour les hôpitaux bruxellois.")
    page.locator("#suggestions[aria-busy=false] li").first.wait_for()
    page.check(f"input[value='{SEWING}']")
    check("record form with suggestions")
    for field, value in (
        ("#volunteer_name", "Aïcha Benali"),
        ("#role", "Couturière"),
        ("#start_date", "2020-03-23"),
        ("#end_date", "2020-06-30"),
        ("#hours", "120"),
        ("#coordinator_role", "Coordinatrice"),
    ):
        page.fill(field, value)
    page.click("#issue-button")
    page.wait_for_url("**/portal/credentials/**")
    check("credential")
    share = page.locator("#share-url").input_value()
    page.goto(server.url + "/portal?lang=en")
    check("credential list")
    page.goto(server.url + "/portal/bulk?lang=nl")
    check("bulk upload")
    rows = _rows(6)
    rows[1]["start_date"] = "31/02/2020"
    page.set_input_files(
        "#file", files=[{"name": "b.csv", "mimeType": "text/csv", "buffer": excel_csv(rows)}]
    )
    page.fill("#coordinator_role", "Coördinator")
    page.click("#upload-button")
    page.wait_for_url("**/portal/bulk/*")
    check("bulk preview with errors")
    page.goto(server.url + urlsplit(share).path + "?lang=en")
    check("volunteer's link")
    document = site.client.get(urlsplit(share).path + "/credential.json").text
    page.goto(server.url + "/?lang=nl")
    page.fill("#credential", document)
    page.locator("form button[type=submit]").first.click()
    page.locator("#verdict").wait_for()
    check("verification result")
    page.goto(server.url + "/operator/login?lang=en")
    check("operator sign-in")
    page.fill("#operator_key", OPERATOR_KEY)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url + "/operator")
    check("operator page")
    problems = {name: v for name, v in found.items() if v}
    assert not problems, problems
