"""OpenID4VCI pre-authorized code flow: credential offers, the token endpoint and the nonce endpoint.

An association (its API key, its portal staff, or the volunteer's own link) creates an offer for
one credential it issued. The offer travels by reference; it carries a pre-authorized code, and the
6-digit transaction code (``tx_code``) that the wallet must also send is shown to whoever created
the offer, never put inside the offer or its QR. Codes are single use and expire; wrong
transaction codes are counted per offer and burn it at the limit. The credential endpoint is in
``wallet_issuance``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from skills_vc.errors import ConflictError, NotFoundError, OAuthError, SkillsVCError
from skills_vc.services import associations
from skills_vc.services.associations import issuer_url
from skills_vc.services.context import ServiceContext
from skills_vc.services.issuance import require_accredited
from skills_vc.services.revocation import get_credential
from skills_vc.store import offers as repo
from skills_vc.store.tables import Association, AuditEvent, CredentialOffer, IssuerNonce, OfferAccessToken

__all__ = [
    "CONFIGURATIONS",
    "CONFIG_OB3",
    "CONFIG_SD_JWT",
    "PRE_AUTHORIZED_GRANT",
    "NewOffer",
    "OAuthError",
    "access_offer",
    "create_offer",
    "issuer_url",
    "new_nonce",
    "offer_document",
    "token",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CONFIG_SD_JWT = "volunteer_activity_sd_jwt"
CONFIG_OB3 = "open_badge_jwt_vc_json"
# configuration id -> OpenID4VCI format
CONFIGURATIONS = {CONFIG_SD_JWT: "dc+sd-jwt", CONFIG_OB3: "jwt_vc_json"}
TX_CODE_LENGTH = 6
_TX_DESCRIPTION = (
    "Code à 6 chiffres reçu de l'association · 6-cijferige code van de vereniging · "
    "6-digit code from the association"
)


@dataclass(frozen=True)
class NewOffer:
    offer_id: str
    credential_id: str
    credential_offer_uri: str
    offer_link: str
    tx_code: str
    expires_at: datetime
    configurations: list[str]


def _key(ctx: ServiceContext, purpose: str) -> bytes:
    return hmac.new(ctx.master_key, f"skills-vc:oid4vci:{purpose}".encode(), hashlib.sha256).digest()


def _code_for(ctx: ServiceContext, offer_id: str) -> str:
    """The pre-authorized code of an offer: derived, so only its hash needs to be stored."""
    return hmac.new(_key(ctx, "pre-authorized-code"), offer_id.encode(), hashlib.sha256).hexdigest()


def _tx_hash(ctx: ServiceContext, offer_id: str, tx_code: str) -> str:
    return hmac.new(_key(ctx, "tx-code"), f"{offer_id}:{tx_code}".encode(), hashlib.sha256).hexdigest()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _audit(ctx: ServiceContext, association: Association, subject: str, action: str, actor: str) -> None:
    ctx.session.add(
        AuditEvent(
            association_id=association.id, subject=subject[:64], action=action, actor=actor[:64], at=ctx.now()
        )
    )


def create_offer(
    ctx: ServiceContext,
    association: Association,
    credential_id: str,
    configurations: list[str] | None = None,
    *,
    actor: str,
) -> NewOffer:
    """A new offer for one of the association's credentials; it replaces the open offers of it."""
    require_accredited(association)
    row = get_credential(ctx, association, credential_id)
    if row.revoked_at is not None:
        raise ConflictError("a revoked credential cannot go to a wallet", code="credential_revoked")
    if row.suspended_at is not None:
        raise ConflictError("a suspended credential cannot go to a wallet", code="credential_suspended")
    available = list(CONFIGURATIONS) if row.activity_id is not None else [CONFIG_OB3]
    wanted = list(dict.fromkeys(configurations)) if configurations else available
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise ConflictError(
            f"configuration {unknown[0]!r} cannot be offered for this credential "
            f"(offered: {', '.join(available)})",
            code="unknown_credential_configuration",
        )
    now = ctx.now()
    repo.burn_open_offers(ctx.session, row.id, now)
    offer_id = secrets.token_urlsafe(24)
    tx_code = f"{secrets.randbelow(10**TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}"
    expires_at = now + timedelta(seconds=ctx.settings.offer_ttl_seconds)
    repo.add(
        ctx.session,
        CredentialOffer(
            id=offer_id,
            association_id=association.id,
            credential_id=row.id,
            configurations=wanted,
            code_hash=_sha256(_code_for(ctx, offer_id)),
            tx_code_hash=_tx_hash(ctx, offer_id, tx_code),
            tx_code_failures=0,
            created_by=actor[:64],
            created_at=now,
            expires_at=expires_at,
            redeemed_at=None,
            burnt_at=None,
        ),
    )
    _audit(ctx, association, row.id, "wallet_offer_created", actor)
    uri = f"{issuer_url(ctx, association)}/oid4vci/offers/{offer_id}"
    return NewOffer(
        offer_id=offer_id,
        credential_id=row.id,
        credential_offer_uri=uri,
        offer_link="openid-credential-offer://?credential_offer_uri=" + quote(uri, safe=""),
        tx_code=tx_code,
        expires_at=expires_at,
        configurations=wanted,
    )


