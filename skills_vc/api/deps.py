"""Request dependencies: the service context (one transaction per request) and authentication."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from skills_vc.errors import AuthenticationError, ForbiddenError
from skills_vc.services import associations
from skills_vc.services.context import ServiceContext
from skills_vc.services.verification import RemoteStatusLists
from skills_vc.store import associations as association_repo
from skills_vc.store.tables import Association

__all__ = [
    "AssociationDep",
    "ContextDep",
    "OperatorDep",
    "RemoteListsDep",
    "app_context",
    "is_operator_key",
    "read_only_request",
    "read_only_transaction",
    "service_context",
]


def app_context(state: Any, session: Session) -> ServiceContext:
    """A service context on ``session`` with the settings, master key and clock of an app's state."""
    return ServiceContext(
        session=session, settings=state.settings, master_key=state.master_key, clock=state.clock
    )


def service_context(request: Request, session: Session) -> ServiceContext:
    """A service context on ``session`` with the application's settings, master key and clock."""
    return app_context(request.app.state, session)


def read_only_transaction(request: Request) -> None:
    """A router dependency: its GET requests only read, in a transaction that waits for no writer."""
    if request.method in ("GET", "HEAD"):
        request.state.read_only = True


def read_only_request(request: Request) -> None:
    """A route dependency for a POST that only reads (verification): on SQLite its transaction
    begins deferred, so it never takes nor waits for the write lock."""
    request.state.read_only = True


def _context(request: Request) -> Iterator[ServiceContext]:
    """One transaction per request: committed when the handler returns, rolled back if it raises."""
    if getattr(request.state, "read_only", False):
        session = request.app.state.read_only_session_factory()
    else:
        session = request.app.state.session_factory()
    try:
        yield service_context(request, session)
        # A request that read nothing (a verification answered from memory) has no transaction.
        if session.in_transaction():
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the transaction ends (commit or rollback) before the response is sent, so a
# failed commit reaches the client as an error instead of following a success response.
ContextDep = Annotated[ServiceContext, Depends(_context, scope="function")]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send the API key as 'Authorization: Bearer <key>'", code="unauthenticated")
    return token.strip()


def _association(request: Request, ctx: ContextDep) -> Association:
    token = _bearer(request)
    association = association_repo.by_api_key_hash(ctx.session, associations.hash_api_key(token))
    if association is None:
        raise AuthenticationError("the API key is not valid", code="invalid_api_key")
    return association


def is_operator_key(state: Any, presented: str) -> bool:
    """Whether ``presented`` is the operator key or, during a rotation, one of the previous ones.

    Each comparison is constant-time and every key is compared, so response timings tell neither
    the key nor which one matched."""
    token = presented.encode()
    accepted: tuple[str, ...] = (state.operator_key, *state.settings.previous_operator_keys)
    matched = False
    for expected in accepted:
        matched |= hmac.compare_digest(token, expected.encode())
    return matched and bool(presented)


def _operator(request: Request) -> str:
    if not is_operator_key(request.app.state, _bearer(request)):
        raise ForbiddenError("this action needs the platform operator's key", code="operator_only")
    return "operator"


def _remote_lists(request: Request) -> RemoteStatusLists:
    remote: RemoteStatusLists = request.app.state.remote_lists
    return remote


AssociationDep = Annotated[Association, Depends(_association)]
OperatorDep = Annotated[str, Depends(_operator)]
RemoteListsDep = Annotated[RemoteStatusLists, Depends(_remote_lists)]
