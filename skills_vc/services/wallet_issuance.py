"""The OpenID4VCI credential endpoint: the credential of an offer, bound to the wallet's key.

A credential already issued (a row of ``credentials``) goes to a wallet in two forms: the SD-JWT VC
(``dc+sd-jwt``, built from the recorded activity, every personal claim selectively disclosable)
and the Open Badges 3.0 credential (``jwt_vc_json``, the same document as the stored ``vc+jwt``
with ``credentialSubject.id`` the holder's DID). Both keep the credential's id and status index,
so revoking or suspending the credential reaches every form of it at once.
"""

from __future__ import annotations

from typing import Any

from skills_vc.core.enterprise import format_enterprise_number
from skills_vc.core.formats import get_format
from skills_vc.core.holder import HolderKey, ProofRejected, verify_proof
from skills_vc.core.schema import SchemaViolation, validate_credential
from skills_vc.core.sdjwt import Sd
from skills_vc.errors import ForbiddenError
from skills_vc.services import associations, paper
from skills_vc.services.associations import issuer_url
from skills_vc.services.context import ServiceContext
from skills_vc.services.issuance import require_accredited
from skills_vc.services.mapping import get_bundle
from skills_vc.services.status_lists import token_list_url
from skills_vc.services.wallet_offers import CONFIG_SD_JWT, CONFIGURATIONS, OAuthError, access_offer
from skills_vc.store import credentials as credentials_repo
from skills_vc.store import offers as repo
from skills_vc.store import records as records_repo
from skills_vc.store.tables import Association, AuditEvent, Credential, WalletIssuance

__all__ = ["VCT_PATH", "issue_to_wallet", "sd_jwt_claims", "skill_entries", "vct_url"]

VCT_PATH = "/vct/volunteer-activity"
_COMPETENT_RELATIONS = ("exactMatch", "closeMatch")
_LANGS = ("fr", "nl", "en")


def vct_url(ctx: ServiceContext) -> str:
    return ctx.settings.public_url.rstrip("/") + VCT_PATH


