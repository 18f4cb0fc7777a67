"""What a claim path means to a volunteer: a label in their language, and the value it would show.

The labels are English catalogue keys (marked with ``_`` so the catalogue test finds them); the
pages translate them. A path the wallet does not know is shown as itself (``activity › tasks``),
so a verifier asking for something unexpected is still visible, never hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from babel.dates import format_date

from wallet_demo.dcql import PathPart

__all__ = ["claim_label", "claim_preview"]


def _(text: str) -> str:
    """Marks a catalogue key; the page translates it."""
    return text


_LABELS: dict[tuple[str, ...], str] = {
    ("skills",): _("Skills"),
    ("activity",): _("The whole activity"),
    ("activity", "title"): _("Activity title"),
    ("activity", "description"): _("Description of the activity"),
    ("activity", "role"): _("Role"),
    ("activity", "start_date"): _("Start date"),
    ("activity", "end_date"): _("End date"),
    ("activity", "hours"): _("Hours"),
    ("activity", "tasks"): _("Tasks"),
    ("activity", "location"): _("Place"),
    ("activity", "language"): _("Language of the activity"),
    ("volunteer",): _("Your name and email address"),
    ("volunteer", "name"): _("Your name"),
    ("volunteer", "email"): _("Your email address"),
    ("association",): _("The association"),
    ("association", "name"): _("Association name"),
    ("association", "enterprise_number"): _("Enterprise number"),
    ("association", "did"): _("The association's identifier"),
    ("iss",): _("Issuer"),
    ("vct",): _("Type of credential"),
    ("iat",): _("Date of issue"),
    ("exp",): _("Valid until"),
    ("status",): _("Status"),
}
_LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_GB"}
_MAX_PREVIEW = 300


def claim_label(path: tuple[PathPart, ...] | list[PathPart], gettext: Callable[..., str]) -> str:
    """The label of ``path`` in the reader's language (``gettext`` is the page's ``_``)."""
    names = tuple(p for p in path if p is not None)
    if names and names[0] == "skills":
        return gettext(_LABELS[("skills",)])
    key = tuple(str(p) for p in names)
    if key in _LABELS and all(isinstance(p, str) for p in names):
        return gettext(_LABELS[key])
    return " › ".join("*" if p is None else str(p) for p in path)


def _localized(value: dict[str, Any], lang: str) -> str | None:
    for key in (lang, "fr", "nl", "en", *value):
        found = value.get(key)
        if isinstance(found, str) and found.strip():
            return found.strip()
    return None


def _one(value: Any, lang: str) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), format="long", locale=_LOCALES.get(lang, "fr_BE"))
        except ValueError:
            return value
    if isinstance(value, dict):
        label = value.get("label")
        if isinstance(label, dict):
            return _localized(label, lang)
        if isinstance(label, str):
            return label
        return _localized(value, lang) if all(isinstance(k, str) and len(k) == 2 for k in value) else None
    return None


def claim_preview(values: list[Any], lang: str) -> str | None:
    """What the verifier would read at a path, short, in the reader's language (None if not simple)."""
    items: list[Any] = []
    for value in values:
        items.extend(value if isinstance(value, list) else [value])
    texts = [t for t in (_one(v, lang) for v in items) if t]
    if not texts:
        return None
    text = ", ".join(texts)
    return text if len(text) <= _MAX_PREVIEW else text[: _MAX_PREVIEW - 1] + "…"
