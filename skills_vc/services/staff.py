"""Staff accounts of the associations: create, authenticate, disable, sign out everywhere, and the
limit on failed sign-ins (also used by the operator's sign-in).

Passwords are hashed with argon2id (``argon2-cffi``'s defaults, RFC 9106); a hash made with older
parameters is replaced at the next successful sign-in. A password has at least
:data:`MIN_PASSWORD_LENGTH` characters, is not one character repeated and is not the email.

Failed sign-ins are rows of ``sign_in_failures``, written in the caller's transaction: at most
:data:`STAFF_LIMIT` per account email and :data:`IP_LIMIT` per client address within
:data:`WINDOW`. A scope at its limit refuses every attempt, even with the right password, until
its oldest counted failure leaves the window (``429 too_many_attempts``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from skills_vc.core.emails import MAX_EMAIL_LENGTH, is_email
from skills_vc.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyAttempts,
    ValidationFailed,
)
from skills_vc.services import associations
from skills_vc.services.context import ServiceContext
from skills_vc.store import staff as repo
from skills_vc.store.tables import Association, StaffAccount

__all__ = [
    "IP_LIMIT",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "OPERATOR_LIMIT",
    "STAFF_LIMIT",
    "WINDOW",
    "AttemptLimit",
    "association_of",
    "authenticate",
    "check_attempts",
    "check_password_policy",
    "clear_failures",
    "create_account",
    "disable",
    "find",
    "get",
    "list_accounts",
    "normalize_email",
    "operator_limits",
    "record_failure",
    "session_is_valid",
    "sign_out_everywhere",
    "staff_limits",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 200
WINDOW = timedelta(minutes=15)
STAFF_LIMIT = 5
IP_LIMIT = 30
OPERATOR_LIMIT = 10

_HASHER = PasswordHasher()


@dataclass(frozen=True)
class AttemptLimit:
    """At most ``limit`` failed sign-ins of ``scope`` within :data:`WINDOW`."""

    scope: str
    limit: int


def staff_limits(email: str, address: str) -> tuple[AttemptLimit, AttemptLimit]:
    """The limits of a staff sign-in: per account email and per client address."""
    return AttemptLimit(_staff_scope(email), STAFF_LIMIT), _ip_limit(address)


def operator_limits(address: str) -> tuple[AttemptLimit, AttemptLimit]:
    """The limits of the operator's sign-in: one account, and per client address."""
    return AttemptLimit("operator", OPERATOR_LIMIT), _ip_limit(address)


def _staff_scope(email: str) -> str:
    return "staff:" + email[:MAX_EMAIL_LENGTH]


def _ip_limit(address: str) -> AttemptLimit:
    return AttemptLimit("ip:" + (address or "unknown")[:200], IP_LIMIT)


def check_attempts(ctx: ServiceContext, limits: Sequence[AttemptLimit]) -> None:
    """Refuse (``429 too_many_attempts``) when a scope has reached its limit within the window.

    The error's ``extra["retry_after_minutes"]`` says how long until one more attempt is allowed.
    """
    now = ctx.now()
    waits = []
    for limit in limits:
        recent = repo.latest_failures(ctx.session, limit.scope, now - WINDOW, limit.limit)
        if len(recent) >= limit.limit:
            waits.append(recent[-1] + WINDOW - now)  # when the oldest counted failure expires
    if waits:
        minutes = max(1, math.ceil(max(waits).total_seconds() / 60))
        raise TooManyAttempts(
            f"too many failed sign-ins: wait {minutes} minutes and try again",
            extra={"retry_after_minutes": minutes},
        )


def record_failure(ctx: ServiceContext, limits: Sequence[AttemptLimit]) -> None:
    """Count a failed sign-in in every scope, and forget the failures older than the window."""
    now = ctx.now()
    repo.delete_failures_before(ctx.session, now - WINDOW)
    for limit in limits:
        repo.add_failure(ctx.session, limit.scope, now)


def clear_failures(ctx: ServiceContext, limit: AttemptLimit) -> None:
    """A successful sign-in forgets the failures of its account's scope."""
    repo.clear_failures(ctx.session, limit.scope)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _valid_email(email: str) -> str:
    normalized = normalize_email(email)
    if not is_email(normalized):
        raise ValidationFailed("the email address is not valid", code="invalid_email")
    return normalized


