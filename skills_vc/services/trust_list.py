"""The operator's signed trust list: every registered association, its keys and accreditation periods.

The operator key is a platform key sealed at rest like association keys, created on first use.
The list is issued at the start of the current hour and valid for ``VALIDITY``: within an hour the
same registry gives byte-for-byte the same list (EdDSA is deterministic), so its ETag is stable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from skills_vc.core import keys as keylib
from skills_vc.core.formats import Signer
from skills_vc.core.formats.qr import short_kid
from skills_vc.core.trustlist import (
    AccreditationPeriod,
    TrustedKeyEntry,
    TrustEntry,
    TrustList,
    sign_trust_list,
)
from skills_vc.services import associations
from skills_vc.services.context import ServiceContext
from skills_vc.store import associations as association_repo
from skills_vc.store.tables import Association, PlatformKey

__all__ = [
    "CACHE_SECONDS",
    "VALIDITY",
    "SignedTrustList",
    "operator_jwk",
    "operator_signer",
    "signed_trust_list",
]

PURPOSE = "trust_list"
VALIDITY = timedelta(days=7)
CACHE_SECONDS = 3600


@dataclass(frozen=True)
class SignedTrustList:
    token: str
    etag: str
    issued_at: datetime
    expires_at: datetime


def _associated(ctx: ServiceContext, fragment: str) -> str:
    return f"{ctx.settings.public_url.rstrip('/')}#{PURPOSE}-{fragment}"


def _key(ctx: ServiceContext) -> PlatformKey:
    return associations.platform_key(ctx, PURPOSE, "Ed25519", lambda fragment: _associated(ctx, fragment))


def operator_signer(ctx: ServiceContext) -> Signer:
    """The operator's trust list signing key (created, sealed and stored on first use)."""
    key = _key(ctx)
    return associations.unseal_signer(ctx, key, _associated(ctx, key.fragment))


def operator_jwk(ctx: ServiceContext) -> dict[str, str]:
    """The operator's public key, which offline verifiers pin."""
    return dict(_key(ctx).public_jwk)


def _periods(association: Association) -> tuple[AccreditationPeriod, ...]:
    periods: list[AccreditationPeriod] = []
    start: datetime | None = None
    for event in sorted(association.events, key=lambda e: e.at):
        if event.status == "accredited" and start is None:
            start = event.at
        elif event.status != "accredited" and start is not None:
            periods.append(AccreditationPeriod(start, event.at))
            start = None
    if start is not None:
        periods.append(AccreditationPeriod(start, None))
    return tuple(periods)


def _entry(ctx: ServiceContext, association: Association) -> TrustEntry:
    did = associations.did_of(ctx, association)
    keys = []
    for key in association_repo.keys_of(ctx.session, association.id):
        public = keylib.public_key_from_jwk(key.public_jwk)
        keys.append(
            TrustedKeyEntry(
                kid=f"{did}#{key.fragment}",
                short_kid=short_kid(public).hex(),
                algorithm=key.algorithm,
                jwk=key.public_jwk,
            )
        )
    return TrustEntry(
        did=did,
        slug=association.slug,
        legal_name=association.legal_name,
        enterprise_number=association.enterprise_number,
        status_list_base=f"{ctx.settings.resolved_status_list_base_url}/{association.slug}",
        keys=tuple(keys),
        accreditation=_periods(association),
    )


def signed_trust_list(ctx: ServiceContext) -> SignedTrustList:
    """The current trust list, signed by the operator."""
    issued = ctx.now().replace(minute=0, second=0, microsecond=0)
    expires = issued + VALIDITY
    listed = TrustList(
        issuer=ctx.settings.public_url.rstrip("/"),
        issued_at=int(issued.timestamp()),
        expires_at=int(expires.timestamp()),
        entries=tuple(_entry(ctx, a) for a in associations.list_all(ctx)),
    )
    signer = operator_signer(ctx)
    token = sign_trust_list(listed, signer.key, signer.kid, signer.algorithm)
    etag = '"' + hashlib.sha256(token.encode()).hexdigest()[:32] + '"'
    return SignedTrustList(token=token, etag=etag, issued_at=issued, expires_at=expires)
