"""The claims a paper credential carries, as CWT claims with integer keys, and back.

The layout (version 1) is written down in docs/paper.md and, in CDDL, in schemas/paper-qr.cddl,
whose key numbers this module reads. Skill labels are not carried: a verifier renders them from
its own ESCO index in the reader's language. Decoding checks the structure strictly (types,
lengths, ranges), so a payload that does not follow the layout is refused.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from skills_vc.core.credential import OB3_CONTEXT, OB3_SCHEMA_ID, VC2_CONTEXT, format_datetime
from skills_vc.core.keys import b64url
from skills_vc.published import load_cddl_constants

__all__ = [
    "ESCO_SKILL_PREFIX",
    "PURPOSE_BITS",
    "PaperClaims",
    "PaperClaimsError",
    "claims_from_credential",
    "claims_to_cwt",
    "credential_from_claims",
    "cwt_to_claims",
    "short_issuer_id",
    "vc_digest",
]

ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
# The key numbers are defined once, in the published CDDL of the layout (schemas/paper-qr.cddl):
# the CWT claim keys (RFC 8392), the private-use key that holds our own map, and that map's keys.
_KEY = load_cddl_constants("paper-qr.cddl")
_ISS, _EXP, _IAT, _CTI, _VSC = (_KEY[f"cwt-{name}-key"] for name in ("iss", "exp", "iat", "cti", "vsc"))
_OWN_NAMES = "volunteer title role start end hours skills status-index status-list digest purposes"
_NAME, _TITLE, _ROLE, _START, _END, _HOURS, _SKILLS, _INDEX, _SEQ, _DIGEST, _PURPOSES = (
    _KEY[f"vsc-{name}-key"] for name in _OWN_NAMES.split()
)
_CWT_KEYS = frozenset({_ISS, _EXP, _IAT, _CTI, _VSC})
_OWN_KEYS = frozenset({_NAME, _TITLE, _ROLE, _START, _END, _HOURS, _SKILLS, _INDEX, _SEQ, _DIGEST, _PURPOSES})
PURPOSE_BITS = {"revocation": 1, "suspension": 2}
_ALL_PURPOSES = 3  # the default, left out of the QR
_EPOCH = date(1970, 1, 1)
# 64 bits tie the QR to its vc+jwt: both are signed by the issuer, so the digest only has to make
# a mismatch visible, not resist an attacker without the key.
_DIGEST_BYTES = 8
_MAX_TEXT = 300
_MAX_SKILLS = 64
_HOURS_RE = re.compile(r"^(\d{1,6}) hours$")


class PaperClaimsError(ValueError):
    """The CWT claims do not follow the version 1 layout."""


@dataclass(frozen=True)
class PaperClaims:
    """What a paper QR proves; ``vc_digest`` ties it to the full ``vc+jwt`` credential."""

    issuer: str  # the association's short id (``short_issuer_id`` of its DID)
    credential_id: str
    issued_at: int
    volunteer: str
    title: str
    role: str
    start: date
    end: date
    hours: int
    skills: tuple[str, ...]  # ESCO skill UUIDs
    expires_at: int | None = None
    status_seq: int | None = None
    status_index: int | None = None
    purposes: tuple[str, ...] = ()
    vc_digest: bytes | None = None


def short_issuer_id(did: str) -> str:
    """Six characters standing for the issuer's DID in a QR (base64url of 4 bytes of its SHA-256).

    It is checked against the DID of the key that signed the QR, never used to look anything up,
    so its length does not depend on the association's slug.
    """
    return b64url(hashlib.sha256(did.encode("utf-8")).digest()[:4])


def vc_digest(vc_jwt: str) -> bytes:
    """The first 8 bytes of the SHA-256 of the ``vc+jwt`` text (what the QR carries)."""
    return hashlib.sha256(vc_jwt.encode("ascii")).digest()[:_DIGEST_BYTES]


def _cti(credential_id: str) -> bytes | str:
    if credential_id.startswith("urn:uuid:"):
        try:
            parsed = uuid.UUID(credential_id[9:])
        except ValueError:
            return credential_id
        if f"urn:uuid:{parsed}" == credential_id:
            return parsed.bytes
    return credential_id


def claims_to_cwt(claims: PaperClaims) -> dict[int, Any]:
    """The CWT claims map (integer keys throughout)."""
    own: dict[int, Any] = {
        _NAME: claims.volunteer,
        _TITLE: claims.title,
        _ROLE: claims.role,
        _START: (claims.start - _EPOCH).days,
        _END: (claims.end - claims.start).days,
        _HOURS: claims.hours,
        _SKILLS: b"".join(uuid.UUID(s).bytes for s in claims.skills),
    }
    if claims.status_index is not None and claims.status_seq is not None:
        own[_INDEX], own[_SEQ] = claims.status_index, claims.status_seq
        bits = sum(PURPOSE_BITS[p] for p in set(claims.purposes))
        if bits != _ALL_PURPOSES:
            own[_PURPOSES] = bits
    if claims.vc_digest is not None:
        own[_DIGEST] = claims.vc_digest
    cwt: dict[int, Any] = {_ISS: claims.issuer, _IAT: claims.issued_at, _CTI: _cti(claims.credential_id)}
    if claims.expires_at is not None:
        cwt[_EXP] = claims.expires_at
    cwt[_VSC] = own
    return cwt


def _get(mapping: Mapping[Any, Any], key: int, kind: type | tuple[type, ...], required: bool = True) -> Any:
    value = mapping.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise PaperClaimsError(f"claim {key} is missing or has the wrong type")
    if isinstance(value, str) and not 0 < len(value) <= _MAX_TEXT:
        raise PaperClaimsError(f"claim {key} is empty or too long")
    if isinstance(value, int) and value < 0:
        raise PaperClaimsError(f"claim {key} is negative")
    return value


def cwt_to_claims(cwt: Any) -> PaperClaims:
    """Read and check a decoded CWT claims map; raises ``PaperClaimsError``."""
    if not isinstance(cwt, Mapping) or set(cwt) - _CWT_KEYS:
        raise PaperClaimsError("the CWT claims are not a map of the known claims")
    own = _get(cwt, _VSC, Mapping)
    if set(own) - _OWN_KEYS:
        raise PaperClaimsError("the paper claims hold unknown keys")
    cti = _get(cwt, _CTI, (bytes, str))
    if isinstance(cti, bytes):
        if len(cti) != 16:
            raise PaperClaimsError("a binary credential id is a 16-byte UUID")
        cti = f"urn:uuid:{uuid.UUID(bytes=cti)}"
    skills = _get(own, _SKILLS, bytes)
    if len(skills) % 16 or len(skills) > 16 * _MAX_SKILLS:
        raise PaperClaimsError("the skills are not a list of 16-byte UUIDs")
    digest = _get(own, _DIGEST, bytes, required=False)
    if digest is not None and len(digest) != _DIGEST_BYTES:
        raise PaperClaimsError("the credential digest has the wrong length")
    index, seq = _get(own, _INDEX, int, False), _get(own, _SEQ, int, False)
    bits = _get(own, _PURPOSES, int, False)
    if (index is None) != (seq is None) or (index is None and bits is not None):
        raise PaperClaimsError("a status index needs its list number")
    bits = _ALL_PURPOSES if bits is None else bits
    if index is not None and not 0 < bits <= _ALL_PURPOSES:
        raise PaperClaimsError("the status purposes are not known")
    try:
        start = _EPOCH + timedelta(days=_get(own, _START, int))
        end = start + timedelta(days=_get(own, _END, int))
    except OverflowError:
        raise PaperClaimsError("a date is out of range") from None
    return PaperClaims(
        issuer=_get(cwt, _ISS, str),
        credential_id=cti,
        issued_at=_get(cwt, _IAT, int),
        expires_at=_get(cwt, _EXP, int, required=False),
        volunteer=_get(own, _NAME, str),
        title=_get(own, _TITLE, str),
        role=_get(own, _ROLE, str),
        start=start,
        end=end,
        hours=_get(own, _HOURS, int),
        skills=tuple(str(uuid.UUID(bytes=skills[i : i + 16])) for i in range(0, len(skills), 16)),
        status_seq=seq,
        status_index=index,
        purposes=tuple(p for p, bit in PURPOSE_BITS.items() if index is not None and bits & bit),
        vc_digest=digest,
    )


def _iso_day(day: date) -> str:
    return format_datetime(datetime.combine(day, datetime.min.time(), UTC))


def claims_from_credential(
    credential: dict[str, Any], *, issuer: str, issued_at: int, hours: int | None = None
) -> PaperClaims:
    """The paper claims of an Open Badges credential this platform built (see ``core.credential``)."""
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    if hours is None:
        evidence = credential.get("evidence") or [{}]
        match = _HOURS_RE.match(str(evidence[0].get("description", "")))
        hours = int(match.group(1)) if match else 0
    statuses = credential.get("credentialStatus") or []
    statuses = statuses if isinstance(statuses, list) else [statuses]
    valid_until = credential.get("validUntil")
    return PaperClaims(
        issuer=issuer,
        credential_id=str(credential["id"]),
        issued_at=issued_at,
        expires_at=(
            int(datetime.fromisoformat(valid_until.replace("Z", "+00:00")).timestamp())
            if valid_until
            else None
        ),
        volunteer=str(subject["name"]),
        title=str(achievement["name"]),
        role=str(subject["role"]),
        start=date.fromisoformat(str(subject["activityStartDate"])[:10]),
        end=date.fromisoformat(str(subject["activityEndDate"])[:10]),
        hours=hours,
        skills=tuple(str(a["targetCode"]) for a in achievement.get("alignment", [])),
        status_seq=int(statuses[0]["statusListCredential"].rsplit("/", 1)[1]) if statuses else None,
        status_index=int(statuses[0]["statusListIndex"]) if statuses else None,
        purposes=tuple(str(s["statusPurpose"]) for s in statuses),
    )


def credential_from_claims(claims: PaperClaims, did: str, status_base: str | None) -> dict[str, Any]:
    """The Open Badges credential the verifier reads from the claims (skill labels are UUIDs)."""
    achievement = {
        "id": f"{did}#achievement-paper",
        "type": ["Achievement"],
        "achievementType": "CommunityService",
        "name": claims.title,
        "description": claims.title,
        "criteria": {"narrative": f"Volunteered as {claims.role} ({claims.hours} hours)."},
        "alignment": [
            {
                "type": ["Alignment"],
                "targetType": "ext:ESCOSkill",
                "targetCode": skill,
                "targetUrl": ESCO_SKILL_PREFIX + skill,
                "targetName": skill,
            }
            for skill in claims.skills
        ],
    }
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT, OB3_CONTEXT],
        "id": claims.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": claims.title,
        "issuer": {"id": did, "type": ["Profile"]},
        "validFrom": format_datetime(datetime.fromtimestamp(claims.issued_at, UTC)),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": claims.volunteer,
            "activityStartDate": _iso_day(claims.start),
            "activityEndDate": _iso_day(claims.end),
            "role": claims.role,
            "achievement": achievement,
        },
        "evidence": [{"type": ["Evidence"], "description": f"{claims.hours} hours"}],
        "credentialSchema": [{"id": OB3_SCHEMA_ID, "type": "JsonSchema"}],
    }
    if claims.expires_at is not None:
        credential["validUntil"] = format_datetime(datetime.fromtimestamp(claims.expires_at, UTC))
    if claims.status_index is not None:
        # Without a known list address the entry still goes in, so the status check fails closed.
        base = status_base or f"urn:skills-vc:status-lists:{did}"
        credential["credentialStatus"] = [
            {
                "id": f"{claims.credential_id}#{purpose}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(claims.status_index),
                "statusListCredential": f"{base}/{purpose}/{claims.status_seq}",
            }
            for purpose in claims.purposes
        ]
    return credential
