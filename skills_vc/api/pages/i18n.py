"""The page language and the Jinja2 environments with their gettext catalogues.

The language is, in order: ``?lang=``, the ``lang`` cookie the language switch sets, the
browser's ``Accept-Language``, then French. Catalogues live in ``locale/<lang>/LC_MESSAGES``
(``messages.po`` and the compiled ``messages.mo``; see docs/web.md to recompile).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.support import Translations
from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

__all__ = ["DEFAULT_LANG", "LANGS", "LOCALE_DIR", "choose_lang", "environment"]

LANGS = ("fr", "nl", "en")
DEFAULT_LANG = "fr"
HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
TEMPLATE_DIR = HERE / "templates"
# Belgian conventions for dates in French and Dutch.
_DATE_LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_GB"}


def _accept_language(header: str) -> str | None:
    """The first supported language of an ``Accept-Language`` header, by quality."""
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


@functools.cache
def environment(lang: str) -> Environment:
    """A Jinja2 environment whose ``_``/``gettext`` speak ``lang``; HTML is always autoescaped."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = Translations.load(str(LOCALE_DIR), [lang], domain="messages")
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    date_locale = _DATE_LOCALES[lang]

    def long_date(value: Any) -> str:
        return format_date(value, format="long", locale=date_locale)

    env.filters["long_date"] = long_date
    env.globals["lang"] = lang
    env.globals["langs"] = LANGS
    return env
