"""The wallet's pages through FastAPI's TestClient, the issuer played by a fake (httpx.MockTransport)."""

from __future__ import annotations

import html
import io
import json
import re
from urllib.parse import quote

import httpx
import segno
from fastapi.testclient import TestClient
from PIL import Image

from tests.wallet_demo.builders import ISSUER, OFFER_URI, PAPER_QR, FakeIssuer, offer

LINK = "openid-credential-offer://?credential_offer_uri=" + quote(OFFER_URI, safe="")


def words(response: httpx.Response) -> str:
    """The page's text with HTML entities decoded (apostrophes are escaped in the markup)."""
    return html.unescape(response.text)


def token(client: TestClient) -> str:
    page = client.get("/add")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def paste(client: TestClient, link: str = LINK, **headers: str) -> httpx.Response:
    return client.post("/offers", data={"csrf_token": token(client), "offer_link": link}, headers=headers)


def accept(client: TestClient, page: httpx.Response, code: str) -> httpx.Response:
    action = re.search(r'action="(/offers/[^"]+)"', page.text)
    assert action, page.text
    return client.post(action.group(1), data={"csrf_token": token(client), "tx_code": code})


def status_of(html: str) -> list[str]:
    return re.findall(r'class="credential-status[^"]*" data-status="(\w+)"', html)


def test_empty_list(wallet_client: TestClient) -> None:
    page = wallet_client.get("/")
    assert page.status_code == 200
    assert 'id="no-credentials"' in page.text and "Mes attestations" in page.text
    assert 'class="skip-link" href="#main"' in page.text and '<main id="main"' in page.text
    assert "wallet_csrf" in page.cookies


def test_language_switch_then_cookie_then_accept_language(wallet_client: TestClient) -> None:
    page = wallet_client.get("/?lang=nl")
    assert '<html lang="nl">' in page.text and "Mijn attesten" in page.text
    assert page.cookies.get("lang") == "nl"
    assert "Mijn attesten" in wallet_client.get("/").text  # the cookie keeps the choice
    for code in ("fr", "nl", "en"):
        assert f'href="/add?lang={code}" hreflang="{code}"' in wallet_client.get("/add").text
    wallet_client.cookies.clear()
    english = wallet_client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in english.text and "My credentials" in english.text
    assert "Mes attestations" in wallet_client.get("/", headers={"Accept-Language": "de"}).text


def test_uploaded_qr_picture_leads_to_the_tx_code_page(wallet_client: TestClient) -> None:
    picture = io.BytesIO()
    segno.make(LINK, error="m").save(picture, kind="png", scale=6, border=4)
    wallet_client.get("/?lang=nl")  # the reader chose Dutch
    page = wallet_client.post(
        "/offers",
        data={"csrf_token": token(wallet_client), "offer_link": ""},
        files={"qr_picture": ("qr.png", picture.getvalue(), "image/png")},
    )
    assert page.status_code == 200, page.text
    assert re.search(r"/offers/[\w-]+$", str(page.url))
    field = re.search(r"<input[^>]*id=\"tx-code\"[^>]*>", page.text, re.S)
    assert field, page.text
    for attribute in (
        'inputmode="numeric"',
        'autocomplete="one-time-code"',
        'maxlength="6"',
        'name="tx_code"',
    ):
        assert attribute in field.group(0)
    assert not re.search(r'"[a-z-]+="', page.text), "two attributes run together"
    assert '<label for="tx-code">' in page.text
    assert "Solidaire Naaisters VZW biedt u aan:" in page.text  # issuer's display name in Dutch
    assert "Vrijwilligersactiviteit" in page.text and 'id="accept-submit"' in page.text


def test_picture_without_a_qr_code(wallet_client: TestClient) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, format="PNG")
    page = wallet_client.post(
        "/offers",
        data={"csrf_token": token(wallet_client)},
        files={"qr_picture": ("blank.png", blank.getvalue(), "image/png")},
    )
    assert page.status_code == 400
    assert "Aucun code QR d'offre" in words(page) and 'id="qr-picture"' in page.text
    garbage = wallet_client.post(
        "/offers",
        data={"csrf_token": token(wallet_client)},
        files={"qr_picture": ("x.png", b"nope", "image/png")},
    )
    assert garbage.status_code == 400 and "La photo est illisible" in garbage.text