def skill_entries(skills: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each confirmed skill as the SD-JWT VC carries it: ESCO URI, type, its labels in fr/nl/en (those
    ESCO has) and Competent codes, from the packaged ESCO index (so a wallet shows them in its
    reader's language)."""
    index = get_bundle().index
    out = []
    for skill in skills:
        uri = str(skill["uri"])
        entry: dict[str, Any] = {"uri": uri, "framework": "ESCO v1.1.1"}
        if index.has(uri):
            i = index.position(uri)
            entry["type"] = (
                "transversal"
                if index.is_transversal(i)
                else "knowledge"
                if index.is_knowledge(i)
                else "skill"
            )
            # Only labels ESCO really has in a language: a Dutch reader's wallet falls back to
            # another language itself rather than showing French text marked as Dutch.
            labels = {lang: index.label(i, lang) for lang in _LANGS}  # type: ignore[arg-type]
            entry["label"] = {lang: label.text for lang, label in labels.items() if label.lang == lang}
            entry["competent"] = [c.code for c in index.competent(i) if c.relation in _COMPETENT_RELATIONS]
        else:
            entry["type"] = "skill"
            entry["label"] = {lang: str(skill.get("label") or uri) for lang in _LANGS}
            entry["competent"] = []
        out.append(entry)
    return out


def sd_jwt_claims(
    ctx: ServiceContext, association: Association, row: Credential, holder_jwk: dict[str, str]
) -> dict[str, Any]:
    """The claims of the SD-JWT VC of a credential, with ``Sd`` marking what the holder may disclose."""
    activity = (
        records_repo.activity(ctx.session, association.id, row.activity_id) if row.activity_id else None
    )
    volunteer = (
        records_repo.volunteer(ctx.session, association.id, row.volunteer_id) if row.volunteer_id else None
    )
    if activity is None or volunteer is None:
        raise OAuthError(
            "credential_request_denied", "no_activity", "this credential attests no recorded activity"
        )
    person: dict[str, Any] = {"name": Sd(volunteer.name)}
    if volunteer.email:
        person["email"] = Sd(volunteer.email)
    done: dict[str, Any] = {
        "title": Sd(activity.title),
        "description": Sd(activity.description),
        "role": Sd(activity.role),
        "start_date": Sd(activity.start_date.isoformat()),
        "end_date": Sd(activity.end_date.isoformat()),
        "hours": Sd(activity.hours),
        "language": activity.language,
    }
    if activity.tasks:
        done["tasks"] = Sd([str(t) for t in activity.tasks])
    if activity.location:
        done["location"] = Sd(activity.location)
    claims: dict[str, Any] = {
        "iss": issuer_url(ctx, association),
        "vct": vct_url(ctx),
        "jti": row.id,
        "cnf": {"jwk": holder_jwk},
        "status": {
            "status_list": {
                "idx": row.status_index,
                "uri": token_list_url(ctx, association, row.status_list_seq),
            }
        },
        "association": {
            "name": association.legal_name,
            "enterprise_number": format_enterprise_number(association.enterprise_number),
            "did": associations.did_of(ctx, association),
        },
        "volunteer": person,
        "activity": done,
        "skills": [Sd(entry) for entry in skill_entries(list(activity.skills))],
    }
    if row.valid_until is not None:
        claims["exp"] = int(row.valid_until.timestamp())
    return claims


def _holder_bound_ob3(ctx: ServiceContext, row: Credential, holder: HolderKey) -> dict[str, Any]:
    document = get_format("vc+jwt").read(row.secured)
    subject = {k: v for k, v in document["credentialSubject"].items() if k != "id"}
    document["credentialSubject"] = {"id": holder.did, **subject}
    try:
        validate_credential(document)
    except SchemaViolation as exc:  # pragma: no cover - the stored credential was validated
        raise OAuthError("credential_request_denied", exc.code, str(exc)) from exc
    return document


def _proof_jwt(body: dict[str, Any]) -> str:
    proofs = body.get("proofs")
    if isinstance(proofs, dict):
        jwts = proofs.get("jwt")
        if (
            set(proofs) != {"jwt"}
            or not isinstance(jwts, list)
            or len(jwts) != 1
            or not isinstance(jwts[0], str)
        ):
            raise OAuthError("invalid_proof", "proof_unsupported", "send exactly one proof in proofs.jwt")
        return jwts[0]
    proof = body.get("proof")
    if isinstance(proof, dict) and proof.get("proof_type") == "jwt" and isinstance(proof.get("jwt"), str):
        return str(proof["jwt"])
    raise OAuthError(
        "invalid_proof", "proof_missing", "the request carries no proof of possession (proofs.jwt)"
    )


def _spend_nonce(ctx: ServiceContext, association: Association, nonce: str) -> None:
    if repo.spend_nonce(ctx.session, nonce, association.id, ctx.now()):
        return
    known = repo.nonce(ctx.session, nonce)
    if known is None or known.association_id != association.id:
        raise OAuthError("invalid_nonce", "nonce_unknown", "the proof's nonce was not issued by this issuer")
    if known.used_at is not None:
        raise OAuthError("invalid_nonce", "nonce_used", "the proof's nonce was already used: get a new one")
    raise OAuthError("invalid_nonce", "nonce_expired", "the proof's nonce has expired: get a new one")


def issue_to_wallet(
    ctx: ServiceContext, slug: str, access_token: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Check the access token, the configuration and the proof; issue the credential bound to the key."""
    association = associations.get(ctx, slug)
    offer = access_offer(ctx, association, access_token)
    configuration = body.get("credential_configuration_id")
    if not isinstance(configuration, str):
        raise OAuthError(
            "invalid_credential_request", "configuration_missing", "credential_configuration_id is required"
        )
    if configuration not in CONFIGURATIONS:
        raise OAuthError(
            "unknown_credential_configuration", "configuration_unknown", f"no configuration {configuration!r}"
        )
    if configuration not in offer.configurations:
        raise OAuthError(
            "invalid_credential_request",
            "configuration_not_offered",
            f"this access token is for {', '.join(offer.configurations)}, not {configuration}",
        )
    now = ctx.now()
    try:
        holder = verify_proof(
            _proof_jwt(body), audience=issuer_url(ctx, association), now=int(now.timestamp())
        )
    except ProofRejected as exc:
        raise OAuthError(exc.error, exc.reason, exc.detail) from None
    _spend_nonce(ctx, association, holder.nonce)
    row = credentials_repo.by_id(ctx.session, offer.credential_id)
    if row is None or row.revoked_at is not None or row.suspended_at is not None:
        raise OAuthError(
            "credential_request_denied", "credential_not_active", "the credential is revoked or suspended"
        )
    try:
        require_accredited(association)
    except ForbiddenError as exc:
        raise OAuthError("credential_request_denied", exc.code, exc.detail) from None
    signer = associations.signer_for(ctx, association)
    iat = int(now.timestamp())
    if configuration == CONFIG_SD_JWT:
        fmt = get_format("dc+sd-jwt")
        secured = fmt.secure(sd_jwt_claims(ctx, association, row, holder.jwk), signer, now=iat)
    else:
        fmt = get_format("vc+jwt")
        secured = fmt.secure(_holder_bound_ob3(ctx, row, holder), signer, now=iat)
    issued = WalletIssuance(
        offer_id=offer.id,
        configuration=configuration,
        credential_id=row.id,
        format=fmt.name,
        holder_did=holder.did,
        secured=secured,
        issued_at=now,
    )
    if not repo.add_issuance(ctx.session, issued):
        raise OAuthError(
            "credential_request_denied",
            "already_issued",
            f"{configuration} was already issued for this offer",
        )
    ctx.session.add(
        AuditEvent(
            association_id=association.id,
            subject=row.id[:64],
            action=f"wallet_issued:{CONFIGURATIONS[configuration]}"[:32],
            actor="wallet",
            at=now,
        )
    )
    return {
        "credentials": [{"credential": secured}],
        "skills_vc_paper_qr": paper.qr_text(ctx, association, row.id),
    }