def _open_offer(
    ctx: ServiceContext, offer: CredentialOffer | None, association: Association
) -> CredentialOffer:
    """The offer if it can still be redeemed; else a ``invalid_grant`` with the precise reason."""
    if offer is None or offer.association_id != association.id:
        raise OAuthError("invalid_grant", "code_unknown", "the pre-authorized code is not known")
    if offer.burnt_at is not None:
        raise OAuthError(
            "invalid_grant", "offer_burnt", "the offer was withdrawn (too many wrong codes, or replaced)"
        )
    if offer.redeemed_at is not None:
        raise OAuthError("invalid_grant", "code_used", "the pre-authorized code was already used")
    if offer.expires_at <= ctx.now():
        raise OAuthError(
            "invalid_grant", "offer_expired", "the offer has expired: ask the association for a new one"
        )
    return offer


def offer_document(ctx: ServiceContext, slug: str, offer_id: str) -> dict[str, Any]:
    """The credential offer a wallet fetches by reference (it holds the pre-authorized code)."""
    association = associations.get(ctx, slug)
    offer = repo.by_id(ctx.session, offer_id)
    if offer is None or offer.association_id != association.id:
        raise NotFoundError("no such credential offer", code="offer_not_found")
    try:
        _open_offer(ctx, offer, association)
    except OAuthError as exc:
        raise SkillsVCError(exc.detail, code=exc.reason, status=410) from None
    return {
        "credential_issuer": issuer_url(ctx, association),
        "credential_configuration_ids": list(offer.configurations),
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": _code_for(ctx, offer.id),
                "tx_code": {
                    "input_mode": "numeric",
                    "length": TX_CODE_LENGTH,
                    "description": _TX_DESCRIPTION,
                },
            }
        },
    }


def token(
    ctx: ServiceContext, slug: str, *, grant_type: str, code: str | None, tx_code: str | None
) -> dict[str, Any]:
    """Exchange a pre-authorized code and its transaction code for an access token bound to the offer.

    A wrong transaction code is counted in the caller's transaction before the error is raised,
    so the caller must commit it (the route answers errors without rolling back).
    """
    association = associations.get(ctx, slug)
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError(
            "unsupported_grant_type", "grant_type_unsupported", f"only {PRE_AUTHORIZED_GRANT} is supported"
        )
    if not code:
        raise OAuthError("invalid_request", "code_missing", "pre-authorized_code is required")
    offer = _open_offer(ctx, repo.by_code_hash(ctx.session, _sha256(code)), association)
    if not tx_code:
        raise OAuthError(
            "invalid_request", "tx_code_missing", "this offer needs its transaction code (tx_code)"
        )
    if not hmac.compare_digest(offer.tx_code_hash, _tx_hash(ctx, offer.id, tx_code)):
        limit = ctx.settings.tx_code_attempts
        counted = repo.count_tx_failure(ctx.session, offer.id, limit, ctx.now())
        if counted is not None and counted.burnt_at is not None:
            raise OAuthError(
                "invalid_grant",
                "offer_burnt",
                f"wrong transaction code {limit} times: the offer is withdrawn, "
                "ask the association for a new one",
            )
        left = limit - (counted.tx_code_failures if counted is not None else limit)
        raise OAuthError(
            "invalid_grant", "tx_code_wrong", f"the transaction code is wrong ({left} tries left)"
        )
    now = ctx.now()
    if not repo.redeem(ctx.session, offer.id, now):
        raise OAuthError("invalid_grant", "code_used", "the pre-authorized code was already used")
    access_token = secrets.token_urlsafe(32)
    ttl = ctx.settings.access_token_ttl_seconds
    repo.add_token(
        ctx.session,
        OfferAccessToken(
            token_hash=_sha256(access_token), offer_id=offer.id, expires_at=now + timedelta(seconds=ttl)
        ),
    )
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl}


def new_nonce(ctx: ServiceContext, slug: str) -> dict[str, Any]:
    """A fresh ``c_nonce`` for a proof of possession (single use, ``nonce_ttl_seconds``)."""
    association = associations.get(ctx, slug)
    now = ctx.now()
    value = secrets.token_urlsafe(24)
    repo.add_nonce(
        ctx.session,
        IssuerNonce(
            value=value,
            association_id=association.id,
            expires_at=now + timedelta(seconds=ctx.settings.nonce_ttl_seconds),
            used_at=None,
        ),
        forget_before=now - timedelta(hours=1),
    )
    return {"c_nonce": value, "c_nonce_expires_in": ctx.settings.nonce_ttl_seconds}


def access_offer(ctx: ServiceContext, association: Association, access_token: str) -> CredentialOffer:
    """The offer an access token was issued for; ``invalid_token`` (401) when it is unknown or expired."""
    row = repo.token(ctx.session, _sha256(access_token)) if access_token else None
    offer = repo.by_id(ctx.session, row.offer_id) if row is not None else None
    if row is None or offer is None or offer.association_id != association.id:
        raise OAuthError("invalid_token", "token_unknown", "the access token is not valid", status=401)
    if row.expires_at <= ctx.now():
        raise OAuthError("invalid_token", "token_expired", "the access token has expired", status=401)
    return offer
