"""End to end against the real skills-vc service, over real HTTP.

The service runs under uvicorn on 127.0.0.1 with its public URL equal to its own address (the
socket is bound first, then the app is built with that URL), so its offers, metadata, DIDs and
status lists all point back at it. The wallet is driven through its own TestClient; it reaches the
service like any wallet would, never importing it.
"""

from __future__ import annotations

import html
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from skills_vc.api.app import create_app as create_service
from tests.conftest import Clock, Platform, make_settings
from tests.wallet_demo.conftest import wallet_settings
from wallet_demo.app import create_app as create_wallet

# The wallet's side does not depend on the service's database; the same flows run on PostgreSQL in
# tests/web/test_wallet_browser.py (Chromium) and tests/api, so these run on SQLite only.
pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


class RealClock(Clock):
    """The service's clock is the real one: the wallet signs its proofs with the real time."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


class Served:
    """An app built for a socket bound beforehand, served by uvicorn in a thread."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self, app: Any) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the service did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
        self.sock.close()


@dataclass
class World:
    service: Platform
    url: str
    association: dict[str, Any]
    credential: dict[str, Any]
    wallet: TestClient
    served: Served


# (the association's key, the holder's key): every signature algorithm on each side.
@pytest.fixture(params=[("Ed25519", "P-256"), ("P-256", "Ed25519")], ids=["issuer-Ed25519", "issuer-P-256"])
def world(db: Engine, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    issuer_key, holder_key = request.param
    served = Served()
    clock = RealClock()
    service_app = create_service(make_settings(tmp_path, public_url=served.url), clock=clock, engine=db)
    served.start(service_app)
    try:
        with TestClient(service_app) as service_client:
            platform = Platform(service_client, clock)
            association = platform.register("couturieres-e2e", key_type=issuer_key)
            credential = platform.issue(association)
            wallet_app = create_wallet(wallet_settings(tmp_path / "wallet", key_type=holder_key))
            with TestClient(wallet_app, base_url="http://127.0.0.1:8001") as wallet:
                yield World(platform, served.url, association, credential, wallet, served)
    finally:
        served.stop()


def _token(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/add").text)
    assert found
    return found.group(1)


def _statuses(page: httpx.Response) -> list[str]:
    return re.findall(r'class="credential-status[^"]*" data-status="(\w+)"', page.text)


def _offer(world: World) -> dict[str, Any]:
    response = world.service.client.post(
        f"/credentials/{world.credential['id']}/offers", headers=world.association["headers"]
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _nl_labels(world: World) -> list[str]:
    """The Dutch ESCO labels of the credential's skills, as the service itself knows them."""
    labels = []
    for uuid in ("e5eb5b7c-bc7f-4c25-820f-f9bdef888b86", "60c78287-22eb-4103-9c8c-28deaa460da0"):
        skill = world.service.client.get(f"/skills/{uuid}", params={"lang": "nl"})
        assert skill.status_code == 200, skill.text
        body = skill.json()
        label = body.get("label") or body.get("preferred_label")
        labels.append(label["text"] if isinstance(label, dict) else label)
    return labels


def test_offer_to_wallet_then_revocation(world: World) -> None:
    offer = _offer(world)
    assert offer["offer_link"].startswith("openid-credential-offer://?credential_offer_uri=")
    wallet = world.wallet
    wallet.get("/?lang=nl")

    page = wallet.post("/offers", data={"csrf_token": _token(wallet), "offer_link": offer["offer_link"]})
    assert page.status_code == 200, page.text
    assert 'id="tx-code"' in page.text and 'inputmode="numeric"' in page.text
    action = re.search(r'action="(/offers/[^"]+)"', page.text)
    assert action

    wrong = "000000" if offer["tx_code"] != "000000" else "111111"
    refused = wallet.post(action.group(1), data={"csrf_token": _token(wallet), "tx_code": wrong})
    assert refused.status_code == 400, refused.text
    assert "De code klopt niet" in html.unescape(refused.text)

    card = wallet.post(action.group(1), data={"csrf_token": _token(wallet), "tx_code": offer["tx_code"]})
    assert card.status_code == 200, html.unescape(card.text)
    assert 'id="added"' in card.text
    assert _statuses(card) == ["valid"], html.unescape(card.text)
    assert 'class="paper-qr"' in card.text
    before = re.findall(r'<li data-format="([^"]+)">.*?<strong>([^<]+)</strong>', card.text, re.S)
    assert sorted(before) == [("dc+sd-jwt", "Geldig"), ("jwt_vc_json", "Geldig")]  # both lists checked

    stored = wallet.app.state.wallet.cards()  # type: ignore[attr-defined]
    assert len(stored) == 1
    assert sorted(c.format for c in stored[0].credentials) == ["dc+sd-jwt", "jwt_vc_json"]
    assert stored[0].paper_qr and stored[0].paper_qr.startswith("VSC1:")
    card_id = stored[0].id

    listing = wallet.get("/")
    assert f'data-credential-id="{card_id}"' in listing.text
    assert _statuses(listing) == ["valid"]
    for label in _nl_labels(world):
        assert html.escape(label, quote=False) in listing.text or label in html.unescape(listing.text)

    again = wallet.post("/offers", data={"csrf_token": _token(wallet), "offer_link": offer["offer_link"]})
    assert again.status_code == 409 and "Dit aanbod is al gebruikt" in html.unescape(again.text)

    revoked = world.service.client.post(
        f"/credentials/{world.credential['id']}/revoke",
        json={"reason": "issued in error"},
        headers=world.association["headers"],
    )
    assert revoked.status_code == 200, revoked.text
    checked = wallet.post("/check", data={"csrf_token": _token(wallet), "card_id": card_id, "back": "card"})
    assert _statuses(checked) == ["revoked"], html.unescape(checked.text)
    assert "Ingetrokken" in checked.text
    formats = re.findall(r'<li data-format="([^"]+)">.*?<strong>([^<]+)</strong>', checked.text, re.S)
    assert sorted(formats) == [("dc+sd-jwt", "Ingetrokken"), ("jwt_vc_json", "Ingetrokken")]

    world.served.stop()  # the service goes away: the wallet says it does not know, never "valid"
    gone = wallet.post("/check", data={"csrf_token": _token(wallet), "card_id": card_id})
    assert gone.status_code == 200 and _statuses(gone) == ["unknown"]


# Presenting (OpenID4VP 1.0): the counsellor's verify page asks, the wallet answers.


def _receive(world: World) -> str:
    """Issue the world's credential into the wallet; its card id."""
    offer = _offer(world)
    wallet = world.wallet
    page = wallet.post("/offers", data={"csrf_token": _token(wallet), "offer_link": offer["offer_link"]})
    action = re.search(r'action="(/offers/[^"]+)"', page.text)
    assert action, page.text
    card = wallet.post(action.group(1), data={"csrf_token": _token(wallet), "tx_code": offer["tx_code"]})
    assert 'id="added"' in card.text, html.unescape(card.text)
    found = re.search(r'<article class="credential-detail" data-credential-id="([^"]+)"', card.text)
    assert found
    return found.group(1)


def _ask(world: World, claims: list[str]) -> tuple[str, str]:
    """The counsellor asks on the verify page: (the page's path, the openid4vp link it shows)."""
    made = world.service.client.post("/verify/wallet", data={"claims": claims}, follow_redirects=False)
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    waiting = world.service.client.get(path)  # the counsellor's browser, with its cookie
    assert waiting.status_code == 200, waiting.text
    link = re.search(r'id="request-link" href="([^"]+)"', waiting.text)
    assert link, waiting.text
    return path, html.unescape(link.group(1))


def _state(world: World, path: str) -> str:
    response = world.service.client.get(f"{path}/status")
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


def _boxes(page: httpx.Response) -> dict[str, str]:
    tags = re.findall(r'<input type="checkbox" class="claim-choice"[^>]*>', page.text)
    return {re.search(r'data-claim-id="([^"]+)"', t).group(1): t for t in tags}  # type: ignore[union-attr]


def test_counsellor_asks_and_the_volunteer_keeps_the_name_back(world: World) -> None:
    card_id = _receive(world)
    path, link = _ask(world, ["name", "start", "end"])
    assert link.startswith("openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3A")
    assert _state(world, path) == "pending"
    host = world.url.removeprefix("http://")

    wallet = world.wallet
    page = wallet.get("/present", params={"request": link})  # the same-device link of the wallet
    assert page.status_code == 200, html.unescape(page.text)
    assert f"{host} demande :" in html.unescape(page.text)
    boxes = _boxes(page)
    assert list(boxes) == ["skills", "activity", "role", "name", "start", "end"]
    assert all(" disabled" in boxes[c] for c in ("skills", "activity", "role"))
    assert all(" disabled" not in boxes[c] and " checked" in boxes[c] for c in ("name", "start", "end"))

    action = re.search(r'action="(/present/[^"/]+)" id="share-form"', page.text)
    assert action
    values = re.findall(r'name="(claim|card)" value="([^"]+)"', page.text)
    form = {
        "csrf_token": _token(wallet),
        "card": [v for n, v in values if n == "card"],
        "claim": [v for n, v in values if n == "claim" and v.split("/")[1] in ("start", "end")],
    }
    done = wallet.post(action.group(1), data=form)
    assert done.status_code == 200, html.unescape(done.text)
    assert 'id="presented"' in done.text and f"Envoyée à {host}." in html.unescape(done.text)

    assert _state(world, path) == "answered"
    result = world.service.client.get(path)
    assert 'data-verdict="verified"' in result.text, html.unescape(result.text)
    for claim in ("skills", "activity", "role", "start", "end"):
        assert f'data-claim="{claim}" data-disclosed="yes"' in result.text
    assert 'data-claim="name" data-disclosed="no"' in result.text
    assert "Aïcha Benali" not in html.unescape(result.text)
    assert re.search(r'data-check="key_binding" data-status="passed"', result.text)

    card = html.unescape(wallet.get(f"/credentials/{card_id}").text)
    assert f"Montrée à {host} le" in card
    assert "Aptitudes, Titre de l'activité, Rôle, Date de début, Date de fin" in card

    again = wallet.get("/present", params={"request": link})  # answered: the service closed it
    assert again.status_code == 410 and "déjà reçu une réponse" in html.unescape(again.text)


def test_the_volunteer_declines(world: World) -> None:
    _receive(world)
    path, link = _ask(world, ["name"])
    wallet = world.wallet
    page = wallet.get("/present", params={"request": link, "lang": "en"})
    action = re.search(r'action="(/present/[^"]+/decline)"', page.text)
    assert action, page.text
    home = wallet.post(action.group(1), data={"csrf_token": _token(wallet)})
    assert home.status_code == 200 and 'id="declined"' in home.text
    assert _state(world, path) == "declined"
