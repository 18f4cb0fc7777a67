"""Belgian enterprise numbers (BCE/KBO): parsing, the mod-97 check and the display form."""

from __future__ import annotations

import re

from skills_vc.errors import ValidationFailed

__all__ = ["format_enterprise_number", "normalize_enterprise_number"]

_SEPARATORS = re.compile(r"[\s.\-]")


def normalize_enterprise_number(value: str) -> str:
    """Return the 10 digits of a BCE/KBO number, or raise ``invalid_enterprise_number``.

    Accepts ``0123.456.789``, ``0123456789``, ``BE0123456789`` and ``BE 0123.456.789``. The
    last two digits must equal ``97 - (first eight digits mod 97)``; the first digit is 0 or 1.
    A nine-digit legacy number gets its leading 0 back.
    """
    raw = _SEPARATORS.sub("", value.strip().upper())
    if raw.startswith("BE"):
        raw = raw[2:]
    if len(raw) == 9 and raw.isdigit():
        raw = "0" + raw
    if len(raw) != 10 or not raw.isdigit():
        raise ValidationFailed(
            f"{value!r} is not a Belgian enterprise number: expected 10 digits such as 0123.456.749",
            code="invalid_enterprise_number",
        )
    if raw[0] not in "01":
        raise ValidationFailed(
            f"{value!r} is not a Belgian enterprise number: it must start with 0 or 1",
            code="invalid_enterprise_number",
        )
    if 97 - int(raw[:8]) % 97 != int(raw[8:]):
        raise ValidationFailed(
            f"{value!r} fails the mod-97 check of Belgian enterprise numbers",
            code="invalid_enterprise_number",
        )
    return raw


def format_enterprise_number(digits: str) -> str:
    """``0123456749`` -> ``0123.456.749`` (the form used by the Crossroads Bank for Enterprises)."""
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
