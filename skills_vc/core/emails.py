"""The one check of an email address the platform makes: something, ``@``, a domain of dotted
non-empty labels, no spaces, at most 320 characters. It catches typing mistakes; whether the
address exists is not knowable here."""

from __future__ import annotations

import re

__all__ = ["MAX_EMAIL_LENGTH", "is_email"]

MAX_EMAIL_LENGTH = 320
_EMAIL = re.compile(r"[^@\s]+@([^@\s]+)")


def is_email(text: str) -> bool:
    """Whether ``text`` has the form of an email address."""
    match = _EMAIL.fullmatch(text)
    labels = match.group(1).split(".") if match else []
    return len(text) <= MAX_EMAIL_LENGTH and len(labels) >= 2 and all(labels)
