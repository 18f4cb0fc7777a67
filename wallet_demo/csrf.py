"""CSRF protection of the wallet's forms: a per-wallet token in a cookie and in a hidden field.

The wallet has one user and no sign-in, so the token is derived from the wallet secret (HMAC)
instead of a session: every page of this wallet embeds the same token, and another site can
neither read it nor make the browser send it in a form. The cookie is ``SameSite=Strict`` and a
cross-site ``Origin`` is refused too, so each of the three defences would be enough alone.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request, Response

from wallet_demo.errors import WalletError

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "check_csrf", "csrf_token", "set_csrf_cookie"]

CSRF_COOKIE = "wallet_csrf"
CSRF_FIELD = "csrf_token"


def csrf_token(secret: bytes) -> str:
    """The wallet's form token (stable for a given wallet secret, never the secret itself)."""
    return hmac.new(secret, b"wallet_demo csrf v1", hashlib.sha256).hexdigest()


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    """Give the browser the cookie half, unless it already has it."""
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            path="/",
            secure=request.url.scheme == "https",
        )


def check_csrf(request: Request, token: str, submitted: object) -> None:
    """Refuse a form posted from elsewhere: wrong Origin, or cookie or field not the wallet's token."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin not in (None, own):
        raise WalletError("csrf_failed", f"a form was posted from {origin}", status=403)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    field = submitted if isinstance(submitted, str) else ""
    if not (
        hmac.compare_digest(cookie.encode(), token.encode())
        and hmac.compare_digest(field.encode(), token.encode())
    ):
        raise WalletError("csrf_failed", "the form's token is missing or wrong", status=403)
