"""The activity catalogue: volunteer activity templates with curated ESCO skills.

Each template has French, Dutch and English names and descriptions and two lists of ESCO
skill URIs: ``core`` (what the activity is about) and ``transversal`` (what it also shows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from skills_vc.core.skills.text import Lang
from skills_vc.errors import NotFoundError, ValidationFailed

__all__ = ["ActivityTemplate", "Catalogue"]


@dataclass(frozen=True, slots=True)
class ActivityTemplate:
    """One volunteer activity template."""

    id: str
    name: dict[str, str]
    description: dict[str, str]
    core: tuple[str, ...]
    transversal: tuple[str, ...]

    def text(self, lang: Lang) -> str:
        """Name and description in one language, for matching."""
        return f"{self.name[lang]}. {self.description[lang]}"

    @property
    def skills(self) -> tuple[str, ...]:
        """Core then transversal skill URIs."""
        return self.core + self.transversal


class Catalogue:
    """The templates of ``skills_vc/data/catalogue/activities.json``, by id."""

    def __init__(self, templates: list[ActivityTemplate]) -> None:
        self.templates = templates
        self._by_id = {t.id: t for t in templates}

    @classmethod
    def from_json(cls, raw: bytes | str) -> Catalogue:
        """Parse the catalogue file; every template needs fr/nl/en names and descriptions."""
        doc: dict[str, Any] = json.loads(raw)
        templates: list[ActivityTemplate] = []
        for item in doc["activities"]:
            for field in ("name", "description"):
                missing = {"fr", "nl", "en"} - set(item[field])
                if missing:
                    raise ValidationFailed(
                        f"template {item['id']} lacks {field} in {sorted(missing)}",
                        code="invalid_catalogue",
                    )
            templates.append(
                ActivityTemplate(
                    id=item["id"],
                    name=dict(item["name"]),
                    description=dict(item["description"]),
                    core=tuple(s["uri"] for s in item["skills"]["core"]),
                    transversal=tuple(s["uri"] for s in item["skills"]["transversal"]),
                )
            )
        return cls(templates)

    def __len__(self) -> int:
        return len(self.templates)

    def get(self, template_id: str) -> ActivityTemplate:
        """The template with this id, or ``NotFoundError(code="unknown_template")``."""
        try:
            return self._by_id[template_id]
        except KeyError:
            raise NotFoundError(
                f"unknown activity template {template_id!r}", code="unknown_template"
            ) from None
