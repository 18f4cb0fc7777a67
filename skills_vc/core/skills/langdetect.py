"""Language detection for coordinator text: a stop-word scorer over fr, nl and en.

Short function words are the most reliable signal in one-line descriptions, and they need no
model. A few German, Spanish, Italian and Portuguese words are scored too, so that a text in one
of those languages is refused (``unsupported_language``) instead of being read as French.
"""

from __future__ import annotations

from typing import Final

from skills_vc.core.skills.text import Lang, fold, tokenize
from skills_vc.errors import ValidationFailed

__all__ = ["detect_language"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORDS: Final[dict[str, frozenset[str]]] = {
    "fr": _words(
        """le la les des du de un une et est pour avec dans au aux sur par qui que ce cette ces il
        elle ils nous vous leur leurs son sa ses pas plus ou a été chaque aide personnes entre
        lors pendant chez sont était avons"""
    ),
    "nl": _words(
        """de het een en van voor met in op te is zijn aan bij door naar die dat deze ook niet wij
        zij hij ze er om als tot uit werd heeft hebben was waren elke mensen tijdens voor hun
        onze"""
    ),
    "en": _words(
        """the a an and of for with in on to is are was were by at from that this these it he she
        they we our their his her not as or be been has have had every people during who which"""
    ),
    "de": _words("""der die das und ist nicht mit für auf den dem ein eine ich wir sie zu von im auch"""),
    "es": _words("""el los las y para con una por del que se su sus es muy como pero"""),
    "it": _words("""il lo gli della delle per con una che di è sono anche come nel"""),
    "pt": _words("""os as um uma para com por que não mais foi são nos das dos"""),
}
_SUPPORTED: Final[tuple[Lang, ...]] = ("fr", "nl", "en")


def detect_language(text: str, default: Lang = "en") -> Lang:
    """The most likely of fr, nl, en; ``default`` when the text gives no clue.

    Raises ``ValidationFailed(code="unsupported_language")`` when another language scores
    clearly higher than all three supported ones.
    """
    tokens = tokenize(text)
    folded = [fold(t) for t in tokens]
    scores: dict[str, float] = {}
    for lang, words in _WORDS.items():
        folded_words = {fold(w) for w in words}
        scores[lang] = sum(1.0 for t in tokens if t in words) + 0.5 * sum(
            1.0 for t in folded if t in folded_words and t not in words
        )
    # Orthographic hints help one-line texts without function words.
    joined = " ".join(tokens)
    scores["fr"] += 0.5 * sum(joined.count(c) for c in "éèêàçù")
    scores["nl"] += 0.5 * (joined.count("ij") + joined.count("oe") + joined.count("aa"))
    best_supported = max(_SUPPORTED, key=lambda lang: scores[lang])
    best_other = max(("de", "es", "it", "pt"), key=lambda lang: scores[lang])
    if scores[best_other] >= 2 and scores[best_other] > 1.5 * scores[best_supported]:
        raise ValidationFailed(
            "the text does not look like French, Dutch or English; "
            "give the language explicitly (fr, nl or en)",
            code="unsupported_language",
        )
    if scores[best_supported] == 0:
        return default
    return best_supported
