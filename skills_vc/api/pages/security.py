"""Signed session cookies, CSRF tokens and flash messages for the pages that change state.

A session is a cookie signed (HMAC-SHA256, ``itsdangerous``) with a key derived from the master
key, so no new secret has to be configured. It holds a role (``operator``, later an association),
a CSRF token, its issue time (``iat``) and its expiry — never a key or a password. The issue
time lets a page refuse sessions started before a server-side sign-out. The cookie is ``HttpOnly``,
``SameSite=Lax``, ``Secure`` when the public URL is https, and lives at most
:data:`SESSION_SECONDS`; the expiry is also signed, read from the application's clock, so an old
cookie is refused even by a browser that kept it.

Every form that changes state carries the session's CSRF token in a hidden ``csrf_token`` field;
:func:`check_csrf` refuses the request (``403 csrf_failed``) when it is missing or wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

from skills_vc.errors import ForbiddenError

__all__ = [
    "CSRF_FIELD",
    "FLASH_COOKIE",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "PageSession",
    "check_csrf",
    "clear_flash",
    "client_address",
    "current_session",
    "end_session",
    "read_flash",
    "set_flash",
    "sign",
    "start_session",
    "unsign",
]

SESSION_COOKIE = "skills_vc_session"
FLASH_COOKIE = "skills_vc_flash"
SESSION_SECONDS = 8 * 3600
CSRF_FIELD = "csrf_token"
_FLASH_SECONDS = 120


@dataclass(frozen=True)
class PageSession:
    """Who is signed in (a role, and a subject such as a staff id), the CSRF token and the issue
    time (seconds since the epoch; 0 for a cookie issued before sessions carried it)."""

    role: str
    csrf_token: str
    subject: str | None = None
    issued_at: int = 0


def _serializer(request: Request, purpose: str) -> URLSafeSerializer:
    # A key of its own, derived from the master key: the cookies never use the master key itself.
    secret = hmac.new(request.app.state.master_key, b"session", hashlib.sha256).digest()
    return URLSafeSerializer(secret, salt=purpose, signer_kwargs={"digest_method": hashlib.sha256})


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _secure(request: Request) -> bool:
    return str(request.app.state.settings.public_url).startswith("https://")


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )


def unsign(request: Request, purpose: str, token: str | None) -> dict[str, Any] | None:
    """The payload of a value signed by :func:`sign` for ``purpose``; None if forged or expired."""
    if not token:
        return None
    try:
        payload = _serializer(request, purpose).loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        return None
    if payload["exp"] <= int(_now(request).timestamp()):
        return None
    return payload


def sign(request: Request, purpose: str, payload: dict[str, Any], seconds: int) -> str:
    """``payload`` signed for ``purpose`` with an expiry ``seconds`` from now (the app's clock)."""
    expiry = int((_now(request) + timedelta(seconds=seconds)).timestamp())
    return str(_serializer(request, purpose).dumps({**payload, "exp": expiry}))


def _load(request: Request, name: str) -> dict[str, Any] | None:
    """The signed payload of cookie ``name``, or None when absent, forged or expired."""
    return unsign(request, name, request.cookies.get(name))


def _dump(request: Request, name: str, payload: dict[str, Any], seconds: int) -> str:
    return sign(request, name, payload, seconds)


def current_session(request: Request) -> PageSession | None:
    """The request's valid session, or None (no cookie, a forged or an expired one)."""
    payload = _load(request, SESSION_COOKIE)
    if payload is None:
        return None
    role, token, subject = payload.get("role"), payload.get("csrf"), payload.get("sub")
    if not isinstance(role, str) or not isinstance(token, str) or not isinstance(subject, str | None):
        return None
    issued_at = payload.get("iat", 0)
    if not isinstance(issued_at, int) or isinstance(issued_at, bool):
        return None
    return PageSession(role=role, csrf_token=token, subject=subject, issued_at=issued_at)


def start_session(request: Request, response: Response, role: str, subject: str | None = None) -> PageSession:
    """Sign in: a new session (and a new CSRF token) replaces whatever cookie the browser had."""
    issued_at = int(_now(request).timestamp())
    session = PageSession(
        role=role, csrf_token=secrets.token_urlsafe(32), subject=subject, issued_at=issued_at
    )
    payload = {"role": role, "csrf": session.csrf_token, "sub": subject, "iat": issued_at}
    value = _dump(request, SESSION_COOKIE, payload, SESSION_SECONDS)
    _set_cookie(request, response, SESSION_COOKIE, value, SESSION_SECONDS)
    return session


def end_session(request: Request, response: Response) -> None:
    """Sign out: the browser drops the cookie (a copy taken before stays valid until it expires)."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))


def client_address(request: Request) -> str:
    """The client's address as the server sees it (that of a proxy in front, if any)."""
    return request.client.host if request.client else "unknown"


def check_csrf(session: PageSession, submitted: str | None) -> None:
    """Refuse a form whose CSRF token is missing or is not the session's (constant-time compare)."""
    if not submitted or not hmac.compare_digest(submitted.encode(), session.csrf_token.encode()):
        raise ForbiddenError("the form's security token is missing or out of date", code="csrf_failed")


def set_flash(request: Request, response: Response, code: str, **params: str) -> None:
    """A one-time message for the page the browser is redirected to (signed, short-lived)."""
    value = _dump(request, FLASH_COOKIE, {"code": code, "params": params}, _FLASH_SECONDS)
    _set_cookie(request, response, FLASH_COOKIE, value, _FLASH_SECONDS)


def read_flash(request: Request) -> tuple[str, dict[str, str]] | None:
    """The pending flash message, if any (the page then calls :func:`clear_flash`)."""
    payload = _load(request, FLASH_COOKIE)
    if (
        payload is None
        or not isinstance(payload.get("code"), str)
        or not isinstance(payload.get("params"), dict)
    ):
        return None
    return payload["code"], {str(k): str(v) for k, v in payload["params"].items()}


def clear_flash(request: Request, response: Response) -> None:
    """Drop the flash cookie once its message has been shown."""
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
