"""Why a skill was suggested: matched words, the label they matched, templates, similarity."""

from __future__ import annotations

from dataclasses import dataclass

from skills_vc.core.skills.index import EscoIndex
from skills_vc.core.skills.lexical import KIND_NAMES, LexicalHit, LexicalIndex
from skills_vc.core.skills.text import Lang, stem_tokens, tokenize

__all__ = ["Explanation", "explain"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a skill was suggested."""

    matched_words: tuple[str, ...] = ()
    matched_label: str | None = None
    matched_label_kind: str | None = None
    templates: tuple[str, ...] = ()
    dense_similarity: float | None = None


def explain(
    index: EscoIndex,
    lexical: LexicalIndex,
    position: int,
    text: str,
    hit: LexicalHit | None,
    dense: float | None,
    templates: list[str],
) -> Explanation:
    """The words of ``text`` that matched the skill's best label, and the other evidence."""
    words: list[str] = []
    label_text: str | None = None
    kind_name: str | None = None
    if hit is not None and hit.scores[position] > 0:
        ref = lexical.label_ref(hit, position)
        if ref is not None:
            kind, ordinal = ref
            label_text = index.label_text(position, hit.lang, kind, ordinal)
            kind_name = KIND_NAMES[kind]
            label_stems = set(stem_tokens(label_text, hit.lang))
            words = [w for w in dict.fromkeys(tokenize(text)) if _stem1(w, hit.lang) in label_stems]
    return Explanation(
        matched_words=tuple(words),
        matched_label=label_text,
        matched_label_kind=kind_name,
        templates=tuple(dict.fromkeys(templates)),
        dense_similarity=round(dense, 3) if dense is not None else None,
    )


def _stem1(word: str, lang: Lang) -> str | None:
    stems = stem_tokens(word, lang)
    return stems[0] if stems else None
