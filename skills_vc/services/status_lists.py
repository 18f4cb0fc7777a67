"""Bitstring status lists: their URLs, and their signed documents (re-signed only on change)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from skills_vc.core.credential import VC2_CONTEXT, format_datetime
from skills_vc.core.formats import get_format
from skills_vc.core.status import PURPOSES, StatusPurpose, build_bitstring, encode_list
from skills_vc.core.tokenstatus import INVALID, SUSPENDED, pack, sign_list
from skills_vc.errors import NotFoundError
from skills_vc.services import associations, verify_cache
from skills_vc.services.context import ServiceContext
from skills_vc.store import credentials as repo
from skills_vc.store.tables import Association

__all__ = [
    "SignedList",
    "list_url",
    "list_urls",
    "refresh_lists",
    "signed_list",
    "signed_token_list",
    "token_list_url",
]

TOKEN_LIST_PATH = "/token-status-lists"  # noqa: S105 - a URL path, not a secret
# The token status list of an association is kept beside its bitstring lists under this purpose.
_TOKEN = "token"  # noqa: S105 - a list kind, not a secret


@dataclass(frozen=True)
class SignedList:
    secured: str
    etag: str
    ttl_ms: int


def list_url(ctx: ServiceContext, association: Association, purpose: str, seq: int) -> str:
    return f"{ctx.settings.resolved_status_list_base_url}/{association.slug}/{purpose}/{seq}"


def list_urls(ctx: ServiceContext, association: Association, seq: int) -> dict[StatusPurpose, str]:
    return {purpose: list_url(ctx, association, purpose, seq) for purpose in ctx.settings.status_purposes}


def signed_list(ctx: ServiceContext, slug: str, purpose: str, seq: int, *, store: bool = True) -> SignedList:
    """The list credential as ``vc+jwt``; signed again only when its bits have changed.

    ``store=False`` (verification) never writes: a list whose stored form is stale is signed in
    memory only, so verifying opens no write transaction.
    """
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
        if store:
            repo.store_signed_list(
                ctx.session, association.id, purpose, seq, bits_digest=digest, secured=secured, issued_at=now
            )
    etag = '"' + hashlib.sha256(secured.encode()).hexdigest()[:32] + '"'
    return SignedList(secured=secured, etag=etag, ttl_ms=ctx.settings.status_list_ttl_ms)


def token_list_url(ctx: ServiceContext, association: Association, seq: int) -> str:
    return f"{ctx.settings.public_url.rstrip('/')}{TOKEN_LIST_PATH}/{association.slug}/{seq}"


def signed_token_list(ctx: ServiceContext, slug: str, seq: int, *, store: bool = True) -> SignedList:
    """The IETF Token Status List of SD-JWT VCs (``statuslist+jwt``), at the same indexes as the
    bitstring lists: 2 bits (valid / invalid / suspended) when suspension is a status purpose,
    else 1. Like them, it is derived from the credentials and signed again only when it changes."""
    association = associations.get(ctx, slug)
    if seq < 0 or seq > repo.max_seq(ctx.session, association.id):
        raise NotFoundError(f"no token status list {seq} for {slug}", code="status_list_not_found")
    bits = 2 if "suspension" in ctx.settings.status_purposes else 1
    values = {index: SUSPENDED for index in repo.set_bits(ctx.session, association.id, seq, "suspension")}
    if bits == 1:
        values.clear()
    values.update({index: INVALID for index in repo.set_bits(ctx.session, association.id, seq, "revocation")})
    data = pack(ctx.settings.status_list_size, bits, values)
    digest = hashlib.sha256(bytes([bits]) + data).hexdigest()
    stored = repo.signed_list(ctx.session, association.id, _TOKEN, seq)
    if stored is not None and stored.bits_digest == digest:
        secured = stored.secured
    else:
        now = ctx.now()
        secured = sign_list(
            uri=token_list_url(ctx, association, seq),
            issuer=associations.issuer_url(ctx, association),
            data=data,
            bits=bits,
            signer=associations.signer_for(ctx, association),
            now=int(now.timestamp()),
            ttl=ctx.settings.status_list_ttl_ms // 1000,
            exp=None,
        )
        if store:
            repo.store_signed_list(
                ctx.session, association.id, _TOKEN, seq, bits_digest=digest, secured=secured, issued_at=now
            )
    etag = '"' + hashlib.sha256(secured.encode()).hexdigest()[:32] + '"'
    return SignedList(secured=secured, etag=etag, ttl_ms=ctx.settings.status_list_ttl_ms)


def refresh_lists(ctx: ServiceContext, association: Association, seq: int) -> None:
    """Sign again the lists a status change touched (in the change's transaction), so that
    verification finds them current and never has to sign or write."""
    for purpose in ctx.settings.status_purposes:
        signed_list(ctx, association.slug, purpose, seq)
    signed_token_list(ctx, association.slug, seq)
    verify_cache.mark_changed(ctx.session)
