"""The packaged ESCO 1.1.1 index: skills, hierarchy, occupations, Competent codes.

The index is read from bytes handed in by the caller (``EscoIndex.from_files``) so this module
stays free of I/O policy; ``skills_vc.core.skills.resources`` knows where the packaged files are.
Labels are looked up by URI or uuid in the reader's language with a stated fallback order:
a label shown in another language than the one asked says which language it is in.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any, Final

from skills_vc.core.skills.text import LANGUAGES, Lang
from skills_vc.errors import NotFoundError, ValidationFailed

__all__ = [
    "ATTRIBUTION",
    "FALLBACK",
    "SKILL_PREFIX",
    "CompetentCode",
    "EscoIndex",
    "Label",
    "SkillView",
    "check_lang",
]

SKILL_PREFIX: Final = "http://data.europa.eu/esco/skill/"
OCCUPATION_PREFIX: Final = "http://data.europa.eu/esco/occupation/"
ATTRIBUTION: Final = (
    "This service uses the ESCO classification of the European Commission. "
    "ESCO 1.1.1; French labels from the ESCO API (v1.2), Dutch labels from ESCO 1.0.3; "
    "Competent (VDAB) French and Dutch labels were added as synonyms."
)
# The order in which languages are tried when a label is missing in the reader's language.
# Dutch falls back to French before English: Belgian readers of Dutch usually read French.
FALLBACK: Final[dict[Lang, tuple[Lang, ...]]] = {
    "en": ("en", "fr", "nl"),
    "fr": ("fr", "en", "nl"),
    "nl": ("nl", "fr", "en"),
}
_FLAG_TRANSVERSAL, _FLAG_DIGCOMP, _FLAG_DIGITAL = 1, 2, 4


def check_lang(lang: str) -> Lang:
    """Return ``lang`` as a supported language or raise ``unsupported_language``."""
    value = lang.strip().lower()
    for supported in LANGUAGES:
        if value == supported:
            return supported
    raise ValidationFailed(
        f"language {lang!r} is not supported; use one of fr, nl, en",
        code="unsupported_language",
    )


@dataclass(frozen=True, slots=True)
class Label:
    """A label and the language it is actually in (differs from the asked one on fallback)."""

    text: str
    lang: Lang


@dataclass(frozen=True, slots=True)
class CompetentCode:
    """A Competent 3.8 item linked to an ESCO skill by the crosswalk."""

    code: str
    label_fr: str
    label_nl: str
    relation: str


@dataclass(frozen=True, slots=True)
class SkillView:
    """Everything the API shows about one skill, in one reader language."""

    uri: str
    uuid: str
    label: Label
    alt_labels: tuple[str, ...]
    description: str | None
    skill_type: str
    reuse_level: str
    transversal: bool
    collections: tuple[str, ...]
    broader: tuple[tuple[str, Label], ...]
    competent: tuple[CompetentCode, ...]


class EscoIndex:
    """Read-only access to the packaged ESCO data, by integer position, uri or uuid."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.version: str = doc["esco_version"]
        self._s: dict[str, Any] = doc["skills"]
        self.groups: dict[str, dict[str, Any]] = doc["groups"]
        self.occupations: dict[str, Any] = doc["occupations"]
        self.lexical_vocab: dict[str, list[str]] = doc.get("lexical_vocab", {})
        self.uuids: list[str] = self._s["uuid"]
        self._pos = {u: i for i, u in enumerate(self.uuids)}

    @classmethod
    def from_bytes(cls, gz_json: bytes) -> EscoIndex:
        """Parse the gzip-compressed JSON document written by ``scripts/build_esco_index.py``."""
        return cls(json.loads(gzip.decompress(gz_json)))

    def __len__(self) -> int:
        return len(self.uuids)

    def position(self, uri_or_uuid: str) -> int:
        """Integer position of a skill, given its full ESCO URI or its uuid."""
        key = uri_or_uuid.strip().removeprefix(SKILL_PREFIX)
        try:
            return self._pos[key]
        except KeyError:
            raise NotFoundError(f"unknown ESCO skill {uri_or_uuid!r}", code="unknown_skill") from None

    def has(self, uri_or_uuid: str) -> bool:
        """Whether the skill exists in ESCO 1.1.1."""
        return uri_or_uuid.strip().removeprefix(SKILL_PREFIX) in self._pos

    def uri(self, i: int) -> str:
        """Full ESCO URI of the skill at position ``i``."""
        return SKILL_PREFIX + self.uuids[i]

    def label(self, i: int, lang: Lang, order: tuple[Lang, ...] | None = None) -> Label:
        """Preferred label in ``lang``, else in the next language of the fallback order."""
        for candidate in order or FALLBACK[lang]:
            text = self._s[candidate][i]
            if text:
                return Label(text, candidate)
        return Label(self._s["en"][i], "en")

    def labels_in(self, lang: Lang) -> list[str]:
        """All preferred labels in one language ('' where there is none)."""
        return list(self._s[lang])

    def is_knowledge(self, i: int) -> bool:
        """True for knowledge, False for skill/competence."""
        return int(self._s["type"][i]) == 0

    def skill_type(self, i: int) -> str:
        """``knowledge`` or ``skill/competence``, as ESCO writes it."""
        return "knowledge" if self.is_knowledge(i) else "skill/competence"

    def reuse_level(self, i: int) -> str:
        """transversal, cross-sector, sector-specific or occupation-specific."""
        return str(self._s["reuse"][i])

    def is_transversal(self, i: int) -> bool:
        """Member of the ESCO transversal skills collection."""
        return bool(self._s["flags"][i] & _FLAG_TRANSVERSAL)

    def collections(self, i: int) -> tuple[str, ...]:
        """Names of the ESCO collections the skill belongs to."""
        flags = int(self._s["flags"][i])
        names = (
            (_FLAG_TRANSVERSAL, "transversal"),
            (_FLAG_DIGCOMP, "digcomp"),
            (_FLAG_DIGITAL, "digital"),
        )
        return tuple(name for bit, name in names if flags & bit)

    def competent(self, i: int) -> tuple[CompetentCode, ...]:
        """Competent codes linked to the skill by the crosswalk (all relation types)."""
        return tuple(CompetentCode(*row) for row in self._s["competent"][i])

    def synonyms(self, i: int, lang: Lang) -> list[str]:
        """Alternative labels and indexed Competent synonyms in one language."""
        if lang == "en":
            return list(self._s["en_alt"][i])
        if lang == "fr":
            return list(self._s["fr_alt"][i]) + list(self._s["syn_fr"][i])
        return list(self._s["syn_nl"][i])

    def labelled_synonyms(self, i: int, lang: Lang) -> list[tuple[str, str]]:
        """Synonyms with their kind: ``alternative label`` or ``Competent synonym``."""
        out = [(s, "alternative label") for s in self._s[f"{lang}_alt"][i]] if lang != "nl" else []
        if lang != "en":
            out.extend((s, "Competent synonym") for s in self._s[f"syn_{lang}"][i])
        return out

    def label_text(self, i: int, lang: Lang, kind: int, ordinal: int) -> str:
        """Text of one indexed label: kind 0 preferred, 1 alternative, 2 Competent synonym."""
        if kind == 0:
            return str(self._s[lang][i])
        key = f"{lang}_alt" if kind == 1 else f"syn_{lang}"
        return str(self._s[key][i][ordinal])

    def group_label(self, uri: str, lang: Lang) -> Label:
        """Label of a skills-hierarchy group (or of a broader skill) with fallback."""
        group = self.groups.get(uri)
        if group is not None:
            for candidate in FALLBACK[lang]:
                if group.get(candidate):
                    return Label(group[candidate], candidate)
        if uri.startswith(SKILL_PREFIX) and self.has(uri):
            return self.label(self.position(uri), lang)
        return Label(uri, "en")

    def view(self, i: int, lang: Lang) -> SkillView:
        """Everything shown about one skill in the reader's language."""
        desc = self._s["en_desc"][i] or None
        return SkillView(
            uri=self.uri(i),
            uuid=self.uuids[i],
            label=self.label(i, lang),
            alt_labels=tuple(self.synonyms(i, lang)),
            description=desc,
            skill_type=self.skill_type(i),
            reuse_level=self.reuse_level(i),
            transversal=self.is_transversal(i),
            collections=self.collections(i),
            broader=tuple((u, self.group_label(u, lang)) for u in self._s["broader"][i]),
            competent=self.competent(i),
        )
