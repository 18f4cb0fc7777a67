"""Staff sign-in to the association portal: accounts, sessions, revocation, CSRF, attempt limits."""

from __future__ import annotations

import base64
import html
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from skills_vc.api.deps import ContextDep
from skills_vc.api.pages import portal_auth
from skills_vc.api.pages.portal_auth import StaffCsrf, StaffCsrfHeader, StaffSignedIn
from skills_vc.api.pages.security import SESSION_COOKIE, SESSION_SECONDS
from skills_vc.services import associations, staff
from skills_vc.services.context import ServiceContext
from skills_vc.store.tables import SignInFailure, StaffAccount
from tests.conftest import OPERATOR_KEY, Clock, Platform
from tests.web.conftest import web_app
from tests.web.helpers import Elements

PASSWORD = "correct horse battery"


def _whoami(user: StaffSignedIn, ctx: ContextDep) -> dict[str, Any]:
    association = portal_auth.association_of(ctx, user)
    assert association.id == user.association_id
    return {
        "staff_id": user.staff_id,
        "email": user.email,
        "name": user.name,
        "association": user.association_slug,
        "association_name": association.legal_name,
    }


def _form_checked(user: StaffCsrf) -> dict[str, Any]:
    return {"ok": user.email}


def _header_checked(user: StaffCsrfHeader) -> dict[str, Any]:
    return {"ok": user.email}


def _with_test_routes(app: FastAPI) -> FastAPI:
    """Routes that exist only in these tests, to exercise the portal's dependencies."""
    app.add_api_route("/portal/_whoami", _whoami, methods=["GET"])
    app.add_api_route("/portal/_form", _form_checked, methods=["POST"])
    app.add_api_route("/portal/_header", _header_checked, methods=["POST"])
    return app


@pytest.fixture
def portal(db: Engine, clock: Clock, tmp_path: Path) -> Iterator[Platform]:
    """The app (public URL https) reached over https, so the client keeps the Secure cookie."""
    app = _with_test_routes(web_app(db, clock, tmp_path))
    with TestClient(app, base_url="https://testserver") as client:
        yield Platform(client, clock)


