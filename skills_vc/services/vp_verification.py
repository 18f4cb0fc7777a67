"""Verify a verifiable presentation (VC API ``POST /presentations/verify``).

The holder's proof, the challenge and the domain are checked by ``core.vp``; each credential the
presentation carries is verified exactly as ``/credentials/verify`` verifies it (keys from the
registry, accreditation, status lists read or fetched), so its report is the same.
"""

from __future__ import annotations

from typing import Any

from skills_vc.core.checks import Report
from skills_vc.core.vp import PresentationOptions, PresentationReport, verify_presentation
from skills_vc.services import verification
from skills_vc.services.context import ServiceContext
from skills_vc.services.verification import RemoteStatusLists

__all__ = ["PresentationOptions", "verify"]


def verify(
    ctx: ServiceContext, presented: Any, options: PresentationOptions, remote: RemoteStatusLists
) -> PresentationReport:
    """Run every check on ``presented`` and on each credential in it, at the context's time."""

    def verify_credential(credential: Any) -> Report:
        return verification.verify(ctx, credential, remote)

    return verify_presentation(presented, options, verify_credential, now=ctx.now())
