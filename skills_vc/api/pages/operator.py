"""The platform operator's page: sign in with the operator key, then accredit, suspend or withdraw.

Every state change is a POST form carrying the session's CSRF token (``security.check_csrf``).
Errors are rendered as the page with a message in the reader's language and the error's 4xx
status; a visitor who is not signed in is sent to the sign-in form.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from skills_vc.api.deps import ContextDep, is_operator_key, service_context
from skills_vc.api.pages import security
from skills_vc.api.pages.error_pages import error_page_route
from skills_vc.api.pages.routes import render
from skills_vc.api.pages.security import PageSession
from skills_vc.core.enterprise import format_enterprise_number
from skills_vc.core.trust import TRANSITIONS, AccreditationStatus
from skills_vc.errors import AuthenticationError, TooManyAttempts, ValidationFailed
from skills_vc.services import associations, staff
from skills_vc.services.context import ServiceContext

__all__ = ["router"]

ROLE = "operator"
LOGIN_PATH = "/operator/login"
PAGE_PATH = "/operator"
MAX_REASON = 1000
# The order of the actions on the page; suspending and withdrawing ask for a confirmation.
_ACTIONS: tuple[AccreditationStatus, ...] = ("accredited", "suspended", "withdrawn")
_CONFIRMED = frozenset({"suspended", "withdrawn"})


@dataclass(frozen=True)
class AssociationRow:
    """One association as the operator's page shows it."""

    slug: str
    legal_name: str
    enterprise_number: str
    did: str
    status: AccreditationStatus
    changed_at: datetime | None
    actions: tuple[AccreditationStatus, ...]


def _rows(ctx: ServiceContext) -> list[AssociationRow]:
    """Every association (by slug); the page shows those waiting for accreditation first."""
    rows = []
    for association in associations.list_all(ctx):
        status = associations.accreditation_status(association)
        rows.append(
            AssociationRow(
                slug=association.slug,
                legal_name=association.legal_name,
                enterprise_number=format_enterprise_number(association.enterprise_number),
                did=associations.did_of(ctx, association),
                status=status,
                changed_at=association.events[-1].at if association.events else None,
                actions=tuple(a for a in _ACTIONS if a in TRANSITIONS[status]),
            )
        )
    return rows


def _page_context(request: Request, ctx: ContextDep) -> ServiceContext:
    # Kept on the request so that an error page can show the list in the same transaction, once
    # rolled back (a second connection would wait for SQLite's write lock that this one holds).
    request.state.page_context = ctx
    return ctx


PageContext = Annotated[ServiceContext, Depends(_page_context)]


@contextmanager
def _read_only(request: Request) -> Iterator[ServiceContext]:
    session = request.app.state.session_factory()
    try:
        yield service_context(request, session)
    finally:
        session.rollback()
        session.close()


def _page(
    request: Request, ctx: ServiceContext, session: PageSession, status: int = 200, **context: Any
) -> HTMLResponse:
    flash = security.read_flash(request)
    response = render(
        request,
        "operator.html",
        status,
        rows=_rows(ctx),
        csrf_token=session.csrf_token,
        flash=flash,
        switch_path=PAGE_PATH,
        **context,
    )
    security.clear_flash(request, response)
    return response


def _login(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    flash = security.read_flash(request)
    response = render(request, "login.html", status, flash=flash, switch_path=LOGIN_PATH, **context)
    security.clear_flash(request, response)
    return response


def _error_page(request: Request, code: str, status: int) -> Response:
    session = security.current_session(request)
    if code == "not_signed_in" or session is None or session.role != ROLE:
        return RedirectResponse(LOGIN_PATH, status_code=303)
    ctx: ServiceContext | None = getattr(request.state, "page_context", None)
    if ctx is None:  # the request opened no transaction (sign-out): read the list in one of our own
        with _read_only(request) as own:
            return _page(request, own, session, status, error=code)
    # Nothing of the failed request is kept: its transaction is rolled back before the list is read.
    ctx.session.rollback()
    return _page(request, ctx, session, status, error=code)


def _signed_in(request: Request) -> PageSession:
    session = security.current_session(request)
    if session is None or session.role != ROLE:
        raise AuthenticationError("sign in as the platform operator", code="not_signed_in")
    return session


SignedIn = Annotated[PageSession, Depends(_signed_in)]


def _csrf_checked(session: SignedIn, csrf_token: Annotated[str, Form()] = "") -> PageSession:
    security.check_csrf(session, csrf_token)
    return session


CsrfChecked = Annotated[PageSession, Depends(_csrf_checked)]

router = APIRouter(tags=["web pages"], route_class=error_page_route(_error_page), include_in_schema=False)


@router.get(LOGIN_PATH, response_model=None)
def login_form(request: Request) -> Response:
    """The sign-in form (an operator already signed in goes straight to the page)."""
    session = security.current_session(request)
    if session is not None and session.role == ROLE:
        return RedirectResponse(PAGE_PATH, status_code=303)
    return _login(request)


@router.post(LOGIN_PATH, response_model=None)
def login(request: Request, ctx: ContextDep, operator_key: Annotated[str, Form()] = "") -> Response:
    """Sign in with the operator key; the session cookie holds a role and a CSRF token, not the key.

    Failed attempts are limited (``services.staff.operator_limits``); a refusal is a page, so the
    request's transaction commits the recorded failure.
    """
    limits = staff.operator_limits(security.client_address(request))
    try:
        staff.check_attempts(ctx, limits)
    except TooManyAttempts as exc:
        return _login(request, exc.status, error=exc.code, minutes=exc.extra.get("retry_after_minutes"))
    # Constant-time comparisons (the previous keys too, during a rotation).
    if not operator_key or not is_operator_key(request.app.state, operator_key):
        staff.record_failure(ctx, limits)
        return _login(request, 403, error="wrong_key")
    staff.clear_failures(ctx, limits[0])
    response = RedirectResponse(PAGE_PATH, status_code=303)
    security.start_session(request, response, ROLE)
    return response


@router.post("/operator/logout", response_model=None)
def logout(request: Request, _session: CsrfChecked) -> Response:
    """Sign out (a form with the CSRF token, so another site cannot sign the operator out)."""
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    security.end_session(request, response)
    security.set_flash(request, response, "signed_out")
    return response


@router.get(PAGE_PATH, response_class=HTMLResponse)
def operator_page(request: Request, ctx: PageContext, session: SignedIn) -> HTMLResponse:
    """The associations, those waiting for accreditation first, with the actions each allows."""
    return _page(request, ctx, session)


@router.post("/operator/associations/{slug}/accreditation", response_model=None)
def change_accreditation(
    request: Request,
    slug: str,
    ctx: PageContext,
    _session: CsrfChecked,
    status: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Accredit, suspend or withdraw; then back to the page with a message."""
    target = _target(status, confirm, reason)
    association = associations.change_accreditation(ctx, slug, target, reason.strip() or None, ROLE)
    response = RedirectResponse(PAGE_PATH, status_code=303)
    security.set_flash(request, response, target, name=association.legal_name)
    return response


def _target(status: str, confirm: str, reason: str) -> AccreditationStatus:
    """The status the form asks for, once the form is complete."""
    target = next((a for a in _ACTIONS if a == status), None)
    if target is None:
        raise ValidationFailed("status must be accredited, suspended or withdrawn", code="invalid_status")
    if len(reason.strip()) > MAX_REASON:
        raise ValidationFailed(f"the reason is longer than {MAX_REASON} characters", code="reason_too_long")
    if target in _CONFIRMED and confirm != "yes":
        raise ValidationFailed("tick the box to confirm", code="confirmation_required", status=400)
    return target
