"""What a card shows, read from the stored credentials (pure: no network, no database).

The SD-JWT VC is read first because its skills carry labels in French, Dutch and English; the
Open Badges ``vc+jwt`` fills in what is missing (its skill names are in the activity's language
only). Reading never raises: a credential that cannot be parsed just contributes nothing, and the
page still shows the card so that it can be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from wallet_demo.errors import WalletError
from wallet_demo.jose import JoseError, read_jws
from wallet_demo.sdjwt import SdJwtError, parse_sd_jwt

__all__ = ["CardView", "Skill", "card_view", "credential_id", "format_kind", "read_claims"]

_SD_JWT_FORMATS = ("dc+sd-jwt", "vc+sd-jwt")


@dataclass(frozen=True)
class Skill:
    label: str
    uri: str | None
    kind: str | None


@dataclass
class CardView:
    """The facts of one card, in the reader's language where the credential allows it."""

    id: str
    association: str | None = None
    enterprise_number: str | None = None
    volunteer: str | None = None
    title: str | None = None
    description: str | None = None
    role: str | None = None
    start: date | None = None
    end: date | None = None
    hours: Any = None
    skills: list[Skill] = field(default_factory=list)
    issued: datetime | None = None
    expires: datetime | None = None
    formats: list[str] = field(default_factory=list)


def format_kind(fmt: str) -> str:
    """``sd-jwt`` or ``vc-jwt``: the two families the wallet reads."""
    return "sd-jwt" if fmt in _SD_JWT_FORMATS else "vc-jwt"


def read_claims(fmt: str, raw: str) -> dict[str, Any]:
    """The claims of a stored credential (SD-JWT: with every disclosure applied); raises ValueError."""
    if format_kind(fmt) == "sd-jwt":
        return parse_sd_jwt(raw).claims
    return read_jws(raw).payload


def credential_id(fmt: str, raw: str) -> str:
    """The id that groups both formats of one credential: the SD-JWT's ``jti``, the vc+jwt's ``id``."""
    try:
        claims = read_claims(fmt, raw)
    except (SdJwtError, JoseError) as exc:
        raise WalletError(
            "invalid_credential", f"the {fmt} credential cannot be read: {exc}", status=502
        ) from exc
    for name in ("jti", "id") if format_kind(fmt) == "sd-jwt" else ("id", "jti"):
        if isinstance(claims.get(name), str) and claims[name]:
            return str(claims[name])
    raise WalletError("invalid_credential", f"the {fmt} credential has no id", status=502)


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _label(value: Any, lang: str) -> str | None:
    if isinstance(value, dict):
        for key in (lang, "fr", "nl", "en", *value):
            found = _text(value.get(key))
            if found:
                return found
        return None
    return _text(value)


def _from_sd_jwt(view: CardView, claims: dict[str, Any], lang: str) -> None:
    association = _object(claims.get("association"))
    activity = _object(claims.get("activity"))
    volunteer = _object(claims.get("volunteer"))
    view.association = view.association or _text(association.get("name"))
    view.enterprise_number = view.enterprise_number or _text(association.get("enterprise_number"))
    view.volunteer = view.volunteer or _text(volunteer.get("name"))
    view.title = view.title or _text(activity.get("title"))
    view.description = view.description or _text(activity.get("description"))
    view.role = view.role or _text(activity.get("role"))
    view.start = view.start or _date(activity.get("start_date"))
    view.end = view.end or _date(activity.get("end_date"))
    view.hours = view.hours if view.hours is not None else activity.get("hours")
    view.issued = view.issued or _timestamp(claims.get("iat"))
    view.expires = view.expires or _timestamp(claims.get("exp"))
    if not view.skills:
        for skill in claims.get("skills") or []:
            label = _label(skill.get("label"), lang) if isinstance(skill, dict) else None
            if label and isinstance(skill, dict):
                view.skills.append(Skill(label, _text(skill.get("uri")), _text(skill.get("type"))))


def _from_vc_jwt(view: CardView, payload: dict[str, Any]) -> None:
    issuer = _object(payload.get("issuer"))
    subject = _object(payload.get("credentialSubject"))
    achievement = _object(subject.get("achievement"))
    view.association = view.association or _text(issuer.get("name"))
    view.volunteer = view.volunteer or _text(subject.get("name"))
    view.title = view.title or _text(achievement.get("name")) or _text(payload.get("name"))
    view.description = view.description or _text(achievement.get("description"))
    view.role = view.role or _text(subject.get("role"))
    view.start = view.start or _date(subject.get("activityStartDate"))
    view.end = view.end or _date(subject.get("activityEndDate"))
    view.issued = view.issued or _timestamp(payload.get("validFrom")) or _timestamp(payload.get("iat"))
    view.expires = view.expires or _timestamp(payload.get("validUntil"))
    if not view.skills:
        for item in achievement.get("alignment") or []:
            label = _text(item.get("targetName")) if isinstance(item, dict) else None
            if label and isinstance(item, dict):
                view.skills.append(Skill(label, _text(item.get("targetUrl")), None))


def card_view(card_id: str, credentials: list[tuple[str, str]], lang: str) -> CardView:
    """The view of a card from its ``(format, raw)`` credentials; SD-JWT first."""
    view = CardView(id=card_id)
    ordered = sorted(credentials, key=lambda c: format_kind(c[0]) != "sd-jwt")
    for fmt, raw in ordered:
        try:
            claims = read_claims(fmt, raw)
        except (SdJwtError, JoseError):
            continue
        view.formats.append(fmt)
        if format_kind(fmt) == "sd-jwt":
            _from_sd_jwt(view, claims, lang)
        else:
            _from_vc_jwt(view, claims)
    return view
