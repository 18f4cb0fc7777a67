"""Rendering pages: one Jinja2 environment per language, the CSRF cookie, the language cookie.

Every page gets ``_`` (the catalogue of its language), ``lang``, the language switch's links (the
same page with ``?lang=``), and the form token. A ``?lang=`` choice is remembered in a cookie, so
the next page without it keeps the language the reader picked.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from wallet_demo.csrf import set_csrf_cookie
from wallet_demo.i18n import LANGS, choose_lang, error_message, formatters, translator

__all__ = ["render", "render_error"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_LANG_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}
_LANG_COOKIE_SECONDS = 365 * 24 * 3600


@functools.cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["_"] = translator(lang)
    env.globals["lang"] = lang
    env.filters.update(formatters(lang))
    return env


def _lang_links(request: Request) -> list[tuple[str, str, str]]:
    """``(code, name, href)`` for the switch: this page, its other parameters kept."""
    links = []
    for code in LANGS:
        params = {**request.query_params, "lang": code}
        url = request.url.replace_query_params(**params)
        links.append((code, _LANG_NAMES[code], f"{url.path}?{url.query}"))
    return links


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` in the request's language, with the cookies the page needs."""
    lang = choose_lang(request)
    token: str = request.app.state.csrf_token
    body = (
        _environment(lang)
        .get_template(template)
        .render(request=request, csrf_token=token, lang_links=_lang_links(request), **context)
    )
    response = HTMLResponse(body, status_code=status_code)
    set_csrf_cookie(request, response, token)
    chosen = request.query_params.get("lang")
    if chosen in LANGS and request.cookies.get("lang") != chosen:
        response.set_cookie("lang", str(chosen), max_age=_LANG_COOKIE_SECONDS, samesite="lax", path="/")
    return response


def render_error(request: Request, code: str, status_code: int, *, detail: str | None = None) -> HTMLResponse:
    """The error page: the message of ``code`` in the reader's language, with the right status."""
    message = error_message(code, choose_lang(request))
    return render(
        request, "error.html", status_code=status_code, error_code=code, message=message, error_detail=detail
    )
