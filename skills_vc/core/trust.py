"""The trust registry's rule: an issuer is trusted for a credential only if the association was
accredited at the moment the credential was issued."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["TRANSITIONS", "AccreditationEvent", "AccreditationStatus", "status_at"]

AccreditationStatus = Literal["pending", "accredited", "suspended", "withdrawn"]

# Which status may follow which. Withdrawal is final; a suspended association may be
# accredited again.
TRANSITIONS: dict[AccreditationStatus, frozenset[AccreditationStatus]] = {
    "pending": frozenset({"accredited", "withdrawn"}),
    "accredited": frozenset({"suspended", "withdrawn"}),
    "suspended": frozenset({"accredited", "withdrawn"}),
    "withdrawn": frozenset(),
}


@dataclass(frozen=True)
class AccreditationEvent:
    status: AccreditationStatus
    at: datetime


def status_at(history: Iterable[AccreditationEvent], moment: datetime) -> AccreditationStatus | None:
    """The accreditation status in force at ``moment``; None if the association did not exist yet."""
    current: AccreditationStatus | None = None
    for event in sorted(history, key=lambda e: e.at):
        if event.at <= moment:
            current = event.status
        else:
            break
    return current
