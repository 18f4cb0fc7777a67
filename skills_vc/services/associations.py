"""Use cases of the trust registry: register, accredit / suspend / withdraw, keys, DID documents."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag

from skills_vc.core import keys as keylib
from skills_vc.core.dids import VerificationKey, did_document, did_for
from skills_vc.core.enterprise import format_enterprise_number, normalize_enterprise_number
from skills_vc.core.formats import KeyResolver, ProofError, ResolvedKey, Signer
from skills_vc.core.formats.qr import PaperKey
from skills_vc.core.trust import TRANSITIONS, AccreditationEvent, AccreditationStatus, status_at
from skills_vc.core.verify import TrustLookup
from skills_vc.errors import ConflictError, NotFoundError, SkillsVCError, ValidationFailed
from skills_vc.services import verify_cache
from skills_vc.services.context import ServiceContext
from skills_vc.store import associations as repo
from skills_vc.store import platform_keys as platform_key_repo
from skills_vc.store.tables import (
    AccreditationEventRow,
    ApiKey,
    Association,
    AssociationKey,
    AuditEvent,
    PlatformKey,
)

__all__ = [
    "NewAssociation",
    "accreditation_status",
    "change_accreditation",
    "did_of",
    "document_for",
    "get",
    "hash_api_key",
    "issue_api_key",
    "issuer_url",
    "key_resolver",
    "list_all",
    "platform_key",
    "register",
    "registry_entry",
    "rotate_key",
    "signer_for",
    "trust_lookup",
    "unseal_signer",
]

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$")


@dataclass(frozen=True)
class NewAssociation:
    legal_name: str
    enterprise_number: str
    slug: str
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: str | None = None
    key_type: keylib.KeyType | None = None


def hash_api_key(key: str) -> str:
    # API keys are 256-bit random tokens, so a fast hash is enough to store them safely.
    return hashlib.sha256(key.encode()).hexdigest()


def did_of(ctx: ServiceContext, association: Association) -> str:
    return did_for(ctx.settings.public_host, association.slug)


def issuer_url(ctx: ServiceContext, association: Association) -> str:
    """The association's https identifier: its OpenID4VCI credential issuer and its SD-JWT VC ``iss``."""
    return f"{ctx.settings.public_url.rstrip('/')}/issuers/{association.slug}"


def list_all(ctx: ServiceContext) -> Sequence[Association]:
    return repo.list_all(ctx.session)


def get(ctx: ServiceContext, slug: str) -> Association:
    association = repo.by_slug(ctx.session, slug)
    if association is None:
        raise NotFoundError(f"no association {slug!r}", code="association_not_found")
    return association


def accreditation_status(association: Association) -> AccreditationStatus:
    """The current status: that of the latest event in the history."""
    events = association.events
    return events[-1].status if events else "pending"  # type: ignore[return-value]


def _history(association: Association) -> list[AccreditationEvent]:
    return [AccreditationEvent(status=e.status, at=e.at) for e in association.events]  # type: ignore[arg-type]


def _whole_second(moment: datetime) -> datetime:
    """Accreditation changes are kept to the second, the precision of a JWT's ``iat``.

    A credential signed in the same second as an accreditation is then trusted, and one signed
    in the same second as a suspension or withdrawal is not (the registry errs on the safe side).
    """
    return moment.replace(microsecond=0)


def register(ctx: ServiceContext, new: NewAssociation) -> tuple[Association, str]:
    """Register an association (pending accreditation); returns it and its first API key."""
    digits = normalize_enterprise_number(new.enterprise_number)
    if not _SLUG.match(new.slug):
        raise ValidationFailed(
            "slug must be 3-64 lowercase letters, digits or hyphens, not starting or ending with '-'",
            code="invalid_slug",
        )
    if not new.legal_name.strip():
        raise ValidationFailed("legal_name must not be empty", code="invalid_legal_name")
    taken = repo.exists(ctx.session, slug=new.slug, enterprise_number=digits)
    if taken == "slug":
        raise ConflictError(f"the slug {new.slug!r} is taken", code="slug_taken")
    if taken == "enterprise_number":
        raise ConflictError(
            f"enterprise number {format_enterprise_number(digits)} is already registered",
            code="enterprise_number_taken",
        )
    now = ctx.now()
    association = repo.add(
        ctx.session,
        Association(
            slug=new.slug,
            legal_name=new.legal_name.strip(),
            enterprise_number=digits,
            email=new.email,
            phone=new.phone,
            website=new.website,
            address=new.address,
            created_at=now,
        ),
    )
    repo.add_event(
        ctx.session,
        AccreditationEventRow(
            association_id=association.id, status="pending", at=_whole_second(now), actor="registration"
        ),
    )
    ctx.session.refresh(association)
    _new_key(ctx, association, new.key_type or ctx.settings.default_key_type)
    api_key = issue_api_key(ctx, association)
    _audit(ctx, association, "registered", None, "registration")
    return association, api_key


