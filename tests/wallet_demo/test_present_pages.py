"""Showing a credential through the pages: open a request, choose, share, and the history.

The issuer and the verifier are fakes on the wallet's ``httpx.MockTransport``; what the wallet
posts is read back with the service's own SD-JWT code, as the real verifier would.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

import httpx
import segno
from fastapi.testclient import TestClient

from skills_vc.core import sdjwt as service_sdjwt
from tests.wallet_demo.builders import FakeIssuer
from tests.wallet_demo.test_pages import accept, paste, token, words
from tests.wallet_demo.verifier_fake import BASE, CLIENT_ID, FakeVerifier, dcql, link
from wallet_demo.jose import read_jws

CARD = "urn:uuid:4a7d2a9e-0000-4000-8000-000000000001"


def _receive(client: TestClient, issuer: FakeIssuer) -> None:
    issuer.serve_flow()
    issuer.serve_status([0] * 8)
    card = accept(client, paste(client), "123456")
    assert card.status_code == 200, card.text


def _verifier(client: TestClient, issuer: FakeIssuer) -> FakeVerifier:
    """A verifier whose requests are valid at the wallet's real clock."""
    import time

    verifier = FakeVerifier(now=int(time.time()))
    verifier.install(issuer)
    return verifier


def _open(client: TestClient, text: str) -> httpx.Response:
    return client.post("/present", data={"csrf_token": token(client), "request_link": text})


def _boxes(page: httpx.Response) -> dict[str, str]:
    """The claim checkboxes by data-claim-id, each as its tag."""
    tags = re.findall(r'<input type="checkbox" class="claim-choice"[^>]*>', page.text)
    found = {}
    for tag in tags:
        claim = re.search(r'data-claim-id="([^"]+)"', tag)
        assert claim, tag
        found[claim.group(1)] = tag
    return found


def _share(client: TestClient, page: httpx.Response, keep: list[str], **extra: Any) -> httpx.Response:
    action = re.search(r'action="(/present/[^"/]+)" id="share-form"', page.text)
    assert action, page.text
    values = re.findall(r'name="(claim|card)" value="([^"]+)"', page.text)
    cards = [v for n, v in values if n == "card"]
    claims = [v for n, v in values if n == "claim" and v.split("/", 1)[1] in keep]
    data = {"csrf_token": token(client), "claim": claims, "card": cards, **extra}
    return client.post(action.group(1), data=data)


def _read(presentation: str) -> tuple[dict[str, Any], Any]:
    issuer_jwt, encoded, kb = service_sdjwt.split(presentation)
    claims, _ = service_sdjwt.disclose(read_jws(issuer_jwt).payload, encoded)
    import time

    return claims, service_sdjwt.verify_key_binding(presentation, kb, claims["cnf"], now=int(time.time()))


