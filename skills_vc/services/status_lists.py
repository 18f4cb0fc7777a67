"""Bitstring status lists: their URLs, and their signed documents (re-signed only on change)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from skills_vc.core.credential import VC2_CONTEXT, format_datetime
from skills_vc.core.formats import get_format
from skills_vc.core.status import PURPOSES, StatusPurpose, build_bitstring, encode_list
from skills_vc.errors import NotFoundError
from skills_vc.services import associations
from skills_vc.services.context import ServiceContext
from skills_vc.store import credentials as repo
from skills_vc.store.tables import Association

__all__ = ["SignedList", "list_url", "list_urls", "signed_list"]


@dataclass(frozen=True)
class SignedList:
    secured: str
    etag: str
    ttl_ms: int


def list_url(ctx: ServiceContext, association: Association, purpose: str, seq: int) -> str:
    return f"{ctx.settings.resolved_status_list_base_url}/{association.slug}/{purpose}/{seq}"


def list_urls(ctx: ServiceContext, association: Association, seq: int) -> dict[StatusPurpose, str]:
    return {purpose: list_url(ctx, association, purpose, seq) for purpose in ctx.settings.status_purposes}


def signed_list(ctx: ServiceContext, slug: str, purpose: str, seq: int) -> SignedList:
    """The list credential as ``vc+jwt``; signed again only when its bits have changed."""
    association = associations.get(ctx, slug)
    if purpose not in PURPOSES or seq < 0 or seq > repo.max_seq(ctx.session, association.id):
        raise NotFoundError(f"no {purpose} status list {seq} for {slug}", code="status_list_not_found")
    size = ctx.settings.status_list_size
    bitstring = build_bitstring(size, repo.set_bits(ctx.session, association.id, seq, purpose))
    digest = hashlib.sha256(bitstring).hexdigest()
    stored = repo.signed_list(ctx.session, association.id, purpose, seq)
    if stored is not None and stored.bits_digest == digest:
        secured = stored.secured
    else:
        now = ctx.now()
        url = list_url(ctx, association, purpose, seq)
        did = associations.did_of(ctx, association)
        document = {
            "@context": [VC2_CONTEXT],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": did,
            "validFrom": format_datetime(now),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": purpose,
                "encodedList": encode_list(bitstring),
                "ttl": ctx.settings.status_list_ttl_ms,
            },
        }
        signer = associations.signer_for(ctx, association)
        secured = get_format("vc+jwt").secure(document, signer, now=int(now.timestamp()))
        repo.store_signed_list(
            ctx.session, association.id, purpose, seq, bits_digest=digest, secured=secured, issued_at=now
        )
    etag = '"' + hashlib.sha256(secured.encode()).hexdigest()[:32] + '"'
    return SignedList(secured=secured, etag=etag, ttl_ms=ctx.settings.status_list_ttl_ms)
