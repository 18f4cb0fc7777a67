"""Every query about OpenID4VCI offers, their access tokens, issuer nonces and wallet issuances.

Single use is enforced by the database, not by reading then writing: redeeming a code, spending a
nonce and issuing a configuration of an offer are each one conditional UPDATE (or an INSERT under a
unique constraint) whose row count says whether this request won. Concurrent requests on
PostgreSQL or SQLite cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from skills_vc.store.tables import CredentialOffer, IssuerNonce, OfferAccessToken, WalletIssuance

__all__ = [
    "add",
    "add_issuance",
    "add_nonce",
    "add_token",
    "burn_open_offers",
    "by_code_hash",
    "by_id",
    "count_tx_failure",
    "issuances_of",
    "nonce",
    "redeem",
    "spend_nonce",
    "token",
]


def add(session: Session, row: CredentialOffer | OfferAccessToken) -> None:
    session.add(row)
    session.flush()


def by_id(session: Session, offer_id: str) -> CredentialOffer | None:
    return session.get(CredentialOffer, offer_id)


def by_code_hash(session: Session, code_hash: str) -> CredentialOffer | None:
    return session.scalar(select(CredentialOffer).where(CredentialOffer.code_hash == code_hash))


def burn_open_offers(session: Session, credential_id: str, now: datetime) -> int:
    """Burn the credential's offers not yet redeemed (a new offer replaces them)."""
    result = session.execute(
        update(CredentialOffer)
        .where(
            CredentialOffer.credential_id == credential_id,
            CredentialOffer.redeemed_at.is_(None),
            CredentialOffer.burnt_at.is_(None),
        )
        .values(burnt_at=now)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def count_tx_failure(session: Session, offer_id: str, limit: int, now: datetime) -> CredentialOffer | None:
    """Count a wrong transaction code; the offer is burnt when ``limit`` is reached. Atomic."""
    session.execute(
        update(CredentialOffer)
        .where(CredentialOffer.id == offer_id, CredentialOffer.burnt_at.is_(None))
        .values(tx_code_failures=CredentialOffer.tx_code_failures + 1)
    )
    session.execute(
        update(CredentialOffer)
        .where(
            CredentialOffer.id == offer_id,
            CredentialOffer.burnt_at.is_(None),
            CredentialOffer.tx_code_failures >= limit,
        )
        .values(burnt_at=now)
    )
    session.flush()
    row = by_id(session, offer_id)
    if row is not None:
        session.refresh(row)
    return row


def redeem(session: Session, offer_id: str, now: datetime) -> bool:
    """Mark the offer's code used, if nobody did before and it is still open: True if this call won."""
    result = session.execute(
        update(CredentialOffer)
        .where(
            CredentialOffer.id == offer_id,
            CredentialOffer.redeemed_at.is_(None),
            CredentialOffer.burnt_at.is_(None),
            CredentialOffer.expires_at > now,
        )
        .values(redeemed_at=now)
    )
    return int(cast(CursorResult[Any], result).rowcount) == 1


def add_token(session: Session, row: OfferAccessToken) -> None:
    session.add(row)
    session.flush()


def token(session: Session, token_hash: str) -> OfferAccessToken | None:
    return session.get(OfferAccessToken, token_hash)


def add_nonce(session: Session, row: IssuerNonce, forget_before: datetime) -> None:
    """Store a new nonce, and forget nonces that expired before ``forget_before``."""
    session.execute(delete(IssuerNonce).where(IssuerNonce.expires_at < forget_before))
    session.add(row)
    session.flush()


def nonce(session: Session, value: str) -> IssuerNonce | None:
    return session.get(IssuerNonce, value)


def spend_nonce(session: Session, value: str, association_id: int, now: datetime) -> bool:
    """Use a nonce of this issuer once, while it is valid: True if this call spent it."""
    result = session.execute(
        update(IssuerNonce)
        .where(
            IssuerNonce.value == value,
            IssuerNonce.association_id == association_id,
            IssuerNonce.used_at.is_(None),
            IssuerNonce.expires_at > now,
        )
        .values(used_at=now)
    )
    return int(cast(CursorResult[Any], result).rowcount) == 1


def add_issuance(session: Session, row: WalletIssuance) -> bool:
    """Record a credential issued for a configuration of an offer; False if one already was."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def issuances_of(session: Session, credential_id: str) -> list[WalletIssuance]:
    return list(
        session.scalars(
            select(WalletIssuance)
            .where(WalletIssuance.credential_id == credential_id)
            .order_by(WalletIssuance.id)
        )
    )
