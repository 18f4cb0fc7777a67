"""ESCO skills index, activity catalogue and competency mapper (pure: data comes in as bytes)."""

from skills_vc.core.skills.catalogue import ActivityTemplate, Catalogue
from skills_vc.core.skills.index import ATTRIBUTION, FALLBACK, EscoIndex, Label, SkillView
from skills_vc.core.skills.mapper import Mapper, MapperConfig, MappingResult, Suggestion

__all__ = [
    "ATTRIBUTION",
    "FALLBACK",
    "ActivityTemplate",
    "Catalogue",
    "EscoIndex",
    "Label",
    "Mapper",
    "MapperConfig",
    "MappingResult",
    "SkillView",
    "Suggestion",
]
