"""Suggested ESCO occupations from a set of confirmed skills.

An occupation is ranked by how much of its *essential* skills the confirmed set covers. Raw
coverage favours occupations with only one or two essential skills, so the ranking uses a
smoothed coverage ``matched / (essential + 2)``; the plain coverage is reported alongside.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from skills_vc.core.skills.index import FALLBACK, OCCUPATION_PREFIX, EscoIndex, Label
from skills_vc.core.skills.text import Lang
from skills_vc.errors import NotFoundError, ValidationFailed

__all__ = ["OccupationMatch", "OccupationSuggester"]

_SMOOTHING = 2.0
MAX_CONFIRMED = 200


@dataclass(frozen=True, slots=True)
class OccupationMatch:
    """One suggested occupation."""

    uri: str
    label: Label
    coverage: float
    essential_matched: tuple[int, ...]
    essential_total: int
    optional_matched: int
    score: float


class OccupationSuggester:
    """Inverted index skill -> occupations, built once from the packaged relations."""

    def __init__(self, index: EscoIndex) -> None:
        self.index = index
        occ = index.occupations
        self._uuids: list[str] = occ["uuid"]
        self._labels = {lang: occ[lang] for lang in ("en", "fr", "nl")}
        self._essential: list[list[int]] = occ["essential"]
        self._optional: list[set[int]] = [set(o) for o in occ["optional"]]
        self._by_skill: dict[int, list[int]] = defaultdict(list)
        for o, skills in enumerate(self._essential):
            for s in skills:
                self._by_skill[s].append(o)

    def label(self, o: int, lang: Lang) -> Label:
        """Occupation label with the same fallback order as skills."""
        for candidate in FALLBACK[lang]:
            text = self._labels[candidate][o]
            if text:
                return Label(text, candidate)
        return Label(self._labels["en"][o], "en")

    def suggest(self, skill_uris: list[str], lang: Lang, limit: int = 10) -> list[OccupationMatch]:
        """Occupations ranked by smoothed coverage of their essential skills.

        Raises ``ValidationFailed(code="no_skills")`` for an empty list and
        ``NotFoundError(code="unknown_skill")`` naming every URI that is not in ESCO 1.1.1.
        """
        if not skill_uris:
            raise ValidationFailed("give at least one confirmed skill", code="no_skills")
        if len(skill_uris) > MAX_CONFIRMED:
            raise ValidationFailed(f"at most {MAX_CONFIRMED} skills", code="too_many_skills")
        unknown = [u for u in skill_uris if not self.index.has(u)]
        if unknown:
            raise NotFoundError(
                "unknown ESCO skills: " + ", ".join(unknown[:10]),
                code="unknown_skill",
                extra={"unknown": unknown},
            )
        confirmed = {self.index.position(u) for u in skill_uris}
        hits: dict[int, list[int]] = defaultdict(list)
        for s in confirmed:
            for o in self._by_skill.get(s, []):
                hits[o].append(s)
        ranked = sorted(
            hits.items(),
            key=lambda kv: (-len(kv[1]) / (len(self._essential[kv[0]]) + _SMOOTHING), kv[0]),
        )[:limit]
        return [
            OccupationMatch(
                uri=OCCUPATION_PREFIX + self._uuids[o],
                label=self.label(o, lang),
                coverage=round(len(matched) / len(self._essential[o]), 3),
                essential_matched=tuple(sorted(matched)),
                essential_total=len(self._essential[o]),
                optional_matched=len(confirmed & self._optional[o]),
                score=round(len(matched) / (len(self._essential[o]) + _SMOOTHING), 3),
            )
            for o, matched in ranked
        ]
