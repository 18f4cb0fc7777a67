"""Sign-in and sign-out of the association portal, and the dependencies its pages use.

Staff sign in with their email and password (``services.staff``); the session is the pages'
signed cookie (``security``) with the role ``staff`` and the account's id as its subject. Every
request re-reads the account: a disabled account, or a session started before the account's
``sessions_valid_after`` (set by signing out), is refused, so signing out also ends copies of
the cookie. The association always comes from the account row, never from the cookie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from skills_vc.api.deps import ContextDep
from skills_vc.api.pages import security
from skills_vc.api.pages.error_pages import error_page_route
from skills_vc.api.pages.routes import render
from skills_vc.api.pages.security import PageSession
from skills_vc.errors import AuthenticationError, SkillsVCError
from skills_vc.services import staff
from skills_vc.services.context import ServiceContext
from skills_vc.store.tables import Association, StaffAccount

__all__ = [
    "HOME_PATH",
    "LOGIN_PATH",
    "ROLE",
    "StaffCsrf",
    "StaffCsrfHeader",
    "StaffSignedIn",
    "StaffUser",
    "association_of",
    "csrf_checked_staff",
    "header_csrf_checked_staff",
    "router",
    "signed_in_staff",
]

ROLE = "staff"
LOGIN_PATH = "/portal/login"
HOME_PATH = "/portal"
LOGOUT_PATH = "/portal/logout"
CSRF_HEADER = "X-CSRF-Token"
_SUBJECT = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class StaffUser:
    """The staff member signed in, their association (from the account row) and the CSRF token."""

    staff_id: int
    email: str
    name: str
    association_id: int
    association_slug: str
    association_name: str
    csrf_token: str


def _account(ctx: ServiceContext, session: PageSession | None) -> StaffAccount | None:
    """The account of a valid staff session, or None."""
    if session is None or session.role != ROLE or not _SUBJECT.fullmatch(session.subject or ""):
        return None
    account = staff.find(ctx, int(session.subject or "0"))
    if account is None or not staff.session_is_valid(account, session.issued_at):
        return None
    return account


def signed_in_staff(request: Request, ctx: ContextDep) -> StaffUser:
    """The staff member of the request's session; ``401 not_signed_in`` when there is none.

    No cookie, a forged or expired one, another role, a disabled account, or a session started
    before the account's last sign-out all count as not signed in.
    """
    session = security.current_session(request)
    account = _account(ctx, session)
    if account is None or session is None:
        raise AuthenticationError("sign in to the association portal", code="not_signed_in")
    return StaffUser(
        staff_id=account.id,
        email=account.email,
        name=account.name,
        association_id=account.association_id,
        association_slug=account.association.slug,
        association_name=account.association.legal_name,
        csrf_token=session.csrf_token,
    )


StaffSignedIn = Annotated[StaffUser, Depends(signed_in_staff)]


def _check(user: StaffUser, submitted: str | None) -> StaffUser:
    security.check_csrf(PageSession(role=ROLE, csrf_token=user.csrf_token), submitted)
    return user


def csrf_checked_staff(user: StaffSignedIn, csrf_token: Annotated[str, Form()] = "") -> StaffUser:
    """The staff member, once the form's ``csrf_token`` is the session's (``403 csrf_failed``)."""
    return _check(user, csrf_token)


StaffCsrf = Annotated[StaffUser, Depends(csrf_checked_staff)]


def header_csrf_checked_staff(request: Request, user: StaffSignedIn) -> StaffUser:
    """The staff member, once the ``X-CSRF-Token`` header is the session's (for ``fetch()`` calls)."""
    return _check(user, request.headers.get(CSRF_HEADER))


StaffCsrfHeader = Annotated[StaffUser, Depends(header_csrf_checked_staff)]


def association_of(ctx: ServiceContext, user: StaffUser) -> Association:
    """The signed-in staff member's association, read in the request's transaction."""
    return staff.association_of(ctx, user.association_id)


def safe_next(path: str | None) -> str:
    """``path`` when it is a page of the portal on this site, else the portal's home."""
    if not path or "\\" in path or any(ord(c) < 0x20 for c in path):
        return HOME_PATH
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or path.startswith("//"):
        return HOME_PATH
    if parts.path != HOME_PATH and not parts.path.startswith(HOME_PATH + "/"):
        return HOME_PATH
    if parts.path in (LOGIN_PATH, LOGOUT_PATH):
        return HOME_PATH
    return path


def _login(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    flash = security.read_flash(request)
    context.setdefault("next_path", safe_next(request.query_params.get("next")))
    response = render(request, "portal_login.html", status, flash=flash, switch_path=LOGIN_PATH, **context)
    security.clear_flash(request, response)
    return response


def _error_page(request: Request, code: str, status: int) -> Response:
    if code == "not_signed_in":
        return RedirectResponse(LOGIN_PATH, status_code=303)
    return _login(request, status, error=code)


router = APIRouter(tags=["web pages"], route_class=error_page_route(_error_page), include_in_schema=False)


@router.get(LOGIN_PATH, response_model=None)
def login_form(request: Request, ctx: ContextDep) -> Response:
    """The sign-in form (a staff member already signed in goes straight to the portal)."""
    if _account(ctx, security.current_session(request)) is not None:
        return RedirectResponse(HOME_PATH, status_code=303)
    return _login(request)


@router.post(LOGIN_PATH, response_model=None)
def login(
    request: Request,
    ctx: ContextDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    """Sign in with an email and a password, then go to ``next`` (a portal page) or the portal.

    A refusal is a page, not an exception, so that the request's transaction commits the
    recorded failure that the limit on attempts counts.
    """
    target = safe_next(next_path)
    try:
        account = staff.authenticate(ctx, email, password, security.client_address(request))
    except SkillsVCError as exc:
        minutes = exc.extra.get("retry_after_minutes")
        return _login(
            request, exc.status, error=exc.code, minutes=minutes, email=email.strip(), next_path=target
        )
    response = RedirectResponse(target, status_code=303)
    security.start_session(request, response, ROLE, subject=str(account.id))
    return response


@router.post(LOGOUT_PATH, response_model=None)
def logout(request: Request, ctx: ContextDep, user: StaffCsrf) -> Response:
    """Sign out: the cookie is dropped and every session of the account ends on the server."""
    account = staff.find(ctx, user.staff_id)
    if account is not None:
        staff.sign_out_everywhere(ctx, account)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    security.end_session(request, response)
    security.set_flash(request, response, "signed_out")
    return response
