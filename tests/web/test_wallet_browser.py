"""The volunteer's wallet end to end in Chromium: the offer QR on the volunteer's page goes into the
demo wallet (a picture of it, as a phone would take), the wallet shows the credential in Dutch,
the coordinator revokes it in the portal, and the wallet then shows it revoked.

Two real servers on 127.0.0.1: the service (its public URL its own address, the real clock) and
the demo wallet, which talks to the service over HTTP only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from skills_vc.api.app import create_app
from skills_vc.services.context import utc_now
from tests.conftest import Platform, make_settings
from tests.web.conftest import LiveServer, free_socket
from tests.web.helpers import Elements
from tests.web.portal_support import PASSWORD, record_form, staff_member, token
from tests.web.test_accessibility import AXE, _violations
from wallet_demo.app import create_app as create_wallet
from wallet_demo.config import WalletSettings

WALLET_SECRET = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"  # test vector: 32 bytes, base64url


@pytest.fixture
def service(db: Engine, tmp_path: Path) -> Iterator[tuple[str, Platform]]:
    sock = free_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(make_settings(tmp_path, public_url=url), clock=utc_now, engine=db)
    with TestClient(app, base_url=url) as client, LiveServer(app, sock):
        yield url, Platform(client, utc_now)  # type: ignore[arg-type]


@pytest.fixture
def wallet(tmp_path: Path) -> Iterator[str]:
    settings = WalletSettings(var_dir=tmp_path / "wallet", secret=WALLET_SECRET)
    with LiveServer(create_wallet(settings)) as server:
        yield server.url


def test_offer_qr_to_wallet_then_revoked(
    browser: Any, service: tuple[str, Platform], wallet: str, tmp_path: Path, screenshots: Path
) -> None:
    url, site = service
    association = site.register("entraide-bxl")
    staff = staff_member(site, association)
    issued = site.client.post(
        "/portal/record", data=record_form(csrf_token=token(site)), follow_redirects=False
    )
    credential_path = issued.headers["location"]
    page_html = site.client.get(credential_path + "?lang=fr").text
    share_link = Elements(page_html).by_id("share-url")["value"] or ""
    assert share_link.startswith(url + "/c/")

    assert AXE.exists(), "axe-core is installed with the interop tools (npm ci in tests/interop)"
    # bypass_csp lets the test inject axe-core; the pages themselves run no inline script.
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="fr-BE", bypass_csp=True)
    phone = browser.new_context(
        viewport={"width": 375, "height": 800}, locale="nl-BE", is_mobile=True, bypass_csp=True
    )
    try:
        volunteer = context.new_page()
        volunteer.goto(share_link)
        volunteer.click("#make-offer")
        tx_code = volunteer.inner_text("#offer-tx-code").strip()
        assert _violations(volunteer) == []
        volunteer.locator("#wallet").screenshot(path=str(screenshots / "volunteer-wallet-offer-fr.png"))
        assert len(tx_code) == 6 and tx_code.isdigit()
        picture = tmp_path / "offer-qr.png"
        volunteer.locator("#offer-qr").screenshot(path=str(picture))

        holder = phone.new_page()
        holder.goto(wallet + "/add?lang=nl")
        assert _violations(holder) == []
        holder.set_input_files("#qr-picture", str(picture))
        holder.click("#offer-submit")
        holder.wait_for_selector("#tx-code")
        assert "Association entraide-bxl ASBL" in holder.inner_text("#offer-issuer")
        assert _violations(holder) == []
        holder.fill("#tx-code", tx_code)
        holder.click("#accept-submit")
        holder.wait_for_selector("#added")
        status = holder.locator(".credential-status")
        assert status.get_attribute("data-status") == "valid"
        skills = holder.inner_text("#skills")
        assert "beschermende kleding" in skills.lower() or "naaien" in skills.lower(), skills
        assert holder.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert _violations(holder) == []
        holder.screenshot(path=str(screenshots / "wallet-credential-nl.png"), full_page=True)

        coordinator = context.new_page()
        coordinator.goto(url + "/portal/login?lang=fr")
        coordinator.fill("#email", staff["email"])
        coordinator.fill("#password", PASSWORD)
        coordinator.locator("form [type=submit]").first.click()
        coordinator.goto(url + credential_path)
        coordinator.click("#step-revoke summary")
        coordinator.fill("#reason-revoke", "attestation émise par erreur")
        coordinator.check("#confirm-revoke")
        coordinator.locator("#step-revoke [type=submit]").click()
        coordinator.wait_for_selector('[data-state="revoked"]')

        holder.goto(wallet + "/?lang=nl")
        holder.locator(".check-again").first.click()
        revoked = holder.locator(".credential-status").first
        assert revoked.get_attribute("data-status") == "revoked"
        assert "ingetrokken" in revoked.inner_text().lower()
        assert _violations(holder) == []
    finally:
        context.close()
        phone.close()


def test_counsellor_asks_the_wallet_and_sees_only_what_was_shown(
    browser: Any, service: tuple[str, Platform], wallet: str, tmp_path: Path, screenshots: Path
) -> None:
    """The counsellor's QR code → the demo wallet (a picture of it) → the volunteer unticks the name
    → the counsellor's page shows the verified skills in Dutch, and that the name was kept back."""
    url, site = service
    association = site.register("entraide-bxl")
    staff_member(site, association)
    issued = site.client.post(
        "/portal/record", data=record_form(csrf_token=token(site)), follow_redirects=False
    )
    credential_id = issued.headers["location"].rsplit("/", 1)[1]
    offer = site.client.post(f"/credentials/{credential_id}/offers", headers=association["headers"]).json()

    counsellor_context = browser.new_context(
        viewport={"width": 1000, "height": 900}, locale="nl-BE", bypass_csp=True
    )
    phone = browser.new_context(
        viewport={"width": 375, "height": 800}, locale="nl-BE", is_mobile=True, bypass_csp=True
    )
    try:
        holder = phone.new_page()
        holder.goto(wallet + "/add?lang=nl")
        holder.fill("#offer-link", offer["offer_link"])
        holder.click("#offer-submit")
        holder.fill("#tx-code", offer["tx_code"])
        holder.click("#accept-submit")
        holder.wait_for_selector("#added")

        counsellor = counsellor_context.new_page()
        counsellor.goto(url + "/verify?lang=nl")
        assert counsellor.is_checked("#ask-name") and counsellor.is_checked("#ask-dates-start")
        counsellor.click("#ask-submit")
        counsellor.wait_for_selector("#request-qr")
        assert _violations(counsellor) == []
        picture = tmp_path / "request-qr.png"
        counsellor.locator("#request-qr").screenshot(path=str(picture))

        holder.goto(wallet + "/present?lang=nl")
        holder.set_input_files("#request-qr-picture", str(picture))
        holder.click("#present-submit")
        holder.wait_for_selector("#share-submit")
        assert _violations(holder) == []
        name = holder.locator('.claim-choice[data-claim-id="name"]')
        name.uncheck()
        assert not holder.locator('.claim-choice[data-claim-id="skills"]').is_enabled()
        holder.click("#share-submit")
        holder.wait_for_selector("#presented")

        # The counsellor's page asks every two seconds and then shows the answer by itself.
        counsellor.wait_for_selector("[data-verdict]", timeout=20_000)
        assert counsellor.get_attribute("[data-verdict]", "data-verdict") == "verified"
        assert counsellor.get_attribute('[data-claim="name"]', "data-disclosed") == "no"
        assert counsellor.get_attribute('[data-claim="start"]', "data-disclosed") == "yes"
        text = counsellor.inner_text("main")
        assert "Aïcha Benali" not in text and "Niet getoond door de vrijwilliger" in text
        assert "Couturière bénévole" in text
        assert _violations(counsellor) == []
        counsellor.screenshot(path=str(screenshots / "counsellor-wallet-answer-nl.png"), full_page=True)

        holder.goto(wallet + "/?lang=nl")
        holder.click("[data-credential-id] a")
        assert "127.0.0.1" in holder.inner_text("#presentations")
    finally:
        counsellor_context.close()
        phone.close()
