"""Multilingual lexical retrieval: how much of a skill's label the text contains.

Every preferred label, alternative label and indexed Competent synonym is an entry of a
per-language inverted index (stemmed, accent-folded terms, built by
``scripts/build_esco_index.py``). A label scores the idf-weighted share of its terms found in
the text, damped when only one term matched; a skill scores its best label. This suits short
concept labels ("coudre des morceaux de tissu") found inside longer coordinator text better
than document ranking such as BM25, which rewards any skill sharing one frequent word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from skills_vc.core.skills.text import Lang, stem_tokens

__all__ = ["KIND_NAMES", "LexicalHit", "LexicalIndex"]

# Label kinds as stored by the builder.
KIND_NAMES: tuple[str, ...] = ("preferred label", "alternative label", "Competent synonym")
_KIND_WEIGHT = np.array([1.0, 0.9, 0.9], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class LexicalHit:
    """Scores over all skills, the best label of each touched skill, and the stems found."""

    scores: npt.NDArray[np.float32]
    labels: npt.NDArray[np.int64]
    label_scores: npt.NDArray[np.float32]
    label_skills: npt.NDArray[np.int32]
    stems: frozenset[str]
    lang: Lang


class _LangIndex:
    def __init__(self, vocab: list[str], arrays: dict[str, npt.NDArray[np.generic]], lang: str):
        self.term_id = {t: k for k, t in enumerate(vocab)}
        self.indptr = arrays[f"{lang}_indptr"].astype(np.int64)
        self.idx = arrays[f"{lang}_idx"].astype(np.int32)
        self.idf = arrays[f"{lang}_idf"].astype(np.float32)
        self.norm = arrays[f"{lang}_norm"].astype(np.float32)
        self.skill = arrays[f"{lang}_skill"].astype(np.int32)
        self.kind = arrays[f"{lang}_kind"].astype(np.int8)
        self.ord = arrays[f"{lang}_ord"].astype(np.int32)


class LexicalIndex:
    """Label-coverage search of stemmed, accent-folded query words, per language."""

    def __init__(
        self, size: int, vocab: dict[str, list[str]], arrays: dict[str, npt.NDArray[np.generic]]
    ) -> None:
        self.size = size
        self._langs = {lang: _LangIndex(words, arrays, lang) for lang, words in vocab.items()}

    def search(self, text: str, lang: Lang, index_lang: Lang | None = None) -> LexicalHit:
        """Score every skill for ``text`` stemmed in ``lang`` against ``index_lang``'s labels."""
        target: Lang = index_lang or lang
        li = self._langs[target]
        stems = frozenset(stem_tokens(text, lang))
        found = [li.term_id[s] for s in stems if s in li.term_id]
        scores = np.zeros(self.size, dtype=np.float32)
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return LexicalHit(scores, empty, empty.astype(np.float32), empty.astype(np.int32), stems, target)
        label_lists = [li.idx[li.indptr[t] : li.indptr[t + 1]] for t in found]
        weights = np.concatenate(
            [np.full(len(ls), li.idf[t], dtype=np.float32) for t, ls in zip(found, label_lists, strict=True)]
        )
        labels_all = np.concatenate(label_lists)
        labels, inverse = np.unique(labels_all, return_inverse=True)
        covered = np.zeros(labels.size, dtype=np.float32)
        np.add.at(covered, inverse, weights)
        count = np.bincount(inverse, minlength=labels.size).astype(np.float32)
        coverage = covered / np.maximum(li.norm[labels], 1e-6)
        label_score = coverage * (count / (count + 0.5)) * _KIND_WEIGHT[li.kind[labels]]
        skills = li.skill[labels]
        np.maximum.at(scores, skills, label_score)
        return LexicalHit(
            scores,
            labels.astype(np.int64),
            label_score.astype(np.float32),
            skills.astype(np.int32),
            stems,
            target,
        )

    def label_ref(self, hit: LexicalHit, position: int) -> tuple[int, int] | None:
        """(kind, ordinal within that kind) of the best-matching label of a skill, if any."""
        mine = np.flatnonzero(hit.label_skills == position)
        if mine.size == 0:
            return None
        label = int(hit.labels[mine[np.argmax(hit.label_scores[mine])]])
        li = self._langs[hit.lang]
        return int(li.kind[label]), int(li.ord[label])

    def matched_stems(self, hit: LexicalHit, label_stems: set[str]) -> set[str]:
        """Query stems that occur in a label."""
        return set(hit.stems) & label_stems
