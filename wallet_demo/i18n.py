"""The reader's language and the words of the pages (a dict catalogue: three languages, few words).

The language is, in order: ``?lang=``, the ``lang`` cookie the switch sets, the browser's
``Accept-Language``, then French — the same order as the service's own pages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from fastapi import Request

from wallet_demo.catalogue import ERRORS, MESSAGES

__all__ = ["DEFAULT_LANG", "LANGS", "choose_lang", "error_message", "formatters", "translator"]

LANGS = ("fr", "nl", "en")
DEFAULT_LANG = "fr"
_INDEX = {"fr": 0, "nl": 1}
_LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_GB"}


def _accept_language(header: str) -> str | None:
    """The first supported language of an ``Accept-Language`` header, by quality then position."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGS and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def choose_lang(request: Request) -> str:
    """The language of this request (see the module docstring for the order)."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang")):
        if candidate in LANGS:
            return str(candidate)
    return _accept_language(request.headers.get("accept-language", "")) or DEFAULT_LANG


def translator(lang: str) -> Callable[..., str]:
    """``_("English text", name=value)``: the text in ``lang`` with ``%(name)s`` filled in."""

    def gettext(message: str, /, **params: Any) -> str:
        entry = MESSAGES.get(message)
        translated = entry[_INDEX[lang]] if entry is not None and lang in _INDEX else message
        return translated % params if params else translated

    return gettext


def error_message(code: str, lang: str) -> str:
    """The message of a :class:`~wallet_demo.errors.WalletError` code (unknown codes: the generic one)."""
    entry = ERRORS.get(code) or ERRORS["issuer_error"]
    return entry[LANGS.index(lang)]


def formatters(lang: str) -> dict[str, Callable[[Any], str]]:
    """Jinja filters for dates in the reader's conventions (Belgian for French and Dutch)."""
    locale = _LOCALES[lang]

    def long_date(value: date | datetime | None) -> str:
        return format_date(value, format="long", locale=locale) if value else ""

    def time_of_day(value: datetime | None) -> str:
        # Local time of this computer: the wallet and its reader are in the same place.
        return value.astimezone().strftime("%H:%M:%S") if value else ""

    return {"long_date": long_date, "time_of_day": time_of_day}
