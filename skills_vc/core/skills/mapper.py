"""The competency mapper: coordinator text -> ranked ESCO skills with explanations.

Three signals are combined, each in [0, 1]:

- lexical: the share of a skill's label (preferred, alternative or Competent synonym) found in
  the stemmed, accent-folded text, in the text's language (plus, for French and Dutch, the
  English labels at a lower weight, which catches shared words such as "distribution");
- dense: cosine similarity between the e5 embedding of the text and the packaged label
  embeddings in EN/FR/NL, rescaled between a reference rank (0) and the best score (1);
- templates: the curated skills of the activity templates the text resembles (or of the
  template the caller names), weighted by how clearly the text matches them.

Retrieval scores are damped for sector- and occupation-specific skills; template skills are not.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from skills_vc.core.skills.catalogue import ActivityTemplate, Catalogue
from skills_vc.core.skills.encoder import DenseIndex, Encoder
from skills_vc.core.skills.explain import Explanation, explain
from skills_vc.core.skills.index import EscoIndex, check_lang
from skills_vc.core.skills.langdetect import detect_language
from skills_vc.core.skills.lexical import LexicalHit, LexicalIndex
from skills_vc.core.skills.text import LANGUAGES, Lang, stem_tokens
from skills_vc.errors import ValidationFailed

__all__ = [
    "MAX_TASKS",
    "MAX_TEXT_CHARS",
    "Explanation",
    "Mapper",
    "MapperConfig",
    "MappingResult",
    "Suggestion",
]

MAX_TEXT_CHARS: Final = 5000
MAX_TASKS: Final = 20
MAX_LIMIT: Final = 50


@dataclass(frozen=True, slots=True)
class MapperConfig:
    """Which signals are used and how much each one weighs."""

    lexical: bool = True
    dense: bool = True
    templates: bool = True
    w_lexical: float = 0.45
    w_dense: float = 0.55
    w_template: float = 1.0
    cross_lingual_lexical: float = 0.3
    dense_reference_rank: int = 200
    template_min_confidence: float = 0.2
    template_margin_full: float = 0.05
    template_overlap_full: float = 4.0
    max_templates: int = 2
    transversal_weight: float = 0.8
    lexical_relative: bool = False
    reuse_prior: bool = True
    # Templates ignored when matching text (evaluation of activities outside the catalogue).
    exclude_templates: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One ranked ESCO skill."""

    position: int
    score: float
    lexical: float
    dense: float
    template: float
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class MappingResult:
    """The ranked suggestions and what the mapper understood of the request."""

    lang: Lang
    detected_lang: bool
    templates: tuple[tuple[str, float], ...]
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)


def _scale(scores: npt.NDArray[np.float32], reference_rank: int) -> npt.NDArray[np.float32]:
    """Rescale so the best score is 1 and the score at ``reference_rank`` is 0."""
    top = float(scores.max())
    if top <= 0:
        return np.zeros_like(scores)
    k = min(reference_rank, scores.size - 1)
    ref = float(np.partition(scores, -k)[-k])
    if top - ref <= 1e-9:
        return np.zeros_like(scores)
    scaled: npt.NDArray[np.float32] = np.clip((scores - ref) / (top - ref), 0.0, 1.0).astype(np.float32)
    return scaled