def check_password_policy(password: str, email: str) -> None:
    """At least 12 characters, not one character repeated, not the email address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", code="weak_password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"the password must have at most {MAX_PASSWORD_LENGTH} characters", code="weak_password"
        )
    if len(set(password)) == 1:
        raise ValidationFailed("the password must not be one character repeated", code="weak_password")
    if normalize_email(password) == normalize_email(email):
        raise ValidationFailed("the password must not be the email address", code="weak_password")


def _valid_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationFailed(f"the name must have 1 to {MAX_NAME_LENGTH} characters", code="invalid_name")
    return cleaned


def create_account(ctx: ServiceContext, slug: str, email: str, name: str, password: str) -> StaffAccount:
    """A new account of the association ``slug`` (accredited or still pending)."""
    association = associations.get(ctx, slug)
    normalized = _valid_email(email)
    cleaned = _valid_name(name)
    check_password_policy(password, normalized)
    if repo.by_email(ctx.session, normalized) is not None:
        raise _email_taken(normalized)
    account = StaffAccount(
        association_id=association.id,
        email=normalized,
        name=cleaned,
        password_hash=_HASHER.hash(password),
        created_at=ctx.now(),
    )
    try:
        with ctx.session.begin_nested():
            repo.add(ctx.session, account)
    except IntegrityError:  # created by a concurrent request since the check above
        raise _email_taken(normalized) from None
    account.association = association
    return account


def _email_taken(email: str) -> ConflictError:
    return ConflictError(f"there is already an account for {email}", code="staff_email_taken")


def list_accounts(ctx: ServiceContext, association: Association) -> Sequence[StaffAccount]:
    return repo.list_for_association(ctx.session, association.id)


def find(ctx: ServiceContext, staff_id: int) -> StaffAccount | None:
    """The account with this id, if any."""
    return repo.by_id(ctx.session, staff_id)


def association_of(ctx: ServiceContext, account_association_id: int) -> Association:
    """The association an account belongs to."""
    association = repo.association_by_id(ctx.session, account_association_id)
    if association is None:
        raise NotFoundError("the account's association is not in the registry", code="association_not_found")
    return association


def get(ctx: ServiceContext, email: str) -> StaffAccount:
    account = repo.by_email(ctx.session, normalize_email(email))
    if account is None:
        raise NotFoundError(f"no staff account {normalize_email(email)!r}", code="staff_not_found")
    return account


def disable(ctx: ServiceContext, email: str) -> StaffAccount:
    """Disable an account for good: it cannot sign in, and its open sessions end."""
    account = get(ctx, email)
    now = ctx.now()
    account.disabled_at = account.disabled_at or now
    account.sessions_valid_after = now
    ctx.session.flush()
    return account


def sign_out_everywhere(ctx: ServiceContext, account: StaffAccount) -> None:
    """End every session of the account, including copies of its cookie taken before."""
    account.sessions_valid_after = ctx.now()
    ctx.session.flush()


def session_is_valid(account: StaffAccount, issued_at: int) -> bool:
    """Whether a session issued at ``issued_at`` (epoch seconds) may still be used.

    A session must have started in a later second than the last sign-out: a sign-in in the very
    second of a sign-out is refused too (sessions carry their issue time to the second).
    """
    if account.disabled_at is not None:
        return False
    if account.sessions_valid_after is None:
        return True
    return issued_at > int(account.sessions_valid_after.timestamp())


@cache
def _decoy_hash() -> str:
    # Verified against when the email is unknown, so both cases take the same time.
    return _HASHER.hash("no account has this password")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(ctx: ServiceContext, email: str, password: str, address: str) -> StaffAccount:
    """The account whose email and password these are, signed in now.

    Raises ``429 too_many_attempts`` when a limit is reached (before looking at the password), and
    ``403 wrong_credentials`` for an unknown email, a wrong password or a disabled account alike;
    a failure is recorded in the caller's transaction, which must therefore be committed.
    """
    normalized = normalize_email(email)
    limits = staff_limits(normalized, address)
    check_attempts(ctx, limits)
    account = repo.by_email(ctx.session, normalized) if len(normalized) <= MAX_EMAIL_LENGTH else None
    checked = _verify(account.password_hash if account else _decoy_hash(), password[:MAX_PASSWORD_LENGTH])
    matches = checked and len(password) <= MAX_PASSWORD_LENGTH
    if account is None or not matches or account.disabled_at is not None:
        record_failure(ctx, limits)
        raise ForbiddenError("the email address or the password is wrong", code="wrong_credentials")
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
    account.last_sign_in_at = ctx.now()
    clear_failures(ctx, limits[0])
    ctx.session.flush()
    return account