def issue_api_key(ctx: ServiceContext, association: Association) -> str:
    """A new API key for the association; only its hash is stored, the key is shown once."""
    key = f"svc_{secrets.token_urlsafe(32)}"
    repo.add_api_key(
        ctx.session,
        ApiKey(
            association_id=association.id,
            key_hash=hash_api_key(key),
            prefix=key[:10],
            created_at=ctx.now(),
            revoked_at=None,
        ),
    )
    return key


def change_accreditation(
    ctx: ServiceContext, slug: str, status: AccreditationStatus, reason: str | None, actor: str
) -> Association:
    association = get(ctx, slug)
    current = accreditation_status(association)
    if status not in TRANSITIONS[current]:
        raise ConflictError(
            f"an association that is {current} cannot become {status}",
            code="invalid_accreditation_transition",
        )
    repo.add_event(
        ctx.session,
        AccreditationEventRow(
            association_id=association.id,
            status=status,
            at=_whole_second(ctx.now()),
            reason=reason,
            actor=actor,
        ),
    )
    ctx.session.refresh(association)
    verify_cache.mark_changed(ctx.session)
    _audit(ctx, association, f"accreditation_{status}", reason, actor)
    return association


def _new_key(ctx: ServiceContext, association: Association, key_type: keylib.KeyType) -> AssociationKey:
    columns = _sealed_key(ctx, key_type, lambda fragment: f"{did_of(ctx, association)}#{fragment}")
    # A new association or a new key: verifiers' caches must see it.
    verify_cache.mark_changed(ctx.session)
    return repo.add_key(ctx.session, AssociationKey(association_id=association.id, **columns))


def _sealed_key(
    ctx: ServiceContext, key_type: keylib.KeyType, kid_for: Callable[[str], str]
) -> dict[str, Any]:
    """The columns of a new key pair (``SealedKeyColumns``): its private half sealed under the
    master key and bound to the key id ``kid_for`` names from its fragment."""
    private = keylib.generate_private_key(key_type)
    jwk = keylib.public_jwk(private)
    fragment = keylib.jwk_thumbprint(jwk)
    sealed = keylib.seal(private, ctx.master_key, kid_for(fragment))
    return {
        "fragment": fragment,
        "key_type": key_type,
        "algorithm": keylib.algorithm_for(key_type),
        "public_jwk": jwk,
        "private_nonce": sealed.nonce,
        "private_ciphertext": sealed.ciphertext,
        "created_at": ctx.now(),
        "retired_at": None,
    }


def rotate_key(ctx: ServiceContext, slug: str, key_type: keylib.KeyType | None, actor: str) -> AssociationKey:
    """Retire the current signing key and create a new one; the old one stays published."""
    association = get(ctx, slug)
    repo.retire_keys(ctx.session, association.id, ctx.now())
    key = _new_key(ctx, association, key_type or ctx.settings.default_key_type)
    _audit(ctx, association, "key_rotated", key.fragment, actor)
    return key


def platform_key(
    ctx: ServiceContext, purpose: str, key_type: keylib.KeyType, kid_for: Callable[[str], str]
) -> PlatformKey:
    """The platform's current key of ``purpose``, created and sealed on first use; ``kid_for``
    names its key id from its fragment (what the sealed private half is bound to)."""
    key = platform_key_repo.current(ctx.session, purpose)
    if key is not None:
        return key
    return platform_key_repo.add(
        ctx.session, PlatformKey(purpose=purpose, **_sealed_key(ctx, key_type, kid_for))
    )


def signer_for(ctx: ServiceContext, association: Association) -> Signer:
    current = [k for k in repo.keys_of(ctx.session, association.id) if k.retired_at is None]
    if not current:
        raise SkillsVCError("the association has no active signing key", code="no_signing_key")
    key = current[-1]
    return unseal_signer(ctx, key, f"{did_of(ctx, association)}#{key.fragment}")


def unseal_signer(ctx: ServiceContext, key: AssociationKey | PlatformKey, kid: str) -> Signer:
    """A signer for a stored key (bound to its key id), decrypted with the current master key or,
    while a rotation is under way, with one of the previous ones."""
    master_keys = (ctx.master_key, *ctx.settings.previous_master_key_bytes)
    try:
        private, _ = keylib.open_sealed_any(
            keylib.SealedKey(key.private_nonce, key.private_ciphertext), master_keys, kid
        )
    except InvalidTag:
        raise SkillsVCError(
            f"the key {kid} cannot be decrypted with any configured master key", code="master_key_mismatch"
        ) from None
    return Signer(key=private, kid=kid, algorithm=key.algorithm)


def document_for(ctx: ServiceContext, slug: str) -> dict[str, Any]:
    association = get(ctx, slug)
    keys = [VerificationKey(k.fragment, k.public_jwk) for k in repo.keys_of(ctx.session, association.id)]
    return did_document(did_of(ctx, association), keys)


