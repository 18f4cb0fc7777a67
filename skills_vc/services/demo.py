"""Load the demo association profiles (``issuers/*.json``): register, accredit, record, issue.

Running it again is safe: an association that exists is left as it is and gets a fresh API key
(only hashes of keys are stored, so the old one cannot be shown again).

Every accredited demo association also gets one staff account for the association portal,
``coordinator@<slug>.example``, with the published password ``demo-<slug>-2020``: demo data only,
never to be loaded into a real deployment. An account that exists is left as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from skills_vc.services import associations, issuance, records, staff
from skills_vc.services.context import ServiceContext
from skills_vc.store import associations as association_repo
from skills_vc.store import staff as staff_repo
from skills_vc.store.tables import Association

__all__ = ["DemoAssociation", "DemoStaff", "demo_staff_login", "load_profiles"]


@dataclass(frozen=True)
class DemoStaff:
    """A demo portal account and its published demo password."""

    email: str
    password: str


@dataclass(frozen=True)
class DemoAssociation:
    slug: str
    did: str
    api_key: str
    credentials: tuple[str, ...]
    staff: DemoStaff | None = None


def demo_staff_login(slug: str) -> DemoStaff:
    """The demo portal account of the association ``slug`` (a published, demo-only password)."""
    return DemoStaff(email=f"coordinator@{slug}.example", password=f"demo-{slug}-2020")


def _ensure_demo_staff(ctx: ServiceContext, association: Association) -> DemoStaff | None:
    """The association's demo account, created if missing; none for an association not accredited."""
    if associations.accreditation_status(association) != "accredited":
        return None
    login = demo_staff_login(association.slug)
    if staff_repo.by_email(ctx.session, login.email) is None:
        staff.create_account(ctx, association.slug, login.email, "Demo coordinator", login.password)
    return login


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
        login = _ensure_demo_staff(ctx, association)
        did = associations.did_of(ctx, association)
        loaded.append(DemoAssociation(slug, did, api_key, tuple(issued), login))
    return loaded
