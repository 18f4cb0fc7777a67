"""The report of a presentation's verification: its own checks, the holder binding, and the report
of each credential it carries (the same report ``/credentials/verify`` gives).

The presentation's checks run in a fixed order: ``presentation_signature`` (the holder's proof),
``challenge``, ``domain``, ``credentials``; then ``holder_binding``. A presentation is verified only
when its proof holds, no check failed, and every credential it carries is verified.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from skills_vc.core.checks import Check, Report

__all__ = ["PRESENTATION_CHECKS", "PresentationReport", "skip_after_proof"]

PRESENTATION_CHECKS = ("presentation_signature", "challenge", "domain", "credentials")


def skip_after_proof(names: Iterable[str]) -> list[Check]:
    """The checks not made because the holder's proof is missing or does not hold."""
    return [Check(name, "skipped", "skipped_after_presentation_proof") for name in names]


def _problem(check: Check, **where: Any) -> dict[str, Any]:
    return {
        "type": f"urn:skills-vc:problem:{check.code}",
        "code": check.code,
        "title": check.message["en"],
        "check": check.name,
        **where,
    }


@dataclass
class PresentationReport:
    """The outcome of verifying one presentation."""

    format: str | None
    holder: str | None
    checks: list[Check]
    holder_binding: Check
    credentials: list[Report] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        proof = self.check("presentation_signature")
        return (
            proof is not None
            and proof.status == "passed"
            and all(c.status in ("passed", "not_checked") for c in (*self.checks, self.holder_binding))
            and all(report.verified for report in self.credentials)
        )

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def problems(self) -> list[dict[str, Any]]:
        """Every failed check: the presentation's, the holder binding's, then each credential's
        (with ``credential``, its index in ``credentials``)."""
        found = [_problem(c) for c in (*self.checks, self.holder_binding) if c.status == "failed"]
        for index, report in enumerate(self.credentials):
            found += [_problem(c, credential=index) for c in report.checks if c.status == "failed"]
        return found

    def error(self) -> tuple[str, str]:
        """The first failed check's code and English message (``not_verified`` if none failed)."""
        first = next((c for c in (*self.checks, self.holder_binding) if c.status == "failed"), None)
        if first is None:
            return "not_verified", "the presentation is not verified"
        return first.code, first.message["en"]

    def as_dict(self) -> dict[str, Any]:
        binding = {**self.holder_binding.as_dict(), "holder": self.holder_binding.params.get("holder")}
        return {
            "verified": self.verified,
            "presentation": {
                "format": self.format,
                "holder": self.holder,
                "checks": [c.as_dict() for c in self.checks],
            },
            "holder_binding": binding,
            "credentials": [report.as_dict() for report in self.credentials],
            "problemDetails": self.problems(),
        }
