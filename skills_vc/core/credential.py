"""Build the Open Badges 3.0 ``OpenBadgeCredential`` (on VC 2.0) that attests a volunteer activity.

ESCO skills become ``alignment[]`` entries of the achievement; the coordinator's attestation is the
``evidence``. The function is pure: identifiers, times and status entries are passed in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from skills_vc.core.schema import OB3_SCHEMA_ID, SUBJECT_SCHEMA_ID

__all__ = [
    "ESCO_FRAMEWORK",
    "OB3_CONTEXT",
    "OB3_SCHEMA_ID",
    "VC2_CONTEXT",
    "ActivityClaims",
    "IssuerClaims",
    "SkillClaim",
    "VolunteerClaims",
    "build_credential",
    "esco_skill_uuid",
    "format_datetime",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ESCO_FRAMEWORK = "ESCO v1.1.1"
_ESCO_SKILL = re.compile(
    r"^http://data\.europa\.eu/esco/skill/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def esco_skill_uuid(uri: str) -> str:
    """The UUID of an ESCO skill URI; raises ``ValueError`` for anything else."""
    match = _ESCO_SKILL.match(uri)
    if not match:
        raise ValueError(f"not an ESCO skill URI: {uri!r}")
    return match.group(1)


def format_datetime(moment: datetime) -> str:
    """XML Schema dateTimeStamp in UTC with seconds precision: ``2021-03-01T00:00:00Z``."""
    if moment.tzinfo is None:
        raise ValueError("datetimes in credentials must carry a timezone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class IssuerClaims:
    did: str
    name: str
    enterprise_number: str
    url: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class VolunteerClaims:
    name: str
    holder_did: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class SkillClaim:
    uri: str
    label: str


@dataclass(frozen=True)
class ActivityClaims:
    title: str
    description: str
    role: str
    start_date: date
    end_date: date
    hours: int
    language: str
    coordinator_name: str
    coordinator_role: str
    skills: tuple[SkillClaim, ...]
    tasks: tuple[str, ...] = field(default_factory=tuple)
    location: str | None = None


def _achievement_id(issuer: IssuerClaims, activity: ActivityClaims) -> str:
    digest = hashlib.sha256(
        "\x1f".join([issuer.did, activity.title, activity.role, activity.language]).encode()
    ).hexdigest()[:32]
    return f"{issuer.did}#achievement-{digest}"


def build_credential(
    *,
    credential_id: str,
    issuer: IssuerClaims,
    volunteer: VolunteerClaims,
    activity: ActivityClaims,
    valid_from: datetime,
    valid_until: datetime | None,
    credential_status: list[dict[str, Any]],
) -> dict[str, Any]:
    """The unsigned credential, ready for a securing format."""
    tasks = "; ".join(activity.tasks)
    narrative = (
        f"{activity.role} from {activity.start_date.isoformat()} to {activity.end_date.isoformat()}, "
        f"{activity.hours} hours"
        + (f", at {activity.location}" if activity.location else "")
        + (f". Tasks: {tasks}" if tasks else "")
        + "."
    )
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "name": volunteer.name,
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": volunteer.name,
                "identityType": "name",
                "hashed": False,
            }
        ],
        "activityStartDate": format_datetime(datetime.combine(activity.start_date, datetime.min.time(), UTC)),
        "activityEndDate": format_datetime(datetime.combine(activity.end_date, datetime.min.time(), UTC)),
        "role": activity.role,
        "narrative": narrative,
        "achievement": {
            "id": _achievement_id(issuer, activity),
            "type": ["Achievement"],
            "achievementType": "CommunityService",
            "name": activity.title,
            "description": activity.description,
            "inLanguage": activity.language,
            "criteria": {
                "narrative": (
                    f"Volunteered as {activity.role} for {issuer.name}: {activity.description}"
                    f" ({activity.hours} hours, attested by the association's coordinator)."
                )
            },
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetType": "ext:ESCOSkill",
                    "targetFramework": ESCO_FRAMEWORK,
                    "targetCode": esco_skill_uuid(skill.uri),
                    "targetUrl": skill.uri,
                    "targetName": skill.label,
                }
                for skill in activity.skills
            ],
        },
    }
    if volunteer.holder_did:
        subject = {"id": volunteer.holder_did, **subject}
    issuer_profile: dict[str, Any] = {
        "id": issuer.did,
        "type": ["Profile"],
        "name": issuer.name,
        "otherIdentifier": [
            {
                "type": "IdentifierEntry",
                "identifier": issuer.enterprise_number,
                "identifierType": "identifier",
            }
        ],
    }
    if issuer.url:
        issuer_profile["url"] = issuer.url
    if issuer.email:
        issuer_profile["email"] = issuer.email
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT, OB3_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": activity.title,
        "issuer": issuer_profile,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": subject,
        "evidence": [
            {
                "type": ["Evidence"],
                "name": "Coordinator attestation",
                "narrative": (
                    f"{activity.coordinator_name} ({activity.coordinator_role}) attests "
                    f"{activity.hours} hours of volunteering as {activity.role}."
                ),
                "description": f"{activity.hours} hours",
                "genre": "Attestation",
            }
        ],
        # The second schema holds the subject to exactly what is built above (schemas/README.md).
        "credentialSchema": [
            {"id": OB3_SCHEMA_ID, "type": "JsonSchema"},
            {"id": SUBJECT_SCHEMA_ID, "type": "JsonSchema"},
        ],
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    if credential_status:
        credential["credentialStatus"] = (
            credential_status[0] if len(credential_status) == 1 else credential_status
        )
    return credential
