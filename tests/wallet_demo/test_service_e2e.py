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