def test_request_shown_then_shared_without_the_name(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    _receive(wallet_client, issuer)
    verifier = _verifier(wallet_client, issuer)
    page = _open(wallet_client, verifier.publish("req-1"))
    assert page.status_code == 200, words(page)
    text = words(page)
    assert "verifier.test demande :" in text and "did:web:verifier.test" in text
    boxes = _boxes(page)
    assert list(boxes) == ["skills", "activity", "role", "name", "start", "end"]
    for required in ("skills", "activity", "role"):
        assert " disabled" in boxes[required] and " checked" in boxes[required]
    for optional in ("name", "start", "end"):
        assert " disabled" not in boxes[optional] and " checked" in boxes[optional]
    for tag in boxes.values():  # every box has its label and its note
        box_id = re.search(r'id="([^"]+)"', tag)
        assert box_id and f'<label for="{box_id.group(1)}">' in page.text
        assert f'aria-describedby="{box_id.group(1)}-note"' in tag
    assert "Aïcha Benali" in text and "travailler en équipe" in text and "23 mars 2020" in text
    assert "Exigé par le vérificateur" in text and "Facultatif" in text
    assert 'id="share-submit"' in page.text and 'id="decline-submit"' in page.text

    done = _share(wallet_client, page, keep=["start", "end"])
    assert done.status_code == 200, words(done)
    assert 'id="presented"' in done.text and "Envoyée à verifier.test." in words(done)
    assert 'http-equiv="refresh"' not in done.text  # no redirect_uri: the wallet stays

    form = verifier.responses[-1]
    assert form["state"] == "state-req-1" and set(form) == {"vp_token", "state"}
    vp_token = verifier.last_vp_token()
    assert list(vp_token) == ["volunteer_skills"] and len(vp_token["volunteer_skills"]) == 1
    claims, binding = _read(vp_token["volunteer_skills"][0])
    assert binding.aud == CLIENT_ID and binding.nonce == "nonce-req-1"
    assert claims.get("volunteer", {}) == {}  # the name was kept back
    assert set(claims["activity"]) == {"language", "title", "role", "start_date", "end_date"}
    assert len(claims["skills"]) == 2

    card = wallet_client.get(f"/credentials/{CARD}")
    history = re.search(r'<ul class="presentations" id="presentations">(.*?)</ul>', card.text, re.S)
    assert history, card.text
    entry = words(card)[words(card).index("Montrée à verifier.test") :]
    assert "Aptitudes, Titre de l'activité, Rôle, Date de début, Date de fin" in entry
    assert "Votre nom" not in history.group(1)
    assert 'data-accepted="true"' in history.group(1)
    stored = wallet_client.app.state.wallet.presentations(CARD)  # type: ignore[attr-defined]
    assert stored[0].verifier == CLIENT_ID
    assert [c["id"] for c in stored[0].disclosed["claims"]] == ["skills", "activity", "role", "start", "end"]

    again = _share(wallet_client, page, keep=[])  # the request is answered: it is closed
    assert again.status_code == 404 and "n'est plus ouverte" in words(again)
    english = wallet_client.get(f"/credentials/{CARD}?lang=en")
    assert "Shown to verifier.test on" in english.text and "Skills, Activity title, Role" in english.text


def test_same_device_link_and_redirect(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    _receive(wallet_client, issuer)
    verifier = _verifier(wallet_client, issuer)
    verifier.answer = lambda form: httpx.Response(200, json={"redirect_uri": f"{BASE}/verify/wallet/req-2"})
    opened = wallet_client.get("/present", params={"request": verifier.publish("req-2"), "lang": "nl"})
    assert opened.status_code == 200 and opened.url.path.startswith("/present/")
    assert "verifier.test vraagt:" in words(opened)
    done = _share(wallet_client, opened, keep=["name", "start", "end"])
    assert 'id="presented"' in done.text and "Verstuurd naar verifier.test." in words(done)
    assert f'content="2;url={BASE}/verify/wallet/req-2"' in done.text
    assert f'id="continue" href="{BASE}/verify/wallet/req-2"' in done.text
    claims, _ = _read(verifier.last_vp_token()["volunteer_skills"][0])
    assert claims["volunteer"] == {"name": "Aïcha Benali"}


def test_requests_by_picture_and_through_the_add_page(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    _receive(wallet_client, issuer)
    verifier = _verifier(wallet_client, issuer)
    picture = io.BytesIO()
    segno.make(verifier.publish("req-3"), error="m").save(picture, kind="png", scale=4, border=4)
    page = wallet_client.post(
        "/present",
        data={"csrf_token": token(wallet_client), "request_link": ""},
        files={"qr_picture": ("qr.png", picture.getvalue(), "image/png")},
    )
    assert page.status_code == 200 and 'id="share-submit"' in page.text, words(page)
    # The add page takes a request as well (one way in), and the present page an offer.
    added = paste(wallet_client, verifier.publish("req-4"))
    assert added.status_code == 200 and "/present/" in str(added.url) and 'id="verifier"' in added.text
    failed = paste(wallet_client, link("never-published"))  # its error is told on the present page
    assert failed.status_code == 410 and 'id="request-link"' in failed.text
    assert "La demande n'a pas pu être ouverte" in words(failed)
    blank = io.BytesIO()
    segno.make("hello", error="m").save(blank, kind="png", scale=4)
    none = wallet_client.post(
        "/present",
        data={"csrf_token": token(wallet_client)},
        files={"qr_picture": ("qr.png", blank.getvalue(), "image/png")},
    )
    assert none.status_code == 400 and "Aucun code QR de demande" in words(none)


def test_request_errors_are_pages_not_500s(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    _receive(wallet_client, issuer)
    verifier = _verifier(wallet_client, issuer)
    stranger = FakeVerifier()
    forged = verifier.sign(verifier.payload("bad-sig"), key=stranger.key)
    page = _open(wallet_client, verifier.publish("bad-sig", token=forged))
    assert page.status_code == 400 and "n'a pas pu être vérifiée" in words(page)
    assert 'data-error="request_unverified"' in page.text and "Détail technique" in words(page)
    assert 'id="request-link"' in page.text and 'role="alert"' in page.text

    wrong_typ = _open(
        wallet_client, verifier.publish("typ", token=verifier.sign(verifier.payload("typ"), typ="JWT"))
    )
    assert 'data-error="request_unverified"' in wrong_typ.text
    expired = verifier.sign(verifier.payload("old", exp=verifier.now - 1))
    assert "Cette demande a expiré" in words(_open(wallet_client, verifier.publish("old", token=expired)))
    gone = _open(wallet_client, link("never-published"))
    assert gone.status_code == 410 and "n'existe plus" in words(gone)
    unsigned = (
        "openid4vp://?client_id=" + quote(CLIENT_ID) + "&response_type=vp_token&nonce=n&dcql_query=%7B%7D"
    )
    refused = wallet_client.get("/present", params={"request": unsigned, "lang": "en"})
    assert refused.status_code == 400 and "This request is not signed" in words(refused)
    x509 = _open(wallet_client, link(client_id="x509_san_dns:verifier.test"))
    assert "only answers verifiers identified by a DID" in words(x509)  # the cookie kept English
    empty = _open(wallet_client, "")
    assert "Paste the request link" in words(empty)
    del issuer.routes[("GET", f"{BASE}/.well-known/did.json")]
    no_did = _open(wallet_client, verifier.publish("no-did"))
    assert no_did.status_code == 502 and 'data-error="request_unverified"' in no_did.text
    missing = wallet_client.get("/present/nope")
    assert missing.status_code == 404 and "no longer open" in words(missing)


def test_verifier_refusal_is_shown_and_remembered(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    _receive(wallet_client, issuer)
    verifier = _verifier(wallet_client, issuer)
    verifier.answer = lambda form: httpx.Response(
        400, json={"error": "invalid_request", "error_description": "the nonce was already used"}
    )
    page = _open(wallet_client, verifier.publish("req-5"))
    refused = _share(wallet_client, page, keep=["name"])
    assert refused.status_code == 502 and "Le vérificateur a refusé la réponse" in words(refused)
    assert "invalid_request: the nonce was already used" in words(refused)
    assert 'id="share-submit"' in refused.text  # the choice is shown again
    boxes = _boxes(refused)
    assert " checked" in boxes["name"] and " checked" not in boxes["start"]  # as the volunteer left them
    card = wallet_client.get(f"/credentials/{CARD}")
    assert 'data-accepted="false"' in card.text and "a refusé la réponse" in words(card)

    def down_handler(form: dict[str, str]) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    verifier.answer = down_handler  # the verifier goes away: nothing more is recorded as shown
    down = _share(wallet_client, page, keep=[])
    assert down.status_code == 502 and "injoignable" in words(down)
    assert len(wallet_client.app.state.wallet.presentations(CARD)) == 1  # type: ignore[attr-defined]


def test_no_matching_credential(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    verifier = _verifier(wallet_client, issuer)
    empty = _open(wallet_client, verifier.publish("req-6"))
    assert (
        empty.status_code == 200 and 'id="no-match"' in empty.text and 'id="share-submit"' not in empty.text
    )
    _receive(wallet_client, issuer)
    other = verifier.publish("req-7", dcql_query=dcql(vct="https://elsewhere.test/vct/other"))
    page = _open(wallet_client, other)
    assert 'id="no-match"' in page.text
    assert "Aucune attestation de ce portefeuille ne correspond" in words(page)
    assert "Aptitudes, Titre de l'activité" in words(page)  # what was asked for


def test_claim_sets_that_the_choice_does_not_satisfy(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    _receive(wallet_client, issuer)
    verifier = _verifier(wallet_client, issuer)
    query = dcql(claim_sets=[["skills", "name"], ["skills", "start"]])
    page = _open(wallet_client, verifier.publish("req-8", dcql_query=query))
    assert list(_boxes(page)) == ["skills", "name", "start"]
    refused = _share(wallet_client, page, keep=[])
    assert refused.status_code == 400 and "Ces choix ne suffisent pas" in words(refused)
    assert not verifier.responses
    done = _share(wallet_client, page, keep=["start"])
    assert 'id="presented"' in done.text
    claims, _ = _read(verifier.last_vp_token()["volunteer_skills"][0])
    assert set(claims["activity"]) == {"language", "start_date"} and claims.get("volunteer", {}) == {}


def test_decline_tells_the_verifier(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    _receive(wallet_client, issuer)
    verifier = _verifier(wallet_client, issuer)
    page = _open(wallet_client, verifier.publish("req-9"))
    action = re.search(r'action="(/present/[^"]+/decline)"', page.text)
    assert action
    home = wallet_client.post(action.group(1), data={"csrf_token": token(wallet_client)})
    assert home.status_code == 200 and 'id="declined"' in home.text
    assert verifier.responses == [
        {
            "error": "access_denied",
            "error_description": "the holder declined to share",
            "state": "state-req-9",
        }
    ]
    assert wallet_client.app.state.wallet.presentations(CARD) == []  # type: ignore[attr-defined]


def test_share_needs_the_form_token(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    _receive(wallet_client, issuer)
    verifier = _verifier(wallet_client, issuer)
    page = _open(wallet_client, verifier.publish("req-10"))
    action = re.search(r'action="(/present/[^"/]+)" id="share-form"', page.text)
    assert action
    forged = wallet_client.post(action.group(1), data={"claim": ["volunteer_skills/name"]})
    assert forged.status_code == 403 and not verifier.responses
    foreign = wallet_client.post(
        action.group(1), data={"csrf_token": token(wallet_client)}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403 and not verifier.responses


def test_present_page_and_navigation(wallet_client: TestClient) -> None:
    page = wallet_client.get("/present?lang=en")
    assert page.status_code == 200
    for hook in (
        'id="request-link"',
        'id="present-submit"',
        'id="request-qr-picture"',
        'data-form="request-form"',
    ):
        assert hook in page.text
    assert 'href="/present" id="nav-present" aria-current="page"' in page.text
    assert "It starts with openid4vp://" in page.text


def test_a_revoked_credential_is_flagged_before_sharing(
    wallet_client: TestClient, issuer: FakeIssuer
) -> None:
    _receive(wallet_client, issuer)
    issuer.serve_status([0, 0, 0, 1])
    wallet_client.post("/check", data={"csrf_token": token(wallet_client), "card_id": CARD})
    verifier = _verifier(wallet_client, issuer)
    page = _open(wallet_client, verifier.publish("req-11"))
    assert 'class="message message-error credential-warning" data-status="revoked"' in page.text
    assert "L'association a révoqué Couture de masques : le vérificateur le verra." in words(page)
    assert 'id="share-submit"' in page.text  # the volunteer may still show it
