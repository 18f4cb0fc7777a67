"""What a counsellor reads after a verification: the report turned into view data.

The association is shown as this platform's registry knows it (legal name, enterprise number,
accreditation status now), next to what the credential claims. Skills are labelled from the
packaged ESCO index in the reader's language, grouped as skill / knowledge / transversal, with
their Competent codes; occupations come from the mapper. Nothing from an unproven credential is
shown: when the signature check fails, only the checks are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from skills_vc.core.checks import Report
from skills_vc.core.dids import did_for
from skills_vc.core.enterprise import format_enterprise_number
from skills_vc.core.formats.vcjwt import issuer_id
from skills_vc.core.skills.index import SKILL_PREFIX, check_lang
from skills_vc.services import associations
from skills_vc.services.context import ServiceContext
from skills_vc.services.mapping import ATTRIBUTION, get_bundle, suggest_occupations
from skills_vc.store import associations as association_repo

__all__ = ["CheckView", "Registered", "SkillView", "VerificationView", "grouped_skills", "present"]

_HOURS = re.compile(r"^(\d{1,6}) hours$")
_COMPETENT_RELATIONS = ("exactMatch", "closeMatch")
_OCCUPATIONS = 5


@dataclass(frozen=True)
class CheckView:
    name: str
    status: str
    code: str
    message: str


@dataclass(frozen=True)
class SkillView:
    uri: str
    label: str
    known: bool
    label_lang: str | None = None  # differs from the reader's language when ESCO has no label in it
    competent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registered:
    """The issuing association as the registry knows it now."""

    legal_name: str
    enterprise_number: str
    accreditation: str
    did: str


@dataclass
class VerificationView:
    verdict: str
    lang: str
    checks: list[CheckView]
    credential_id: str | None = None
    issuer_did: str | None = None
    issuer_claimed_name: str | None = None
    registered: Registered | None = None
    volunteer: str | None = None
    role: str | None = None
    activity: str | None = None
    description: str | None = None
    start: date | None = None
    end: date | None = None
    hours: int | None = None
    skills: dict[str, list[SkillView]] = field(default_factory=dict)
    occupations: list[dict[str, Any]] = field(default_factory=list)
    attribution: str = ATTRIBUTION
    # True once the proof held: the page then shows what the credential says (an SD-JWT VC may
    # leave the volunteer's name or the activity undisclosed, and the page says so).
    shown: bool = False

    def export(self, report: Report) -> dict[str, Any]:
        """The JSON a counsellor files: the full report and what the page showed with it."""
        registered = self.registered
        return {
            **report.as_dict(),
            "lang": self.lang,
            "registry": None
            if registered is None
            else {
                "legalName": registered.legal_name,
                "enterpriseNumber": registered.enterprise_number,
                "accreditation": registered.accreditation,
                "did": registered.did,
            },
            "skills": {
                group: [{"uri": s.uri, "label": s.label, "competent": list(s.competent)} for s in skills]
                for group, skills in self.skills.items()
            },
            "occupations": [{"uri": o["uri"], "label": o["label"]} for o in self.occupations],
            "attribution": self.attribution,
        }


def _registered(ctx: ServiceContext, did: str) -> Registered | None:
    prefix = did_for(ctx.settings.public_host, "")
    if not did.startswith(prefix) or len(did) == len(prefix):
        return None
    association = association_repo.by_slug(ctx.session, did[len(prefix) :])
    if association is None:
        return None
    return Registered(
        legal_name=association.legal_name,
        enterprise_number=format_enterprise_number(association.enterprise_number),
        accreditation=associations.accreditation_status(association),
        did=associations.did_of(ctx, association),
    )


def grouped_skills(uris: list[str], lang: str) -> dict[str, list[SkillView]]:
    """The skills labelled in ``lang``, grouped as skills, knowledge and transversal skills."""
    index = get_bundle().index
    lang_ = check_lang(lang)
    groups: dict[str, list[SkillView]] = {"skill": [], "knowledge": [], "transversal": []}
    for uri in dict.fromkeys(uris):
        if not index.has(uri):
            groups["skill"].append(SkillView(uri=uri, label=uri, known=False))
            continue
        i = index.position(uri)
        group = (
            "transversal" if index.is_transversal(i) else "knowledge" if index.is_knowledge(i) else "skill"
        )
        codes = tuple(c.code for c in index.competent(i) if c.relation in _COMPETENT_RELATIONS)
        label = index.label(i, lang_)
        groups[group].append(
            SkillView(uri=index.uri(i), label=label.text, known=True, label_lang=label.lang, competent=codes)
        )
    return groups


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _hours(credential: dict[str, Any]) -> int | None:
    evidence = credential.get("evidence")
    if isinstance(evidence, list) and evidence and isinstance(evidence[0], dict):
        match = _HOURS.match(str(evidence[0].get("description", "")))
        return int(match.group(1)) if match else None
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _present_sd_jwt(ctx: ServiceContext, view: VerificationView, claims: dict[str, Any]) -> None:
    """What an SD-JWT VC disclosed; a claim the holder kept back stays empty on the page."""
    person, activity, association = (
        _object(claims.get(name)) for name in ("volunteer", "activity", "association")
    )
    view.credential_id = _text(claims.get("jti"))
    view.issuer_did = _text(association.get("did")) or _text(claims.get("iss"))
    view.issuer_claimed_name = _text(association.get("name"))
    view.registered = _registered(ctx, view.issuer_did) if view.issuer_did else None
    view.volunteer = _text(person.get("name"))
    view.role = _text(activity.get("role"))
    view.activity = _text(activity.get("title"))
    view.description = _text(activity.get("description"))
    view.start, view.end = _day(activity.get("start_date")), _day(activity.get("end_date"))
    hours = activity.get("hours")
    view.hours = hours if isinstance(hours, int) and not isinstance(hours, bool) else None
    skills = claims.get("skills")
    uris = [
        str(s["uri"])
        for s in (skills if isinstance(skills, list) else [])
        if isinstance(s, dict) and "uri" in s
    ]
    view.skills = grouped_skills(uris, view.lang)


def present(ctx: ServiceContext, report: Report, lang: str) -> VerificationView:
    """The view of ``report`` in ``lang`` (fr, nl or en)."""
    lang = check_lang(lang)
    view = VerificationView(
        verdict=report.verdict,
        lang=lang,
        checks=[CheckView(c.name, c.status, c.code, c.message[lang]) for c in report.checks],
    )
    credential = report.credential
    signature = report.check("signature")
    if credential is None or signature is None or signature.status != "passed":
        return view
    view.shown = True
    if report.format == "dc+sd-jwt":
        _present_sd_jwt(ctx, view, credential)
    else:
        _present_ob3(ctx, view, credential)
    known = [s.uri for group in view.skills.values() for s in group if s.known]
    if known:
        view.occupations = suggest_occupations(known, lang, limit=_OCCUPATIONS)["occupations"]
    return view


def _present_ob3(ctx: ServiceContext, view: VerificationView, credential: dict[str, Any]) -> None:
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    issuer = credential.get("issuer")
    view.credential_id = _text(credential.get("id"))
    view.issuer_did = issuer_id(credential)
    view.issuer_claimed_name = _text(issuer.get("name")) if isinstance(issuer, dict) else None
    view.registered = _registered(ctx, view.issuer_did) if view.issuer_did else None
    view.volunteer = _text(subject.get("name"))
    view.role = _text(subject.get("role"))
    view.activity = _text(achievement.get("name"))
    description = _text(achievement.get("description"))
    view.description = description if description != view.activity else None
    view.start, view.end = _day(subject.get("activityStartDate")), _day(subject.get("activityEndDate"))
    view.hours = _hours(credential)
    alignments = achievement.get("alignment")
    uris = [
        str(a.get("targetUrl") or SKILL_PREFIX + str(a.get("targetCode")))
        for a in (alignments if isinstance(alignments, list) else [])
        if isinstance(a, dict)
    ]
    view.skills = grouped_skills(uris, view.lang)