def test_bad_link_is_explained_and_kept_in_the_field(wallet_client: TestClient) -> None:
    page = paste(wallet_client, "bonjour")
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "Ce n'est pas un lien d'offre" in words(page)
    assert 'id="offer-link" name="offer_link" value="bonjour"' in page.text
    assert 'aria-describedby="offer-link-hint form-error"' in page.text


def test_offer_by_value_shows_who_offers_what(wallet_client: TestClient) -> None:
    link = "openid-credential-offer://?credential_offer=" + quote(json.dumps(offer()), safe="")
    page = paste(wallet_client, link)
    assert page.status_code == 200 and "Couturières solidaires ASBL vous propose" in page.text


def test_forms_refuse_missing_token_and_foreign_origin(wallet_client: TestClient) -> None:
    wallet_client.get("/")
    missing = wallet_client.post("/offers", data={"offer_link": LINK})
    assert missing.status_code == 403 and "formulaire n'est plus à jour" in words(missing)
    foreign = paste(wallet_client, LINK, Origin="https://evil.example")
    assert foreign.status_code == 403
    same = paste(wallet_client, LINK, Origin="http://127.0.0.1:8001")
    assert same.status_code == 200


def test_service_unreachable(tmp_path: object) -> None:
    from pathlib import Path

    from tests.wallet_demo.conftest import wallet_settings
    from wallet_demo.app import create_app

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    app = create_app(wallet_settings(Path(str(tmp_path))), transport=httpx.MockTransport(refuse))
    with TestClient(app) as client:
        page = paste(client, LINK)
    assert page.status_code == 502 and "injoignable" in page.text


