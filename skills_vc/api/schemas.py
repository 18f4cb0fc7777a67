"""HTTP request and response models (the OpenAPI at /docs is generated from them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccreditationChange",
    "AccreditationOut",
    "ActivityIn",
    "ActivityOut",
    "AssociationIn",
    "AssociationOut",
    "BatchIssue",
    "CredentialOut",
    "IssueRequest",
    "IssueResponse",
    "KeyOut",
    "KeyRotation",
    "PresentationOptionsIn",
    "PresentationVerifyRequest",
    "RegisteredAssociation",
    "SkillIn",
    "StatusChange",
    "StatusRequest",
    "VerifyRequest",
    "VolunteerIn",
    "VolunteerOut",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssociationIn(Strict):
    legal_name: str = Field(min_length=1, max_length=300, examples=["Les Couturières Solidaires ASBL"])
    enterprise_number: str = Field(min_length=9, max_length=20, examples=["0123.456.749"])
    slug: str = Field(min_length=3, max_length=64, examples=["couturieres-solidaires"])
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    website: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=500)
    key_type: Literal["Ed25519", "P-256"] | None = None


class AccreditationOut(BaseModel):
    status: str
    at: datetime
    reason: str | None
    actor: str


class KeyOut(BaseModel):
    kid: str
    algorithm: str
    public_jwk: dict[str, str]
    created_at: datetime
    retired_at: datetime | None


class AssociationOut(BaseModel):
    slug: str
    did: str
    legal_name: str
    enterprise_number: str
    email: str | None
    website: str | None
    accreditation_status: str
    accreditation_history: list[AccreditationOut]
    keys: list[KeyOut]


class RegisteredAssociation(BaseModel):
    association: AssociationOut
    api_key: str = Field(description="Shown once: only its hash is stored.")


class AccreditationChange(Strict):
    status: Literal["accredited", "suspended", "withdrawn"]
    reason: str | None = Field(default=None, max_length=1000)


class KeyRotation(Strict):
    key_type: Literal["Ed25519", "P-256"] | None = None


class VolunteerIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    holder_did: str | None = Field(default=None, max_length=500)


class VolunteerOut(BaseModel):
    id: str
    name: str
    email: str | None
    holder_did: str | None
    created_at: datetime


class SkillIn(Strict):
    """A confirmed ESCO skill; its label is taken from ESCO in the activity's language."""

    uri: str = Field(
        max_length=200, examples=["http://data.europa.eu/esco/skill/e5eb5b7c-bc7f-4c25-820f-f9bdef888b86"]
    )


class ActivityIn(Strict):
    volunteer_id: str
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=5000)
    role: str = Field(min_length=1, max_length=200)
    tasks: list[str] = Field(default_factory=list, max_length=50)
    start_date: date
    end_date: date
    hours: int
    location: str | None = Field(default=None, max_length=300)
    language: str = Field(min_length=2, max_length=2)
    coordinator_name: str = Field(min_length=1, max_length=200)
    coordinator_role: str = Field(min_length=1, max_length=200)
    skills: list[SkillIn] = Field(max_length=40)
    template_id: str | None = Field(
        default=None, max_length=100, description="an activity catalogue template"
    )


class ActivityOut(BaseModel):
    id: str
    volunteer_id: str
    title: str
    description: str
    role: str
    tasks: list[str]
    start_date: date
    end_date: date
    hours: int
    location: str | None
    language: str
    coordinator_name: str
    coordinator_role: str
    skills: list[dict[str, Any]]
    suggested_skills: list[dict[str, Any]] | None
    created_at: datetime


class CredentialOut(BaseModel):
    id: str
    state: Literal["active", "suspended", "revoked"]
    format: str
    issuer: str
    volunteer_id: str | None
    activity_id: str | None
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    revocation_reason: str | None
    suspension_reason: str | None
    status_list_index: int
    status_lists: dict[str, str]
    verifiable_credential: dict[str, Any] = Field(
        description="The vc+jwt as an EnvelopedVerifiableCredential."
    )
    jwt: str
    credential: dict[str, Any]


class BatchIssue(Strict):
    activity_ids: list[str] = Field(min_length=1, max_length=1000)


class StatusChange(Strict):
    reason: str | None = Field(default=None, max_length=1000)


# --- VC API (W3C VC API / VCALM) ---


class IssueOptions(BaseModel):
    # The VC API lets implementations accept further options; unknown ones are ignored.
    model_config = ConfigDict(extra="allow")
    credentialId: str | None = None
    credentialStatus: dict[str, Any] | None = None


class IssueRequest(Strict):
    credential: dict[str, Any]
    options: IssueOptions | None = None


class IssueResponse(BaseModel):
    verifiableCredential: dict[str, Any]


class VerifyRequest(Strict):
    verifiableCredential: dict[str, Any] | str
    options: dict[str, Any] | None = None


class PresentationOptionsIn(BaseModel):
    # The VC API lets verifiers ignore options they do not know (the W3C suites send some).
    model_config = ConfigDict(extra="allow")
    challenge: str | None = Field(default=None, description="the presentation's nonce must equal it")
    domain: str | None = Field(default=None, description="the presentation's aud must name it")


class PresentationVerifyRequest(Strict):
    verifiablePresentation: Any = Field(
        description="an EnvelopedVerifiablePresentation (vp+jwt, dc+sd-jwt), a bare vp+jwt or "
        "SD-JWT with its KB-JWT, or a VerifiablePresentation object"
    )
    options: PresentationOptionsIn | None = None


class StatusEntryIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = "BitstringStatusListEntry"
    statusPurpose: Literal["revocation", "suspension"]


class StatusRequest(Strict):
    credentialId: str
    credentialStatus: list[StatusEntryIn] | StatusEntryIn
    status: bool = Field(description="true sets the status (revoked / suspended), false clears it")
    reason: str | None = Field(default=None, max_length=1000)
