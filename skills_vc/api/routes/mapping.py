"""HTTP routes of the competency mapper: suggest skills, show a skill, suggest occupations.

Each handler parses, calls one service function and returns its result; errors are
``SkillsVCError`` subclasses rendered by the application's single exception handler.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from skills_vc.services import mapping

__all__ = ["router"]

router = APIRouter(tags=["mapping"])

LangCode = Literal["fr", "nl", "en"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SuggestRequest(_Model):
    """An activity description to map to ESCO skills."""

    text: str = Field(default="", max_length=20_000, description="free text, 5,000 chars at most")
    lang: str | None = Field(default=None, description="fr, nl or en; detected when absent")
    template_id: str | None = Field(default=None, description="an activity catalogue id")
    tasks: list[str] | None = Field(default=None, description="optional task list")
    limit: int = Field(default=10, description="1 to 50 suggestions")


class CompetentRef(_Model):
    code: str
    relation: str


class ExplanationOut(_Model):
    matched_words: list[str]
    matched_label: str | None
    matched_label_kind: str | None
    templates: list[str]
    dense_similarity: float | None


class Signals(_Model):
    lexical: float
    dense: float
    template: float


class SuggestionOut(_Model):
    rank: int
    uri: str
    uuid: str
    label: str
    label_lang: LangCode
    skill_type: str
    knowledge: bool
    transversal: bool
    reuse_level: str
    competent: list[CompetentRef]
    score: float
    signals: Signals
    explanation: ExplanationOut


class TemplateMatch(_Model):
    id: str
    confidence: float


class SuggestResponse(_Model):
    lang: LangCode
    lang_detected: bool
    label_fallback: list[LangCode]
    templates: list[TemplateMatch]
    encoder: str | None
    esco_version: str
    suggestions: list[SuggestionOut]
    attribution: str


class BroaderOut(_Model):
    uri: str
    label: str
    label_lang: LangCode


class CompetentOut(_Model):
    code: str
    label_fr: str
    label_nl: str
    relation: str


class SkillResponse(_Model):
    uri: str
    uuid: str
    label: str
    label_lang: LangCode
    label_fallback: list[LangCode]
    alt_labels: list[str]
    description: str | None
    description_lang: LangCode | None
    skill_type: str
    reuse_level: str
    transversal: bool
    collections: list[str]
    broader: list[BroaderOut]
    competent: list[CompetentOut]
    esco_version: str
    attribution: str


class OccupationsRequest(_Model):
    """Confirmed skills (ESCO URIs or uuids) to suggest occupations for."""

    skills: list[str] = Field(description="ESCO skill URIs or uuids")
    lang: str = "en"
    limit: int = Field(default=10, ge=1, le=50)


class OccupationOut(_Model):
    uri: str
    label: str
    label_lang: LangCode
    coverage: float
    score: float
    essential_total: int
    essential_matched: list[str]
    optional_matched: int


class OccupationsResponse(_Model):
    lang: LangCode
    occupations: list[OccupationOut]
    esco_version: str
    attribution: str


@router.post("/mapping/suggest", response_model=SuggestResponse)
def suggest_skills(body: SuggestRequest) -> SuggestResponse:
    """Ranked ESCO skills for a volunteer activity, with explanations."""
    result = mapping.suggest(
        body.text, lang=body.lang, template_id=body.template_id, tasks=body.tasks, limit=body.limit
    )
    return SuggestResponse.model_validate(result)


@router.get("/skills/{uuid}", response_model=SkillResponse)
def get_skill(uuid: str, lang: Annotated[str, Query()] = "en") -> SkillResponse:
    """One ESCO skill in the reader's language (fr, nl or en) with its stated fallback."""
    return SkillResponse.model_validate(mapping.get_skill(uuid, lang))


@router.post("/mapping/occupations", response_model=OccupationsResponse)
def suggest_occupations(body: OccupationsRequest) -> OccupationsResponse:
    """ESCO occupations whose essential skills the confirmed skills cover best."""
    result = mapping.suggest_occupations(body.skills, body.lang, limit=body.limit)
    return OccupationsResponse.model_validate(result)