def _account(p: Platform, slug: str, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    headers = extra.pop("headers", p.operator)
    body = {"email": email, "name": "Marie Dubois", "password": password, **extra}
    return p.client.post(f"/associations/{slug}/staff", json=body, headers=headers)


def _create(p: Platform, slug: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = _account(p, slug, email, password)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _login(p: Platform, email: str, password: str = PASSWORD, **form: str) -> Any:
    return p.client.post(
        "/portal/login",
        data={"email": email, "password": password, **form},
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )


def _text(response: Any) -> str:
    return html.unescape(" ".join(Elements(response.text).text))


def _cookie_attributes(header: str) -> dict[str, str]:
    parts = [part.strip() for part in header.split(";")]
    return {name.lower(): value for name, _, value in (part.partition("=") for part in parts[1:])}


def _session_cookie(response: Any) -> str:
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}="))
    return str(header)


def _payload(cookie: str) -> bytes:
    """The cookie's signed payload (itsdangerous marks a compressed one with a leading dot)."""
    compressed = cookie.startswith(".")
    data = base64.urlsafe_b64decode(cookie.lstrip(".").split(".")[0] + "==")
    return zlib.decompress(data) if compressed else data


def _set_session(p: Platform, value: str) -> None:
    p.client.cookies.set(SESSION_COOKIE, value, domain="testserver.local")


def _ctx(p: Platform) -> Iterator[ServiceContext]:
    state = p.client.app.state  # type: ignore[attr-defined]
    session = state.session_factory()
    try:
        yield ServiceContext(
            session=session, settings=state.settings, master_key=state.master_key, clock=p.clock
        )
        session.commit()
    finally:
        session.close()


def _stored(p: Platform, email: str) -> StaffAccount:
    for ctx in _ctx(p):
        account = ctx.session.scalars(select(StaffAccount).where(StaffAccount.email == email)).one()
        ctx.session.expunge(account)
        return account
    raise AssertionError("unreachable")


# Sign-in and the session --------------------------------------------------------------------------


def test_sign_in_opens_a_staff_session(portal: Platform) -> None:
    portal.register("alpha")
    created = _create(portal, "alpha", "Marie@Alpha.example ")
    assert created["email"] == "marie@alpha.example" and created["association"] == "alpha"
    assert portal.client.get("/portal/_whoami").status_code == 401
    response = _login(portal, "MARIE@alpha.example", PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/portal"
    header = _session_cookie(response)
    attributes = _cookie_attributes(header)
    assert "httponly" in attributes and "secure" in attributes
    assert attributes["samesite"].lower() == "lax"
    payload = _payload(header.split(";")[0].split("=", 1)[1])
    assert b'"role":"staff"' in payload and f'"sub":"{created["id"]}"'.encode() in payload
    assert b'"iat":' in payload and b"alpha" not in payload and PASSWORD.encode() not in payload
    me = portal.client.get("/portal/_whoami")
    assert me.status_code == 200
    assert me.json() == {
        "staff_id": created["id"],
        "email": "marie@alpha.example",
        "name": "Marie Dubois",
        "association": "alpha",
        "association_name": "Association alpha ASBL",
    }
    assert _stored(portal, "marie@alpha.example").last_sign_in_at == portal.clock()
    # Already signed in: the form sends the visitor on to the portal.
    again = portal.client.get("/portal/login", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/portal"


def test_passwords_are_argon2id_and_old_parameters_are_rehashed(portal: Platform) -> None:
    portal.register("alpha")
    _create(portal, "alpha", "marie@alpha.example")
    assert _stored(portal, "marie@alpha.example").password_hash.startswith("$argon2id$")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    for ctx in _ctx(portal):
        account = staff.get(ctx, "marie@alpha.example")
        account.password_hash = weak
    assert _login(portal, "marie@alpha.example").status_code == 303
    rehashed = _stored(portal, "marie@alpha.example").password_hash
    assert rehashed != weak and rehashed.startswith("$argon2id$") and "t=1," not in rehashed
    portal.client.cookies.clear()
    portal.clock.advance(seconds=1)
    assert _login(portal, "marie@alpha.example").status_code == 303


@pytest.mark.parametrize(
    ("next_path", "location"),
    [
        ("/portal/imports?page=2", "/portal/imports?page=2"),
        ("/portal", "/portal"),
        ("https://evil.example/portal", "/portal"),
        ("//evil.example/portal", "/portal"),
        ("/operator", "/portal"),
        ("/portalx", "/portal"),
        ("/portal\\..\\operator", "/portal"),
        ("/portal/login", "/portal"),
        ("", "/portal"),
    ],
)
def test_next_is_followed_only_within_the_portal(portal: Platform, next_path: str, location: str) -> None:
    portal.register("alpha")
    _create(portal, "alpha", "marie@alpha.example")
    response = _login(portal, "marie@alpha.example", next=next_path)
    assert response.status_code == 303 and response.headers["location"] == location


def test_the_form_is_labelled_and_keeps_next(portal: Platform) -> None:
    response = portal.client.get("/portal/login?lang=en&next=/portal/records")
    assert response.status_code == 200
    page = Elements(response.text)
    inputs = {a["name"]: a for a in page.named("input")}
    assert inputs["email"]["type"] == "email" and inputs["email"]["autocomplete"] == "username"
    assert inputs["password"]["type"] == "password"
    assert inputs["password"]["autocomplete"] == "current-password"
    assert inputs["next"]["type"] == "hidden" and inputs["next"]["value"] == "/portal/records"
    labelled = {a["for"] for a in page.named("label")}
    assert {"email", "password"} <= labelled
    assert next(a["action"] for a in page.named("form")) == "/portal/login"
    assert "Association portal sign-in" in _text(response)
    switch = [a["href"] for a in page.named("a") if a.get("hreflang")]
    assert switch == ["/portal/login?lang=fr", "/portal/login?lang=nl", "/portal/login?lang=en"]
    hostile = portal.client.get("/portal/login?next=https://evil.example/")
    assert next(a for a in Elements(hostile.text).named("input") if a["name"] == "next")["value"] == "/portal"


def test_wrong_password_unknown_email_and_disabled_account_look_alike(portal: Platform) -> None:
    portal.register("alpha")
    _create(portal, "alpha", "marie@alpha.example")
    wrong = _login(portal, "marie@alpha.example", "not the password at all")
    unknown = _login(portal, "nobody@alpha.example", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 403
        assert "set-cookie" not in response.headers and SESSION_COOKIE not in portal.client.cookies
        assert "The email address or the password is wrong." in _text(response)
        assert Elements(response.text).by_id("form-error")["role"] == "alert"
    # The only difference is the address typed in, given back in the form.
    assert wrong.text.replace("marie@alpha.example", "E") == unknown.text.replace("nobody@alpha.example", "E")
    for ctx in _ctx(portal):
        staff.disable(ctx, "marie@alpha.example")
    disabled = _login(portal, "marie@alpha.example", PASSWORD)
    assert disabled.status_code == 403 and disabled.text == wrong.text
    assert portal.client.get("/portal/_whoami").status_code == 401


def test_a_malformed_form_is_the_page_with_a_message(portal: Platform) -> None:
    response = portal.client.post("/portal/login?lang=en", data={"email": "x" * 1001}, follow_redirects=False)
    assert response.status_code == 400
    assert "The form is incomplete or not valid." in _text(response)


def test_expired_and_forged_sessions_are_refused(portal: Platform) -> None:
    portal.register("alpha")
    portal.register("beta")
    _create(portal, "alpha", "marie@alpha.example")
    other = _create(portal, "beta", "jan@beta.example")
    assert _login(portal, "marie@alpha.example").status_code == 303
    genuine = portal.client.cookies[SESSION_COOKIE]
    signature = genuine.rpartition(".")[2]
    body = f'{{"role":"staff","csrf":"x","sub":"{other["id"]}","iat":9999999990,"exp":9999999999}}'
    forged = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    _set_session(portal, f"{forged}.{signature}")
    assert portal.client.get("/portal/_whoami").status_code == 401
    _set_session(portal, genuine)
    assert portal.client.get("/portal/_whoami").json()["association"] == "alpha"
    portal.clock.advance(seconds=SESSION_SECONDS + 1)
    assert portal.client.get("/portal/_whoami").status_code == 401
    assert portal.client.get("/portal/login", follow_redirects=False).status_code == 200


def test_another_role_is_not_a_staff_session(portal: Platform) -> None:
    response = portal.client.post(
        "/operator/login", data={"operator_key": OPERATOR_KEY}, follow_redirects=False
    )
    assert response.status_code == 303
    assert portal.client.get("/portal/_whoami").status_code == 401
    assert portal.client.get("/portal/login", follow_redirects=False).status_code == 200


def test_the_association_comes_from_the_account_not_the_cookie(portal: Platform) -> None:
    portal.register("alpha")
    portal.register("beta")
    _create(portal, "alpha", "marie@alpha.example")
    assert _login(portal, "marie@alpha.example").status_code == 303
    assert portal.client.get("/portal/_whoami").json()["association"] == "alpha"
    # Moving the account (an operator's correction in the database) moves the session with it.
    for ctx in _ctx(portal):
        account = staff.get(ctx, "marie@alpha.example")
        account.association_id = associations.get(ctx, "beta").id
    assert portal.client.get("/portal/_whoami").json()["association"] == "beta"


def test_sign_out_revokes_every_copy_of_the_cookie(portal: Platform) -> None:
    portal.register("alpha")
    _create(portal, "alpha", "marie@alpha.example")
    assert _login(portal, "marie@alpha.example").status_code == 303
    copy = portal.client.cookies[SESSION_COOKIE]
    token = _csrf_of(portal)
    portal.clock.advance(minutes=5)
    response = portal.client.post("/portal/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/portal/login"
    assert SESSION_COOKIE not in portal.client.cookies
    assert "You are signed out." in _text(portal.client.get("/portal/login?lang=en"))
    _set_session(portal, copy)
    assert portal.client.get("/portal/_whoami").status_code == 401
    assert portal.client.get("/portal/login", follow_redirects=False).status_code == 200
    assert _stored(portal, "marie@alpha.example").sessions_valid_after == portal.clock()
    # A new sign-in, later, works again.
    portal.client.cookies.clear()
    portal.clock.advance(seconds=1)
    assert _login(portal, "marie@alpha.example").status_code == 303
    assert portal.client.get("/portal/_whoami").status_code == 200


def _csrf_of(p: Platform) -> str:
    """The session's CSRF token, as a portal page would put it in its forms."""
    cookie = p.client.cookies[SESSION_COOKIE]
    payload = _payload(cookie).decode()
    start = payload.index('"csrf":"') + len('"csrf":"')
    return payload[start : payload.index('"', start)]


def test_csrf_in_a_form_or_a_header(portal: Platform) -> None:
    portal.register("alpha")
    _create(portal, "alpha", "marie@alpha.example")
    assert portal.client.post("/portal/_form", data={"csrf_token": "x"}).status_code == 401
    assert _login(portal, "marie@alpha.example").status_code == 303
    token = _csrf_of(portal)
    assert portal.client.post("/portal/_form", data={"csrf_token": token}).json() == {
        "ok": "marie@alpha.example"
    }
    for form in ({}, {"csrf_token": ""}, {"csrf_token": token + "x"}):
        refused = portal.client.post("/portal/_form", data=form)
        assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert portal.client.post("/portal/_header", headers={"X-CSRF-Token": token}).status_code == 200
    assert portal.client.post("/portal/_header", data={"csrf_token": token}).status_code == 403
    assert portal.client.post("/portal/_header", headers={"X-CSRF-Token": "nope"}).status_code == 403
    # Signing out needs the token too; without it, nothing ends.
    logout = portal.client.post("/portal/logout?lang=en", data={}, follow_redirects=False)
    assert logout.status_code == 403 and "The form has expired" in _text(logout)
    assert portal.client.get("/portal/_whoami").status_code == 200
    assert _stored(portal, "marie@alpha.example").sessions_valid_after is None


def test_sign_out_without_a_session_goes_to_the_form(portal: Platform) -> None:
    response = portal.client.post("/portal/logout", data={"csrf_token": "x"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/portal/login"


# Limits on failed attempts -------------------------------------------------------------------------


def _failures(p: Platform) -> list[str]:
    for ctx in _ctx(p):
        return list(ctx.session.scalars(select(SignInFailure.scope).order_by(SignInFailure.id)))
    raise AssertionError("unreachable")


def test_five_failures_lock_the_account_for_fifteen_minutes(portal: Platform) -> None:
    portal.register("alpha")
    _create(portal, "alpha", "marie@alpha.example")
    _create(portal, "alpha", "jan@alpha.example")
    for _ in range(staff.STAFF_LIMIT):
        assert _login(portal, "Marie@alpha.example", "wrong password here").status_code == 403
        portal.clock.advance(minutes=1)
    assert _failures(portal).count("staff:marie@alpha.example") == 5
    locked = _login(portal, "marie@alpha.example", PASSWORD)
    assert locked.status_code == 429 and "set-cookie" not in locked.headers
    # The oldest failure was 5 minutes ago: it leaves the 15-minute window in 10 minutes.
    assert "Too many failed sign-ins. Wait 10 min and try again." in _text(locked)
    assert Elements(locked.text).by_id("form-error")["role"] == "alert"
    assert _failures(portal).count("staff:marie@alpha.example") == 5  # a refusal adds nothing
    # Another account is not locked.
    assert _login(portal, "jan@alpha.example", PASSWORD).status_code == 303
    portal.client.cookies.clear()
    portal.clock.advance(minutes=16)
    assert _login(portal, "marie@alpha.example", PASSWORD).status_code == 303
    assert "staff:marie@alpha.example" not in _failures(portal)


def test_a_success_clears_the_account_failures(portal: Platform) -> None:
    portal.register("alpha")
    _create(portal, "alpha", "marie@alpha.example")
    for _ in range(staff.STAFF_LIMIT - 1):
        assert _login(portal, "marie@alpha.example", "wrong password here").status_code == 403
    assert _login(portal, "marie@alpha.example").status_code == 303
    portal.client.cookies.clear()
    assert _login(portal, "marie@alpha.example", "wrong password here").status_code == 403
    assert _login(portal, "marie@alpha.example").status_code == 303
    assert _failures(portal).count("staff:marie@alpha.example") == 0
    assert _failures(portal).count("ip:testclient") == staff.STAFF_LIMIT


def test_old_failures_are_forgotten(portal: Platform) -> None:
    assert _login(portal, "nobody@alpha.example", "whatever password").status_code == 403
    portal.clock.advance(minutes=20)
    assert _login(portal, "someone@alpha.example", "whatever password").status_code == 403
    assert _failures(portal) == ["staff:someone@alpha.example", "ip:testclient"]


def test_thirty_failures_from_one_address_lock_it(portal: Platform) -> None:
    portal.register("alpha")
    _create(portal, "alpha", "marie@alpha.example")
    for n in range(staff.IP_LIMIT):
        assert _login(portal, f"guess{n}@alpha.example", "wrong password here").status_code == 403
    locked = _login(portal, "marie@alpha.example", PASSWORD)
    assert locked.status_code == 429 and "Wait 15 min" in _text(locked)
    portal.clock.advance(minutes=16)
    assert _login(portal, "marie@alpha.example", PASSWORD).status_code == 303


def test_the_operator_sign_in_is_limited_too(portal: Platform) -> None:
    for _ in range(staff.OPERATOR_LIMIT):
        response = portal.client.post(
            "/operator/login?lang=en", data={"operator_key": "guess"}, follow_redirects=False
        )
        assert response.status_code == 403
    locked = portal.client.post(
        "/operator/login?lang=en", data={"operator_key": OPERATOR_KEY}, follow_redirects=False
    )
    assert locked.status_code == 429 and SESSION_COOKIE not in portal.client.cookies
    assert "Too many failed sign-ins. Wait 15 min and try again." in _text(locked)
    assert Elements(locked.text).by_id("form-error")["role"] == "alert"
    portal.clock.advance(minutes=16)
    opened = portal.client.post(
        "/operator/login", data={"operator_key": OPERATOR_KEY}, follow_redirects=False
    )
    assert opened.status_code == 303 and opened.headers["location"] == "/operator"
    assert "operator" not in _failures(portal)


# The staff API ----------------------------------------------------------------------------------------


def test_an_association_creates_and_lists_its_staff(portal: Platform) -> None:
    alpha = portal.register("alpha", accredit=False)  # pending associations may have accounts
    response = _account(portal, "alpha", "marie@alpha.example", headers=alpha["headers"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "email", "name", "association", "created_at", "disabled_at", "last_sign_in_at"}
    assert "argon2" not in response.text and PASSWORD not in response.text
    listed = portal.client.get("/associations/alpha/staff", headers=alpha["headers"])
    assert listed.status_code == 200 and [a["email"] for a in listed.json()] == ["marie@alpha.example"]
    assert "argon2" not in listed.text and "password" not in listed.text
    assert portal.client.get("/associations/alpha/staff", headers=portal.operator).json() == listed.json()
    duplicate = _account(portal, "alpha", " MARIE@alpha.example", headers=alpha["headers"])
    assert duplicate.status_code == 409 and duplicate.json()["error"] == "staff_email_taken"


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("marie@alpha.example", "short-pass1", "weak_password"),
        ("marie@alpha.example", "aaaaaaaaaaaaaaaa", "weak_password"),
        ("marie@alpha.example", "MARIE@alpha.example", "weak_password"),
        ("not-an-email", PASSWORD, "invalid_email"),
        ("marie@alpha", PASSWORD, "invalid_email"),
        ("two words@alpha.example", PASSWORD, "invalid_email"),
    ],
)
def test_the_password_policy_and_the_email(portal: Platform, email: str, password: str, code: str) -> None:
    portal.register("alpha")
    response = _account(portal, "alpha", email, password)
    assert response.status_code == 422 and response.json()["error"] == code
    assert portal.client.get("/associations/alpha/staff", headers=portal.operator).json() == []


def test_the_staff_api_keeps_associations_apart(portal: Platform) -> None:
    portal.register("alpha")
    beta = portal.register("beta")
    created = _account(portal, "alpha", "marie@alpha.example", headers=beta["headers"])
    assert created.status_code == 403 and created.json()["error"] == "not_your_association"
    listed = portal.client.get("/associations/alpha/staff", headers=beta["headers"])
    assert listed.status_code == 403
    assert portal.client.get("/associations/alpha/staff").status_code == 401
    bogus = portal.client.get("/associations/alpha/staff", headers=portal.auth("svc_not-a-key"))
    assert bogus.status_code == 401 and bogus.json()["error"] == "invalid_api_key"
    missing = _account(portal, "nobody-here", "marie@alpha.example")
    assert missing.status_code == 404 and missing.json()["error"] == "association_not_found"
    extra = _account(portal, "alpha", "marie@alpha.example", role="admin")
    assert extra.status_code == 400 and extra.json()["error"] == "unknown_field"
