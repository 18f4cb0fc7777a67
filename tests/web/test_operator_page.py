"""The operator's page through HTTP: sign-in, the session cookie, CSRF, accreditation forms, errors."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from skills_vc.api.pages.security import FLASH_COOKIE, SESSION_COOKIE, SESSION_SECONDS
from tests.conftest import OPERATOR_KEY, Clock, Platform
from tests.web.conftest import web_app
from tests.web.helpers import Elements

ACTION = "/operator/associations/{slug}/accreditation"


@pytest.fixture
def op(db: Engine, clock: Clock, tmp_path: Path) -> Iterator[Platform]:
    """The app (public URL https) reached over https, so the browser side keeps Secure cookies."""
    with TestClient(web_app(db, clock, tmp_path), base_url="https://testserver") as client:
        yield Platform(client, clock)


def _sign_in(op: Platform) -> str:
    """Sign in as the operator; returns the CSRF token the page's forms carry."""
    response = op.client.post("/operator/login", data={"operator_key": OPERATOR_KEY}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/operator"
    return _csrf(op.client.get("/operator?lang=en").text)


def _csrf(page: str) -> str:
    tokens = {attrs["value"] for attrs in Elements(page).named("input") if attrs.get("name") == "csrf_token"}
    assert len(tokens) == 1, tokens
    return str(tokens.pop())


def _act(op: Platform, slug: str, status: str, **form: str) -> Any:
    return op.client.post(
        ACTION.format(slug=slug) + "?lang=en", data={"status": status, **form}, follow_redirects=False
    )


def _status(op: Platform, slug: str) -> str:
    return str(op.client.get(f"/associations/{slug}").json()["accreditation_status"])


def _history(op: Platform, slug: str) -> list[dict[str, Any]]:
    return list(op.client.get(f"/associations/{slug}").json()["accreditation_history"])


def _text(response: Any) -> str:
    return html.unescape(" ".join(Elements(response.text).text))


def _cookie_attributes(header: str) -> dict[str, str]:
    parts = [part.strip() for part in header.split(";")]
    return {name.lower(): value for name, _, value in (part.partition("=") for part in parts[1:])}


def test_wrong_key_is_refused_and_sets_no_cookie(op: Platform) -> None:
    for key in ("not-the-operator-key", "", OPERATOR_KEY + "x"):
        response = op.client.post(
            "/operator/login",
            data={"operator_key": key},
            headers={"Accept-Language": "en"},
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert "set-cookie" not in response.headers and SESSION_COOKIE not in op.client.cookies
        assert "This is not the operator key." in _text(response)
    assert op.client.get("/operator", follow_redirects=False).headers["location"] == "/operator/login"


def test_right_key_opens_a_signed_session_cookie_without_the_key(op: Platform) -> None:
    response = op.client.post("/operator/login", data={"operator_key": OPERATOR_KEY}, follow_redirects=False)
    assert response.status_code == 303
    header = response.headers["set-cookie"]
    assert header.startswith(f"{SESSION_COOKIE}=")
    attributes = _cookie_attributes(header)
    assert "httponly" in attributes and "secure" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["max-age"] == str(SESSION_SECONDS) == str(8 * 3600)
    value = header.split(";")[0].split("=", 1)[1]
    payload = base64.urlsafe_b64decode(value.split(".")[0] + "==")
    assert OPERATOR_KEY not in header and OPERATOR_KEY.encode() not in payload
    assert b'"role":"operator"' in payload
    assert op.client.get("/operator").status_code == 200


def test_cookie_is_not_secure_when_the_public_url_is_http(db: Engine, clock: Clock, tmp_path: Path) -> None:
    app = web_app(db, clock, tmp_path, public_url="http://skills-vc.test")
    with TestClient(app) as client:
        response = client.post("/operator/login", data={"operator_key": OPERATOR_KEY}, follow_redirects=False)
    attributes = _cookie_attributes(response.headers["set-cookie"])
    assert "secure" not in attributes and "httponly" in attributes


def test_not_signed_in_forged_or_expired_goes_to_the_sign_in_form(op: Platform) -> None:
    op.register("zulu", accredit=False)
    assert op.client.get("/operator", follow_redirects=False).headers["location"] == "/operator/login"
    refused = _act(op, "zulu", "accredited", csrf_token="anything")
    assert refused.status_code == 303 and refused.headers["location"] == "/operator/login"
    assert _status(op, "zulu") == "pending"
    _sign_in(op)
    genuine = op.client.cookies[SESSION_COOKIE]
    signature = genuine.rpartition(".")[2]
    forged = base64.urlsafe_b64encode(b'{"role":"operator","csrf":"x","exp":9999999999}').decode().rstrip("=")
    op.client.cookies.set(SESSION_COOKIE, f"{forged}.{signature}", domain="testserver.local")
    assert op.client.get("/operator", follow_redirects=False).status_code == 303
    op.client.cookies.set(SESSION_COOKIE, genuine, domain="testserver.local")
    assert op.client.get("/operator", follow_redirects=False).status_code == 200
    op.clock.advance(seconds=SESSION_SECONDS + 1)
    assert op.client.get("/operator", follow_redirects=False).headers["location"] == "/operator/login"


def test_pending_associations_come_first_with_their_allowed_actions(op: Platform) -> None:
    op.register("alpha")  # accredited
    op.register("zulu", accredit=False)
    _sign_in(op)
    response = op.client.get("/operator?lang=en")
    page = Elements(response.text)
    order = [attrs["id"] for attrs in page.named("article")]
    assert order == ["association-zulu", "association-alpha"]
    forms = [f["action"] for f in page.named("form")]
    assert forms[1:] == [ACTION.format(slug="zulu")] * 2 + [ACTION.format(slug="alpha")] * 2  # after sign-out
    actions = [a["value"] for a in page.named("input") if a.get("name") == "status"]
    assert actions == ["accredited", "withdrawn", "suspended", "withdrawn"]
    text = _text(response)
    assert "Waiting for accreditation (1)" in text
    assert f"0400.000.2{97 - 4000002 % 97:02d}" in text and "did:web:skills-vc.test:issuers:zulu" in text
    assert "2 March 2026" in text
    # Suspending and withdrawing need a ticked box; accrediting does not.
    boxes = [a for a in page.named("input") if a.get("type") == "checkbox"]
    assert len(boxes) == 3 and all("required" in a and a["name"] == "confirm" for a in boxes)
    labelled = {attrs["for"] for attrs in page.named("label")}
    assert all(a["id"] in labelled for a in page.named("input") if a.get("type") != "hidden")


def test_accredit_through_the_form_then_a_flash_shown_once(op: Platform) -> None:
    op.register("zulu", accredit=False)
    token = _sign_in(op)
    response = _act(op, "zulu", "accredited", csrf_token=token, reason="dossier complet")
    assert response.status_code == 303 and response.headers["location"] == "/operator"
    assert _status(op, "zulu") == "accredited"
    latest = _history(op, "zulu")[-1]
    assert (latest["status"], latest["reason"], latest["actor"]) == (
        "accredited",
        "dossier complet",
        "operator",
    )
    page = op.client.get("/operator?lang=en")
    assert "Association zulu ASBL is now accredited." in _text(page)
    assert FLASH_COOKIE not in op.client.cookies
    assert "is now accredited" not in _text(op.client.get("/operator?lang=en"))


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_missing_or_wrong_csrf_token_is_refused_and_changes_nothing(op: Platform, token: str | None) -> None:
    op.register("zulu", accredit=False)
    _sign_in(op)
    form = {} if token is None else {"csrf_token": token}
    response = _act(op, "zulu", "accredited", **form)
    assert response.status_code == 403
    assert "The form has expired or did not come from this page. Nothing was changed" in _text(response)
    assert _status(op, "zulu") == "pending" and len(_history(op, "zulu")) == 1
    logout = op.client.post("/operator/logout", data=form, follow_redirects=False)
    assert logout.status_code == 403 and op.client.get("/operator", follow_redirects=False).status_code == 200


def test_a_token_from_another_session_is_refused(op: Platform) -> None:
    op.register("zulu", accredit=False)
    old = _sign_in(op)
    op.client.cookies.clear()
    _sign_in(op)
    assert _act(op, "zulu", "accredited", csrf_token=old).status_code == 403
    assert _status(op, "zulu") == "pending"


def test_suspend_and_withdraw_need_the_confirmation(op: Platform) -> None:
    op.register("alpha")
    token = _sign_in(op)
    for status in ("suspended", "withdrawn"):
        response = _act(op, "alpha", status, csrf_token=token)
        assert response.status_code == 400
        assert "Tick the confirmation box" in _text(response)
    assert _status(op, "alpha") == "accredited"
    assert _act(op, "alpha", "suspended", csrf_token=token, confirm="yes").status_code == 303
    assert _status(op, "alpha") == "suspended"


def test_invalid_transition_and_unknown_association_change_nothing(op: Platform) -> None:
    op.register("alpha")
    op.set_accreditation("alpha", "withdrawn")
    token = _sign_in(op)
    before = _history(op, "alpha")
    response = _act(op, "alpha", "accredited", csrf_token=token)
    assert response.status_code == 409
    text = _text(response)
    assert "This change is not allowed from the association's current status" in text
    assert "No action: a withdrawal is final." in text  # the page, with the list, not a bare error
    assert _history(op, "alpha") == before
    missing = _act(op, "nobody-here", "accredited", csrf_token=token)
    assert missing.status_code == 404 and "This association is not in the registry." in _text(missing)
    bogus = _act(op, "alpha", "deleted", csrf_token=token)
    assert bogus.status_code == 422 and _history(op, "alpha") == before
    long_reason = _act(op, "alpha", "withdrawn", csrf_token=token, confirm="yes", reason="x" * 1001)
    assert long_reason.status_code == 422 and "The reason is too long" in _text(long_reason)


def test_legal_name_is_escaped(op: Platform) -> None:
    name = "<script>alert(1)</script> & <b>Co</b>"
    body = {"legal_name": name, "enterprise_number": f"04000000{97 - 4000000 % 97:02d}", "slug": "tricky"}
    assert op.client.post("/associations", json=body).status_code == 201
    token = _sign_in(op)
    page = op.client.get("/operator?lang=en").text
    assert "<script>alert" not in page and "<b>Co" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in page
    assert _act(op, "tricky", "accredited", csrf_token=token).status_code == 303
    flashed = op.client.get("/operator?lang=en").text
    assert (
        "<script>alert" not in flashed and f"{html.escape(name, quote=False)} is now accredited." in flashed
    )


def test_sign_out_ends_the_session(op: Platform) -> None:
    token = _sign_in(op)
    response = op.client.post("/operator/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/operator/login"
    assert SESSION_COOKIE not in op.client.cookies
    assert op.client.get("/operator", follow_redirects=False).status_code == 303
    assert "You are signed out." in _text(op.client.get("/operator/login?lang=en"))


def test_the_page_speaks_dutch_and_its_language_switch_stays_on_it(op: Platform) -> None:
    op.register("zulu", accredit=False)
    _sign_in(op)
    response = op.client.get("/operator?lang=nl")
    page = Elements(response.text)
    assert page.named("html")[0]["lang"] == "nl"
    text = _text(response)
    assert "Erkenning van de verenigingen" in text and "Wachten op erkenning (1)" in text
    switch = [a["href"] for a in page.named("a") if a.get("hreflang")]
    assert switch == ["/operator?lang=fr", "/operator?lang=nl", "/operator?lang=en"]
    op.client.cookies.clear()
    login = Elements(op.client.get("/operator/login?lang=fr").text)
    assert next(a["href"] for a in login.named("a") if a.get("hreflang")) == "/operator/login?lang=fr"
