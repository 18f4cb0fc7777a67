"""Set-ups shared by the store tests."""

from __future__ import annotations

from datetime import date

from skills_vc.services import associations, records
from skills_vc.services.context import ServiceContext
from tests.conftest import SEW_PROTECTIVE


def association_with_activity(ctx: ServiceContext, slug: str, legal_name: str) -> str:
    """Register and accredit the association ``slug`` (enterprise number 0412.345.020) and record
    one activity of one volunteer for it; returns the activity's id."""
    association, _ = associations.register(
        ctx, associations.NewAssociation(legal_name=legal_name, enterprise_number="0412345020", slug=slug)
    )
    associations.change_accreditation(ctx, slug, "accredited", None, "test")
    volunteer = records.record_volunteer(ctx, association, records.NewVolunteer(name="V"))
    activity = records.record_activity(
        ctx,
        association,
        records.NewActivity(
            volunteer_id=volunteer.id,
            title="t",
            description="d",
            role="r",
            start_date=date(2020, 3, 1),
            end_date=date(2020, 4, 1),
            hours=10,
            language="fr",
            coordinator_name="c",
            coordinator_role="c",
            skills=[records.SkillRef(SEW_PROTECTIVE["uri"])],
        ),
    )
    return activity.id
