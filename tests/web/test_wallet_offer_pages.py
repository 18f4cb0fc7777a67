""" "Add to my wallet" on the portal's credential page and on the volunteer's page: a QR and a
link to an OpenID4VCI offer, and its 6-digit code shown beside them, never inside."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import PUBLIC_URL, Platform
from tests.web.helpers import Elements
from tests.web.portal_support import record_form, staff_member, token

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@pytest.fixture
def site(secure_site: Platform) -> Platform:
    """Signed-in pages need https (the session cookie is Secure)."""
    return secure_site


@pytest.fixture
def coordinator(site: Platform) -> dict[str, Any]:
    return staff_member(site, site.register("entraide-bxl"))


def _issue(site: Platform) -> str:
    response = site.client.post(
        "/portal/record", data=record_form(csrf_token=token(site)), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return unquote(response.headers["location"].removeprefix("/portal/credentials/"))


def _offer_on(page: str) -> tuple[str, str]:
    elements = Elements(page)
    link = elements.by_id("offer-link")["href"] or ""
    code = re.search(r'id="offer-tx-code">(\d{6})<', page)
    assert code is not None and link.startswith("openid-credential-offer://?credential_offer_uri=")
    assert (elements.by_id("offer-qr")["src"] or "").startswith("data:image/svg+xml")
    return link, code.group(1)


def _redeem(site: Platform, link: str, code: str) -> Any:
    uri = unquote(link.split("credential_offer_uri=", 1)[1])
    document = site.client.get(uri.removeprefix(PUBLIC_URL)).json()
    assert code not in str(document)
    grant = document["grants"][PRE_AUTH]
    return site.client.post(
        urlsplit(document["credential_issuer"]).path + "/oid4vci/token",
        data={"grant_type": PRE_AUTH, "pre-authorized_code": grant["pre-authorized_code"], "tx_code": code},
    )


def test_the_coordinator_makes_a_wallet_offer(site: Platform, coordinator: Any) -> None:
    credential_id = _issue(site)
    path = f"/portal/credentials/{credential_id}"
    page = site.client.get(path + "?lang=nl").text
    assert 'id="make-offer"' in page and "Toevoegen aan mijn wallet" in page
    refused = site.client.post(path + "/wallet-offer", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and 'data-error="csrf_failed"' in refused.text
    made = site.client.post(path + "/wallet-offer?lang=fr", data={"csrf_token": token(site)})
    assert made.status_code == 200 and "Votre portefeuille vous demandera ce code" in made.text
    link, code = _offer_on(made.text)
    assert code not in link
    assert _redeem(site, link, code).status_code == 200


def test_the_volunteer_makes_an_offer_from_their_link(site: Platform, coordinator: Any) -> None:
    credential_id = _issue(site)
    page = site.client.get(f"/portal/credentials/{credential_id}?lang=en").text
    share = urlsplit(Elements(page).by_id("share-url")["value"] or "").path
    staff_cookies = dict(site.client.cookies)
    site.client.cookies.clear()
    holder = site.client.get(share + "?lang=en")
    assert 'id="make-offer"' in holder.text and "walt.id" in holder.text
    first = site.client.post(share + "/wallet")
    first_link, first_code = _offer_on(first.text)
    second_link, second_code = _offer_on(site.client.post(share + "/wallet").text)
    # A new offer replaces the unused one.
    gone = site.client.get(unquote(first_link.split("=", 1)[1]).removeprefix(PUBLIC_URL))
    assert gone.status_code == 410 and gone.json()["error"] == "offer_burnt" and first_code
    assert _redeem(site, second_link, second_code).status_code == 200
    site.client.cookies.update(staff_cookies)
    site.client.post(
        f"/portal/credentials/{credential_id}/status",
        data={"csrf_token": token(site), "action": "suspend", "reason": "check", "confirm": "yes"},
    )
    site.client.cookies.clear()
    suspended = site.client.post(share + "/wallet")
    assert suspended.status_code == 409 and 'data-error="credential_suspended"' in suspended.text
    assert 'id="make-offer"' not in site.client.get(share).text


def test_pages_link_to_the_demo_wallet_when_one_is_configured(db: Any, clock: Any, tmp_path: Any) -> None:
    """``SKILLS_VC_DEMO_WALLET_URL`` (set by make run): the offer and the counsellor's request also
    open in the demo wallet on the same device, which registers no URL scheme."""
    from urllib.parse import parse_qs

    from fastapi.testclient import TestClient

    from tests.web.conftest import web_app

    app = web_app(db, clock, tmp_path, demo_wallet_url="http://127.0.0.1:8001")
    with TestClient(app, base_url="https://testserver") as client:
        site = Platform(client, clock)
        staff_member(site, site.register("entraide-bxl"))
        credential_id = _issue(site)
        made = client.post(
            f"/portal/credentials/{credential_id}/wallet-offer", data={"csrf_token": token(site)}
        )
        demo = Elements(made.text).by_id("demo-wallet-offer")["href"] or ""
        link, _ = _offer_on(made.text)
        assert demo.startswith("http://127.0.0.1:8001/add?offer=")
        assert parse_qs(urlsplit(demo).query)["offer"] == [link]
        asked = client.post("/verify/wallet", data={"claims": ["name"]})
        request_link = Elements(asked.text).by_id("demo-wallet-link")["href"] or ""
        assert request_link.startswith("http://127.0.0.1:8001/present?request=openid4vp")
