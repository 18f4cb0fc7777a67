"""One error family for the whole service.

Every error has a stable machine ``code`` and an HTTP ``status``; the API renders all of them
through one exception handler as ``{"error": code, "detail": text}``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "OAuthError",
    "PayloadTooLargeError",
    "SkillsVCError",
    "TooManyAttempts",
    "ValidationFailed",
]


class SkillsVCError(Exception):
    """Base of every error the service raises on purpose."""

    code: str = "internal_error"
    status: int = 500

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body sent to API clients."""
        return {"error": self.code, "detail": self.detail, **self.extra}


class ValidationFailed(SkillsVCError):
    code = "invalid_request"
    status = 422


class NotFoundError(SkillsVCError):
    code = "not_found"
    status = 404


class ConflictError(SkillsVCError):
    code = "conflict"
    status = 409


class AuthenticationError(SkillsVCError):
    code = "unauthenticated"
    status = 401


class ForbiddenError(SkillsVCError):
    code = "forbidden"
    status = 403


class PayloadTooLargeError(SkillsVCError):
    code = "payload_too_large"
    status = 413


class TooManyAttempts(SkillsVCError):
    """Too many failed sign-ins in a short time: wait before trying again."""

    code = "too_many_attempts"
    status = 429


class OAuthError(SkillsVCError):
    """An error of the OAuth, OpenID4VCI and OpenID4VP endpoints: ``error`` is the spec's code,
    ``reason`` the service's finer one. The body carries both the spec's ``error_description``
    and the service's usual ``detail``."""

    status = 400

    def __init__(self, error: str, reason: str, detail: str, *, status: int = 400) -> None:
        super().__init__(
            detail, code=error, status=status, extra={"error_description": detail, "reason": reason}
        )
        self.reason = reason
