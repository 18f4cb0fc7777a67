"""Load the demo association profiles (``issuers/*.json``): register, accredit, record, issue.

Running it again is safe: an association that exists is left as it is and gets a fresh API key
(only hashes of keys are stored, so the old one cannot be shown again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from skills_vc.services import associations, issuance, records
from skills_vc.services.context import ServiceContext
from skills_vc.store import associations as association_repo

__all__ = ["DemoAssociation", "load_profiles"]


@dataclass(frozen=True)
class DemoAssociation:
    slug: str
    did: str
    api_key: str
    credentials: tuple[str, ...]


def _activity(volunteer_id: str, data: dict[str, Any]) -> records.NewActivity:
    fields = dict(data)
    fields["skills"] = [records.SkillRef(**s) for s in fields["skills"]]
    fields["start_date"] = date.fromisoformat(fields["start_date"])
    fields["end_date"] = date.fromisoformat(fields["end_date"])
    return records.NewActivity(volunteer_id=volunteer_id, **fields)


def load_profiles(ctx: ServiceContext, folder: Path) -> list[DemoAssociation]:
    loaded: list[DemoAssociation] = []
    for path in sorted(folder.glob("*.json")):
        profile = json.loads(path.read_text("utf-8"))
        slug = profile["association"]["slug"]
        existing = association_repo.by_slug(ctx.session, slug)
        issued: list[str] = []
        if existing is None:
            association, api_key = associations.register(
                ctx, associations.NewAssociation(**profile["association"])
            )
            associations.change_accreditation(ctx, slug, "accredited", "demo data", "demo")
            for entry in profile.get("volunteers", []):
                volunteer = records.record_volunteer(
                    ctx, association, records.NewVolunteer(**entry["volunteer"])
                )
                activity = records.record_activity(
                    ctx, association, _activity(volunteer.id, entry["activity"])
                )
                issued.append(issuance.issue_activity(ctx, association, activity.id).id)
        else:
            association = existing
            api_key = associations.issue_api_key(ctx, association)
        loaded.append(DemoAssociation(slug, associations.did_of(ctx, association), api_key, tuple(issued)))
    return loaded
