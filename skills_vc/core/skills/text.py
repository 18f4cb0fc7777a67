"""Text normalisation shared by the index builder and the mapper.

The same function must tokenise skill labels at build time and coordinator text at query time,
otherwise the lexical index and the queries drift apart. Tokens are lower-cased, stemmed with
the Snowball stemmer of their language, then accent-folded ("sécurité" and "securite" meet).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final, Literal

import snowballstemmer  # type: ignore[import-untyped]

__all__ = ["LANGUAGES", "Lang", "fold", "stem_tokens", "tokenize"]

Lang = Literal["en", "fr", "nl"]
LANGUAGES: Final[tuple[Lang, ...]] = ("en", "fr", "nl")

_SNOWBALL: Final[dict[str, str]] = {"en": "english", "fr": "french", "nl": "dutch"}
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+", re.UNICODE)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Short function-word lists: only words that carry no skill meaning. They are removed before
# stemming so that "de", "het", "the", "les" do not dominate the lexical scores.
STOP_WORDS: Final[dict[str, frozenset[str]]] = {
    "en": _words(
        """a an and are as at be been but by for from had has have he her his i in into is it its
        me my of on or our she so that the their them they this to was we were which who with
        you your also all any can did do does done during etc every how if more most not only
        other over per some such than then there these those through up us very via what when
        where while will would out off about after before each both"""
    ),
    "fr": _words(
        """a au aux avec ce ces cette d de des du elle elles en et il ils j je l la le les leur
        leurs lui ma mais me mes moi mon n ne nos notre nous on ou où par pas pour qu que qui s
        sa se ses son sur ta te tes toi ton tu un une vos votre vous y été être avoir ai avons
        ont est sont était étaient fait faire aussi dans chez lors pendant tout tous toute
        toutes très plus entre comme dont afin ainsi c ça cela ceci sans sous vers depuis"""
    ),
    "nl": _words(
        """aan al alle als bij dan dat de den der des die dit door een en er het hij hem hun ik in
        is je jij kan maar me met mij mijn na naar niet nog of om onder ons onze ook op over te
        ten ter tot u uit van voor was waren wat we wel werd werden wie wij word worden wordt
        zal ze zich zij zijn zo zoals heb hebben heeft had tijdens deze elke iedere ieder veel
        meer per via er daar hier waar wanneer toen tussen zonder sinds"""
    ),
}


def fold(text: str) -> str:
    """Lower-case and strip diacritics ("Sécurité" -> "securite")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Split text into lower-case word tokens; apostrophe elisions ("l'hôpital") are split."""
    tokens: list[str] = []
    for match in _WORD.finditer(text.lower()):
        for part in re.split(r"['’]", match.group(0)):
            tokens.extend(p for p in part.split("-") if p)
    return tokens


@lru_cache(maxsize=3)
def _stemmer(lang: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_SNOWBALL[lang])


@lru_cache(maxsize=65536)
def _stem(lang: str, token: str) -> str:
    return fold(str(_stemmer(lang).stemWord(token)))


def stem_tokens(text: str, lang: Lang) -> list[str]:
    """Tokens of ``text`` without stop words, stemmed in ``lang`` and accent-folded."""
    stops = STOP_WORDS[lang]
    out: list[str] = []
    for token in tokenize(text):
        if token in stops or len(token) < 2:
            continue
        stem = _stem(lang, token)
        if len(stem) >= 2:
            out.append(stem)
    return out
