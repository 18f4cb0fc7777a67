"""The metadata documents of an association's credential issuer, in French, Dutch and English.

OpenID4VCI credential issuer metadata (the two credential configurations, how they are displayed,
the display names of the SD-JWT VC's claims), the OAuth authorization server metadata of its token
endpoint (RFC 8414), and its keys as JWT VC Issuer Metadata (what a verifier of an SD-JWT VC uses).
"""

from __future__ import annotations

import hashlib
from html import escape
from typing import Any

from skills_vc.services import associations
from skills_vc.services.associations import issuer_url
from skills_vc.services.context import ServiceContext
from skills_vc.services.wallet_issuance import vct_url
from skills_vc.services.wallet_offers import CONFIG_OB3, CONFIG_SD_JWT, PRE_AUTHORIZED_GRANT
from skills_vc.store import associations as repo
from skills_vc.store.tables import Association

__all__ = [
    "authorization_server_metadata",
    "credential_issuer_metadata",
    "jwt_vc_issuer_metadata",
    "logo_svg",
]

_ALGS = ["EdDSA", "ES256"]
_BINDING = ["jwk", "did:jwk", "did:key"]
_LANGS = ("fr", "nl", "en")
_CREDENTIAL_NAMES = {
    "fr": (
        "Compétences de bénévolat",
        "Activité bénévole attestée par l'association, avec ses compétences ESCO.",
    ),
    "nl": (
        "Vrijwilligerscompetenties",
        "Vrijwilligerswerk, bevestigd door de vereniging, met ESCO-competenties.",
    ),
    "en": ("Volunteering skills", "Volunteer activity attested by the association, with its ESCO skills."),
}
_BADGE_NAMES = {
    "fr": "Open Badge de bénévolat (OB 3.0)",
    "nl": "Open Badge vrijwilligerswerk (OB 3.0)",
    "en": "Volunteering Open Badge (OB 3.0)",
}
# claim path -> (fr, nl, en)
_CLAIMS: list[tuple[list[Any], tuple[str, str, str]]] = [
    (["volunteer", "name"], ("Nom du ou de la bénévole", "Naam van de vrijwilliger", "Volunteer's name")),
    (["volunteer", "email"], ("Adresse e-mail", "E-mailadres", "Email address")),
    (["activity", "title"], ("Activité", "Activiteit", "Activity")),
    (["activity", "description"], ("Description", "Beschrijving", "Description")),
    (["activity", "role"], ("Rôle", "Rol", "Role")),
    (["activity", "start_date"], ("Début", "Begin", "Start")),
    (["activity", "end_date"], ("Fin", "Einde", "End")),
    (["activity", "hours"], ("Heures", "Uren", "Hours")),
    (["activity", "tasks"], ("Tâches", "Taken", "Tasks")),
    (["activity", "location"], ("Lieu", "Plaats", "Location")),
    (["skills", None], ("Compétences (ESCO)", "Competenties (ESCO)", "Skills (ESCO)")),
    (["association", "name"], ("Association", "Vereniging", "Association")),
]
_PALETTE = ("#1d4e89", "#2e6b3a", "#7a2e5d", "#8a4b08", "#0e6470", "#4b3c8a")


def _colour(association: Association) -> str:
    return _PALETTE[hashlib.sha256(association.slug.encode()).digest()[0] % len(_PALETTE)]


def logo_svg(association: Association) -> str:
    """A small SVG with the association's initials (associations register no logo of their own)."""
    words = [w for w in association.legal_name.replace("-", " ").split() if w[:1].isalpha()]
    initials = escape("".join(w[0] for w in words[:2]).upper() or "?")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="12" fill="{_colour(association)}"/>'
        '<text x="32" y="41" font-family="sans-serif" font-size="26" text-anchor="middle" '
        f'fill="#ffffff">{initials}</text></svg>'
    )
    return svg


def _display(
    ctx: ServiceContext, association: Association, names: dict[str, tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    # The logo is an https URL, not a data: URI: wallets built on oid4vc-ts refuse the whole
    # metadata when a logo is a data:image/svg+xml URI (its pattern has no '+').
    logo = issuer_url(ctx, association) + "/logo.svg"
    out = []
    for lang in _LANGS:
        entry: dict[str, Any] = {
            "name": names[lang][0] if names else association.legal_name,
            "locale": lang,
            "logo": {"uri": logo, "alt_text": association.legal_name},
            "background_color": _colour(association),
            "text_color": "#ffffff",
        }
        if names:
            entry["description"] = names[lang][1]
        out.append(entry)
    return out


def credential_issuer_metadata(ctx: ServiceContext, slug: str) -> dict[str, Any]:
    association = associations.get(ctx, slug)
    iss = issuer_url(ctx, association)
    proof_types = {"jwt": {"proof_signing_alg_values_supported": _ALGS}}
    claims = [
        {
            "path": path,
            "display": [{"name": label, "locale": lang} for lang, label in zip(_LANGS, labels, strict=True)],
        }
        for path, labels in _CLAIMS
    ]
    return {
        "credential_issuer": iss,
        "credential_endpoint": f"{iss}/oid4vci/credential",
        "nonce_endpoint": f"{iss}/oid4vci/nonce",
        "display": _display(ctx, association),
        "credential_configurations_supported": {
            CONFIG_SD_JWT: {
                "format": "dc+sd-jwt",
                "vct": vct_url(ctx),
                "cryptographic_binding_methods_supported": _BINDING,
                "credential_signing_alg_values_supported": _ALGS,
                "proof_types_supported": proof_types,
                "credential_metadata": {
                    "display": _display(ctx, association, _CREDENTIAL_NAMES),
                    "claims": claims,
                },
            },
            CONFIG_OB3: {
                "format": "jwt_vc_json",
                "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
                "cryptographic_binding_methods_supported": ["did:jwk", "did:key"],
                "credential_signing_alg_values_supported": _ALGS,
                "proof_types_supported": proof_types,
                "credential_metadata": {
                    "display": _display(
                        ctx,
                        association,
                        {lang: (_BADGE_NAMES[lang], _CREDENTIAL_NAMES[lang][1]) for lang in _LANGS},
                    ),
                },
            },
        },
    }


def authorization_server_metadata(ctx: ServiceContext, slug: str) -> dict[str, Any]:
    """RFC 8414 metadata: the credential issuer is its own authorization server (pre-authorized
    code only; wallets are anonymous public clients)."""
    iss = issuer_url(ctx, associations.get(ctx, slug))
    return {
        "issuer": iss,
        "token_endpoint": f"{iss}/oid4vci/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
    }


def jwt_vc_issuer_metadata(ctx: ServiceContext, slug: str) -> dict[str, Any]:
    """The association's keys (current and retired) as JWT VC Issuer Metadata; ``kid`` is the
    fragment the SD-JWT VC's header names (the key's JWK thumbprint)."""
    association = associations.get(ctx, slug)
    keys = [
        {**key.public_jwk, "kid": key.fragment, "alg": key.algorithm, "use": "sig"}
        for key in repo.keys_of(ctx.session, association.id)
    ]
    return {"issuer": issuer_url(ctx, association), "jwks": {"keys": keys}}