@lru_cache(maxsize=16)
def _issuer_prefixes(public_host: str, public_url: str) -> tuple[str, str]:
    return did_for(public_host, ""), public_url.rstrip("/") + "/issuers/"


def _slug_of_did(ctx: ServiceContext, did: str) -> str | None:
    """The slug of an association's did:web or of its issuer URL (the two names of one issuer)."""
    for prefix in _issuer_prefixes(ctx.settings.public_host, ctx.settings.public_url):
        if did.startswith(prefix) and len(did) > len(prefix) and "/" not in did[len(prefix) :]:
            return did[len(prefix) :]
    return None


def registry_entry(ctx: ServiceContext, slug: str) -> verify_cache.RegistryEntry | None:
    """What verification needs of the association ``slug`` (None when it is not registered)."""
    association = repo.by_slug(ctx.session, slug)
    if association is None:
        return None
    did = did_of(ctx, association)
    keys = {
        key.fragment: ResolvedKey(
            kid=f"{did}#{key.fragment}",
            controller=did,
            algorithm=key.algorithm,
            key=keylib.public_key_from_jwk(key.public_jwk),
        )
        for key in repo.keys_of(ctx.session, association.id)
    }
    return verify_cache.RegistryEntry(
        legal_name=association.legal_name, history=tuple(_history(association)), keys=keys
    )


def _entry(
    ctx: ServiceContext, slug: str, cache: verify_cache.VerifyCache | None
) -> verify_cache.RegistryEntry | None:
    if cache is None:
        return registry_entry(ctx, slug)
    return cache.get("association", slug, lambda: registry_entry(ctx, slug))


def key_resolver(ctx: ServiceContext, cache: verify_cache.VerifyCache | None = None) -> KeyResolver:
    """A ``KeyResolver`` over the registry: only keys of associations this platform registered.

    With ``cache``, the registry is read from the process's verification cache; without, each
    association is read once for the resolver's lifetime."""
    seen: dict[str, verify_cache.RegistryEntry | None] = {}

    def entry_of(slug: str) -> verify_cache.RegistryEntry | None:
        if cache is not None:
            return _entry(ctx, slug, cache)
        if slug not in seen:
            seen[slug] = registry_entry(ctx, slug)
        return seen[slug]

    def resolve(kid: str) -> ResolvedKey:
        if _SHORT_KID.match(kid):
            if cache is None:
                return _paper_key(ctx, kid)
            return cache.get("paper_key", kid, lambda: _paper_key(ctx, kid))
        did, _, fragment = kid.partition("#")
        slug = _slug_of_did(ctx, did)
        entry = entry_of(slug) if slug else None
        if entry is None:
            raise ProofError("unknown_key", f"{kid} is not a key of a registered association")
        found = entry.keys.get(fragment)
        if found is None:
            raise ProofError("unknown_key", f"{kid} is not a key of {did}")
        # The association's did:web or its issuer URL may name the key.
        return found if found.kid == kid else ResolvedKey(kid, did, found.algorithm, found.key)

    return resolve


_SHORT_KID = re.compile(r"^[0-9a-f]{16}$")


def _paper_key(ctx: ServiceContext, short: str) -> PaperKey:
    """The key a paper QR names by its short kid: the first 8 bytes of the JWK thumbprint, which is
    the key's fragment, so the registry finds it by the fragment's first characters."""
    wanted = bytes.fromhex(short)
    for key in repo.keys_with_fragment_prefix(ctx.session, keylib.b64url(wanted)[:10]):
        if keylib.b64url_decode(key.fragment)[:8] == wanted:
            association = key.association
            did = did_of(ctx, association)
            return PaperKey(
                kid=f"{did}#{key.fragment}",
                controller=did,
                algorithm=key.algorithm,
                key=keylib.public_key_from_jwk(key.public_jwk),
                slug=association.slug,
                status_list_base=f"{ctx.settings.resolved_status_list_base_url}/{association.slug}",
            )
    raise ProofError("unknown_key", f"{short} is not the short id of a registered key")


def trust_lookup(ctx: ServiceContext, cache: verify_cache.VerifyCache | None = None) -> TrustLookup:
    """A ``TrustLookup``: the association's accreditation status at a given moment."""

    def lookup(did: str, moment: datetime) -> tuple[str, AccreditationStatus | None] | None:
        slug = _slug_of_did(ctx, did)
        entry = _entry(ctx, slug, cache) if slug else None
        if entry is None:
            return None
        return entry.legal_name, status_at(entry.history, moment)

    return lookup


def _audit(
    ctx: ServiceContext, association: Association, action: str, reason: str | None, actor: str
) -> None:
    repo.audit(
        ctx.session,
        AuditEvent(
            association_id=association.id,
            subject=association.slug,
            action=action,
            reason=reason,
            actor=actor,
            at=ctx.now(),
        ),
    )
