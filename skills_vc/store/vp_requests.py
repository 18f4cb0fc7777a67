"""Every query about counsellors' presentation requests (OpenID4VP)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.orm import Session

from skills_vc.store.tables import PresentationRequest

__all__ = ["add", "answer", "by_id", "forget_before"]


def add(session: Session, row: PresentationRequest) -> None:
    session.add(row)
    session.flush()


def by_id(session: Session, request_id: str) -> PresentationRequest | None:
    return session.get(PresentationRequest, request_id)


def answer(session: Session, request_id: str, result: dict[str, Any], now: datetime) -> bool:
    """Keep the answer if the request is still open and unanswered: True if this call answered it
    (one conditional UPDATE, so two wallets racing cannot both answer)."""
    outcome = session.execute(
        update(PresentationRequest)
        .where(
            PresentationRequest.id == request_id,
            PresentationRequest.answered_at.is_(None),
            PresentationRequest.expires_at > now,
        )
        .values(answered_at=now, result=result)
    )
    session.expire_all()
    return int(cast(CursorResult[Any], outcome).rowcount) == 1


def forget_before(session: Session, now: datetime) -> None:
    """Delete the requests (and the answers) whose time is up."""
    session.execute(delete(PresentationRequest).where(PresentationRequest.forget_at <= now))
