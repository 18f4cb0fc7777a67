"""A pure set-up for paper credential tests: an operator, one association, its keys and lists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from skills_vc.core import keys as keylib
from skills_vc.core.credential import VC2_CONTEXT, format_datetime
from skills_vc.core.formats import Signer, get_format
from skills_vc.core.formats.qr import encode, short_kid
from skills_vc.core.paper import PaperClaims, short_issuer_id
from skills_vc.core.status import build_bitstring, encode_list
from skills_vc.core.trustlist import (
    AccreditationPeriod,
    TrustedKeyEntry,
    TrustEntry,
    TrustList,
    sign_trust_list,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ISSUED = NOW - timedelta(days=30)
HOST = "skills-vc.test"
STATUS_BASE = f"https://{HOST}/status-lists"


@dataclass
class Issuer:
    slug: str = "entraide-bxl"
    key_type: keylib.KeyType = "Ed25519"
    key: keylib.PrivateKey = field(init=False)

    def __post_init__(self) -> None:
        self.key = keylib.generate_private_key(self.key_type)

    @property
    def did(self) -> str:
        return f"did:web:{HOST}:issuers:{self.slug}"

    @property
    def signer(self) -> Signer:
        fragment = keylib.jwk_thumbprint(keylib.public_jwk(self.key))
        return Signer(
            key=self.key, kid=f"{self.did}#{fragment}", algorithm=keylib.algorithm_for(self.key_type)
        )

    def entry(self, accredited_from: datetime = NOW - timedelta(days=365)) -> TrustEntry:
        jwk = keylib.public_jwk(self.key)
        return TrustEntry(
            did=self.did,
            slug=self.slug,
            legal_name=f"{self.slug} ASBL",
            enterprise_number="0400000197",
            status_list_base=f"{STATUS_BASE}/{self.slug}",
            keys=(
                TrustedKeyEntry(
                    kid=self.signer.kid,
                    short_kid=short_kid(self.key).hex(),
                    algorithm=self.signer.algorithm,
                    jwk=jwk,
                ),
            ),
            accreditation=(AccreditationPeriod(accredited_from, None),),
        )

    def status_list(self, purpose: str, revoked: list[int], *, at: datetime = NOW) -> str:
        url = f"{STATUS_BASE}/{self.slug}/{purpose}/0"
        document = {
            "@context": [VC2_CONTEXT],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.did,
            "validFrom": format_datetime(at),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": purpose,
                "encodedList": encode_list(build_bitstring(131_072, revoked)),
            },
        }
        return get_format("vc+jwt").secure(document, self.signer, now=int(at.timestamp()))


OPERATOR = keylib.generate_private_key("Ed25519")
OPERATOR_JWK = keylib.public_jwk(OPERATOR)


def trust_list(*issuers: Issuer, issued: datetime = NOW - timedelta(days=1), days: int = 7) -> str:
    listed = TrustList(
        issuer=f"https://{HOST}",
        issued_at=int(issued.timestamp()),
        expires_at=int((issued + timedelta(days=days)).timestamp()),
        entries=tuple(issuer.entry() for issuer in issuers),
    )
    return sign_trust_list(listed, OPERATOR, f"https://{HOST}#operator", "EdDSA")


def claims(who: Issuer, n_skills: int = 3, **overrides: object) -> PaperClaims:
    values: dict[str, object] = {
        "issuer": short_issuer_id(who.did),
        "credential_id": f"urn:uuid:{uuid.uuid4()}",
        "issued_at": int(ISSUED.timestamp()),
        "volunteer": "Aïcha Benali",
        "title": "Couture de masques pour les hôpitaux",
        "role": "Couturière bénévole",
        "start": date(2020, 3, 23),
        "end": date(2020, 6, 30),
        "hours": 240,
        "skills": tuple(str(uuid.uuid4()) for _ in range(n_skills)),
        "status_seq": 0,
        "status_index": 4242,
        "purposes": ("revocation", "suspension"),
        "vc_digest": bytes(range(8)),
    }
    values.update(overrides)
    return PaperClaims(**values)  # type: ignore[arg-type]


def qr_text(issuer: Issuer, **overrides: object) -> str:
    return encode(claims(issuer, **overrides), issuer.signer)