class Mapper:
    """Suggests ESCO skills for free text; build once, call ``suggest`` many times."""

    def __init__(
        self,
        index: EscoIndex,
        lexical: LexicalIndex,
        catalogue: Catalogue,
        dense: DenseIndex | None = None,
        encoder: Encoder | None = None,
        config: MapperConfig | None = None,
        template_vecs: npt.NDArray[np.float32] | None = None,
    ) -> None:
        self.index = index
        self.lexical = lexical
        self.catalogue = catalogue
        self.dense = dense if encoder is not None else None
        self.encoder = encoder
        self.config = config or MapperConfig()
        self._template_vecs: npt.NDArray[np.float32] | None = template_vecs
        if encoder is not None and template_vecs is None:
            texts = self.template_texts(catalogue)
            self._template_vecs = encoder.embed_query(texts).reshape(
                len(catalogue.templates), len(LANGUAGES), -1
            )
        # Volunteer work rarely shows skills specific to one occupation, so retrieval scores
        # of such skills are damped a little (templates are curated and are not damped).
        prior = {"occupation-specific": 0.8, "sector-specific": 0.9}
        self._prior = np.array(
            [prior.get(index.reuse_level(i), 1.0) for i in range(len(index))], dtype=np.float32
        )
        self._template_stems = [
            {lang: set(stem_tokens(t.text(lang), lang)) for lang in LANGUAGES} for t in catalogue.templates
        ]

    @staticmethod
    def template_texts(catalogue: Catalogue) -> list[str]:
        """Texts embedded for template matching: template-major, then en/fr/nl."""
        return [t.text(lang) for t in catalogue.templates for lang in LANGUAGES]

    def with_config(self, config: MapperConfig) -> Mapper:
        """A mapper sharing this one's data with another configuration (for evaluation)."""
        clone = copy.copy(self)
        clone.config = config
        return clone

    # -- validation -------------------------------------------------------------------------

    def _validate(
        self, text: str, lang: str | None, tasks: list[str] | None, limit: int
    ) -> tuple[str, Lang, bool]:
        if not isinstance(text, str):
            raise ValidationFailed("text must be a string", code="invalid_text")
        tasks = tasks or []
        if len(tasks) > MAX_TASKS:
            raise ValidationFailed(f"at most {MAX_TASKS} tasks", code="too_many_tasks")
        full = "\n".join([text.strip(), *(t.strip() for t in tasks if t.strip())]).strip()
        if len(full) > MAX_TEXT_CHARS:
            raise ValidationFailed(
                f"text and tasks are {len(full)} characters; the limit is {MAX_TEXT_CHARS}",
                code="text_too_long",
            )
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}", code="invalid_limit")
        if lang is not None:
            return full, check_lang(lang), False
        return full, detect_language(full) if full else "en", True

    # -- signals ----------------------------------------------------------------------------

    def _lexical(self, text: str, lang: Lang) -> tuple[npt.NDArray[np.float32], LexicalHit]:
        hit = self.lexical.search(text, lang)
        scores = hit.scores.copy()
        if lang != "en" and self.config.cross_lingual_lexical > 0:
            cross = self.lexical.search(text, "en")
            scores += self.config.cross_lingual_lexical * cross.scores
        top = float(scores.max())
        if self.config.lexical_relative and top > 0:
            scores = scores / top
        return np.minimum(scores, 1.0), hit

    def _dense(self, text: str) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        assert self.encoder is not None and self.dense is not None
        queries = self.encoder.embed_query([text])
        raw = self.dense.scores(queries)
        return _scale(raw, self.config.dense_reference_rank), queries

    def _match_templates(
        self, text: str, lang: Lang, queries: npt.NDArray[np.float32] | None
    ) -> list[tuple[ActivityTemplate, float]]:
        """Templates the text resembles, each with a confidence in (0, 1].

        Dense confidence is the margin of a template's similarity over the fourth-best
        template (the background level), so it rewards templates that stand out rather than
        raw cosine values; lexical confidence counts the template stems found in the text.
        """
        cfg = self.config
        stems = set(stem_tokens(text, lang))
        overlap = np.array([len(stems & s[lang]) for s in self._template_stems], dtype=np.float32)
        lexical = np.minimum(1.0, overlap / cfg.template_overlap_full)
        if queries is not None and self._template_vecs is not None:
            sims = (self._template_vecs @ queries[0]).max(axis=1)
            background = float(np.sort(sims)[-min(4, sims.size)])
            dense = np.clip((sims - background) / cfg.template_margin_full, 0.0, 1.0)
            score = 0.7 * dense + 0.3 * lexical
        else:
            score = lexical
        for k, template in enumerate(self.catalogue.templates):
            if template.id in cfg.exclude_templates:
                score[k] = 0.0
        order = np.argsort(-score)[: cfg.max_templates]
        return [
            (self.catalogue.templates[int(i)], float(score[i]))
            for i in order
            if score[i] >= cfg.template_min_confidence
        ]

    # -- public -----------------------------------------------------------------------------

    def suggest(
        self,
        text: str,
        lang: str | None = None,
        template_id: str | None = None,
        tasks: list[str] | None = None,
        limit: int = 10,
    ) -> MappingResult:
        """Rank ESCO skills for ``text`` (plus optional tasks and template).

        Raises ``ValidationFailed`` (empty_text, text_too_long, too_many_tasks, invalid_limit,
        unsupported_language) or ``NotFoundError`` (unknown_template).
        """
        full, lang_, detected = self._validate(text, lang, tasks, limit)
        chosen = self.catalogue.get(template_id) if template_id is not None else None
        if not full and chosen is None:
            raise ValidationFailed(
                "describe the activity (text or tasks) or name a template", code="empty_text"
            )
        if not full and chosen is not None:
            full = chosen.text(lang_)
        cfg = self.config
        size = len(self.index)
        total = np.zeros(size, dtype=np.float32)
        lex = np.zeros(size, dtype=np.float32)
        dense = np.zeros(size, dtype=np.float32)
        hit: LexicalHit | None = None
        queries = None
        if cfg.lexical:
            lex, hit = self._lexical(full, lang_)
            total += cfg.w_lexical * lex
        if cfg.dense and self.encoder is not None:
            dense, queries = self._dense(full)
            total += cfg.w_dense * dense
        if cfg.reuse_prior:
            total *= self._prior
        tpl = np.zeros(size, dtype=np.float32)
        tpl_of: dict[int, list[str]] = {}
        matched: list[tuple[ActivityTemplate, float]] = []
        if chosen is not None:
            matched.append((chosen, 1.0))
        if cfg.templates:
            matched.extend(m for m in self._match_templates(full, lang_, queries) if m[0] is not chosen)
        for template, confidence in matched:
            for weight, uris in ((1.0, template.core), (cfg.transversal_weight, template.transversal)):
                for uri in uris:
                    i = self.index.position(uri)
                    tpl[i] = max(tpl[i], weight * confidence)
                    tpl_of.setdefault(i, []).append(template.id)
        total += cfg.w_template * tpl
        top = np.argsort(-total)[:limit]
        suggestions = tuple(
            Suggestion(
                position=int(i),
                score=round(float(total[i]), 4),
                lexical=round(float(lex[i]), 4),
                dense=round(float(dense[i]), 4),
                template=round(float(tpl[i]), 4),
                explanation=explain(
                    self.index,
                    self.lexical,
                    int(i),
                    full,
                    hit,
                    float(dense[i]) if self.encoder is not None else None,
                    tpl_of.get(int(i), []),
                ),
            )
            for i in top
            if total[i] > 0
        )
        return MappingResult(
            lang=lang_,
            detected_lang=detected,
            templates=tuple((t.id, round(c, 3)) for t, c in matched),
            suggestions=suggestions,
        )
