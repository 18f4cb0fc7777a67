"""The counsellor's page verifies an SD-JWT VC from a wallet: the same checks, plus the disclosures,
and only what the holder disclosed is shown."""

from __future__ import annotations

import json
from typing import Any

from skills_vc.core.keys import b64url_decode
from tests.api.wallet_support import SD_JWT, Holder, disclosures_of, make_offer, rebuild, receive, token
from tests.conftest import MANAGE_VOLUNTEERS, SEW_PROTECTIVE, Platform
from tests.web.helpers import Elements


def _sd_jwt(site: Platform) -> str:
    association = site.register("entraide-bxl")
    offer = make_offer(site, association)
    access = token(site, offer).json()["access_token"]
    return receive(site, offer, Holder(), SD_JWT, access)


def _page(site: Platform, text: str) -> Any:
    return site.client.post("/verify?lang=nl", data={"credential": text})


def test_the_page_shows_a_verified_sd_jwt_in_dutch(site: Platform) -> None:
    response = _page(site, _sd_jwt(site))
    assert response.status_code == 200
    page = response.text
    assert 'data-verdict="verified"' in page or "Geverifieerd" in page
    assert "Aïcha Benali" in page
    assert "De 10 gegevens die de houder toont" in page or "gegevens die de houder toont" in page
    links = {a.get("href") for a in Elements(page).named("a")}
    assert {SEW_PROTECTIVE["uri"]} <= links
    assert MANAGE_VOLUNTEERS["uri"] not in links


def test_what_the_holder_kept_back_is_not_shown(site: Platform) -> None:
    sd_jwt = _sd_jwt(site)
    kept = [d for d in disclosures_of(sd_jwt) if json.loads(b64url_decode(d))[1:2] != ["name"]]
    page = _page(site, rebuild(sd_jwt, kept)).text
    assert "Aïcha Benali" not in page and "Niet getoond door de vrijwilliger" in page
    assert {SEW_PROTECTIVE["uri"]} <= {a.get("href") for a in Elements(page).named("a")}


def test_a_tampered_sd_jwt_shows_nothing_but_the_checks(site: Platform) -> None:
    sd_jwt = _sd_jwt(site)
    disclosures = disclosures_of(sd_jwt)
    page = _page(site, rebuild(sd_jwt, [*disclosures, disclosures[0][:-2] + "AA"])).text
    assert "Aïcha Benali" not in page and SEW_PROTECTIVE["uri"] not in page
    assert "not_verified" in page or "Niet geverifieerd" in page