def test_expired_and_used_offers(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    issuer.routes[("GET", OFFER_URI)] = lambda r: httpx.Response(
        410, json={"error": "offer_expired", "detail": "x"}
    )
    assert "Cette offre a expiré" in paste(wallet_client).text
    issuer.routes[("GET", OFFER_URI)] = lambda r: httpx.Response(
        410, json={"error": "code_used", "detail": "x"}
    )
    used = paste(wallet_client)
    assert used.status_code == 409 and "Cette offre a déjà été utilisée" in used.text
    issuer.routes[("GET", OFFER_URI)] = lambda r: httpx.Response(404, json={"error": "offer_not_found"})
    assert "Cette offre n'existe pas" in words(paste(wallet_client))


def test_receive_check_revoke_and_delete(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    issuer.serve_flow(tx_code="123456")
    issuer.serve_status([0, 0, 0, 0, 0, 0, 0, 0])
    offer_page = paste(wallet_client)
    assert offer_page.status_code == 200

    wrong = accept(wallet_client, offer_page, "654321")
    assert wrong.status_code == 400 and "Le code n'est pas le bon" in words(wrong)
    assert 'aria-invalid="true"' in wrong.text and 'id="tx-code"' in wrong.text
    letters = accept(wallet_client, offer_page, "12ab56")
    assert letters.status_code == 400 and "bonne forme" in letters.text

    card = accept(wallet_client, offer_page, "123456")
    assert card.status_code == 200, card.text
    assert 'id="added"' in card.text and status_of(card.text) == ["valid"]
    assert "<svg" in card.text and 'class="paper-qr"' in card.text
    assert "travailler en équipe" in card.text
    token_request = [r for r in issuer.requests if r.url.path.endswith("/token")][-1]
    assert "tx_code=123456" in token_request.content.decode()

    listing = wallet_client.get("/?lang=nl")
    assert 'data-credential-id="urn:uuid:4a7d2a9e-0000-4000-8000-000000000001"' in listing.text
    assert "in teamverband werken" in listing.text and status_of(listing.text) == ["valid"]

    issuer.serve_status([0, 0, 0, 1, 0, 0, 0, 0])
    assert status_of(wallet_client.get("/").text) == ["valid"]  # the short cache
    checked = wallet_client.post(
        "/check",
        data={"csrf_token": token(wallet_client), "card_id": "urn:uuid:4a7d2a9e-0000-4000-8000-000000000001"},
    )
    assert status_of(checked.text) == ["revoked"] and "Ingetrokken" in checked.text

    issuer.serve_status([0, 0, 0, 2])
    detail = wallet_client.post(
        "/check",
        data={
            "csrf_token": token(wallet_client),
            "card_id": "urn:uuid:4a7d2a9e-0000-4000-8000-000000000001",
            "back": "card",
        },
    )
    assert status_of(detail.text) == ["suspended"] and 'id="delete-credential"' in detail.text

    confirm = wallet_client.get("/delete", params={"card": "urn:uuid:4a7d2a9e-0000-4000-8000-000000000001"})
    assert confirm.status_code == 200 and 'id="delete-confirm"' in confirm.text
    done = wallet_client.post(
        "/delete",
        data={"csrf_token": token(wallet_client), "card_id": "urn:uuid:4a7d2a9e-0000-4000-8000-000000000001"},
    )
    assert (
        done.status_code == 200
        and "Het attest is verwijderd" in done.text
        and 'id="no-credentials"' in done.text
    )


def test_status_unknown_when_the_list_is_unreachable(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    issuer.serve_flow()
    issuer.serve_status([0] * 8)
    accept(wallet_client, paste(wallet_client), "123456")
    del issuer.routes[("GET", issuer.STATUS_URI)]
    page = wallet_client.post(
        "/check",
        data={"csrf_token": token(wallet_client), "card_id": "urn:uuid:4a7d2a9e-0000-4000-8000-000000000001"},
    )
    assert status_of(page.text) == ["unknown"] and "Statut inconnu" in page.text


def test_forged_status_list_is_not_trusted(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    issuer.serve_flow()
    issuer.serve_status([0] * 8)
    accept(wallet_client, paste(wallet_client), "123456")
    real_key = issuer.key
    from cryptography.hazmat.primitives.asymmetric import ec

    issuer.key = ec.generate_private_key(ec.SECP256R1())  # someone else signs a list saying "valid"
    issuer.serve_status([0] * 8)
    issuer.key = real_key
    page = wallet_client.post(
        "/check",
        data={"csrf_token": token(wallet_client), "card_id": "urn:uuid:4a7d2a9e-0000-4000-8000-000000000001"},
    )
    assert status_of(page.text) == ["unknown"]


def test_credential_bound_to_another_key_is_not_kept(wallet_client: TestClient, issuer: FakeIssuer) -> None:
    from tests.wallet_demo.builders import sd_jwt
    from wallet_demo.keys import generate

    issuer.serve_flow()
    stranger = generate("P-256").public_jwk
    issued = sd_jwt(issuer.key, issuer.credential_payload(), holder_jwk=stranger)
    issuer.routes[("POST", ISSUER + "/oid4vci/credential")] = lambda r: httpx.Response(
        200, json={"credentials": [{"credential": issued}], "skills_vc_paper_qr": PAPER_QR}
    )
    page = accept(wallet_client, paste(wallet_client), "123456")
    assert page.status_code == 502 and "n'a pas été gardée" in words(page)
    assert 'id="no-credentials"' in wallet_client.get("/").text


def test_unknown_pages(wallet_client: TestClient) -> None:
    missing = wallet_client.get("/nowhere?lang=nl")
    assert missing.status_code == 404 and "Deze pagina bestaat niet" in missing.text
    card = wallet_client.get("/credentials/urn:uuid:nope")
    assert card.status_code == 404 and "zit niet in de portefeuille" in card.text
    pending = wallet_client.get("/offers/unknown?lang=fr")
    assert pending.status_code == 404 and "Cette page a expiré" in pending.text


def test_security_headers(wallet_client: TestClient) -> None:
    page = wallet_client.get("/")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert (
        page.headers["referrer-policy"] == "same-origin"
        and page.headers["x-content-type-options"] == "nosniff"
    )


def test_plain_http_refused_when_the_setting_says_so(tmp_path: object, issuer: FakeIssuer) -> None:
    from pathlib import Path

    from tests.wallet_demo.conftest import wallet_settings
    from wallet_demo.app import create_app

    settings = wallet_settings(Path(str(tmp_path)), allow_http_issuers=False)
    with TestClient(create_app(settings, transport=issuer.transport())) as client:
        page = paste(client, "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fissuer.test%2Fo")
        assert page.status_code == 400 and "connexion sécurisée" in words(page)
        assert paste(client).status_code == 200  # https is fine


def test_an_issuers_page_on_the_same_device_fills_the_offer_in(wallet_client: TestClient) -> None:
    link = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2F1"
    page = wallet_client.get("/add", params={"offer": link})
    assert page.status_code == 200
    field = re.search(r'<input[^>]*id="offer-link"[^>]*value="([^"]*)"', page.text)
    assert field is not None and html.unescape(field.group(1)) == link
