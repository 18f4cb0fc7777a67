"""The FR/NL/EN catalogues of the pages: complete, not fuzzy, compiled, and covering the templates."""

from __future__ import annotations

import html
import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from skills_vc.api.pages.i18n import HERE, LANGS, LOCALE_DIR, environment


def _catalog_path(lang: str, ext: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"messages.{ext}"


def _template_messages() -> set[str | tuple[str, ...]]:
    found = extract_from_dir(
        str(HERE / "templates"),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_is_complete_and_not_fuzzy(lang: str) -> None:
    with _catalog_path(lang, "po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    assert not catalog.fuzzy, f"{lang}: the catalogue header is marked fuzzy"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert not problems, f"{lang}: untranslated or fuzzy entries: {problems}"
    ids = {message.id for message in catalog if message.id}
    missing = _template_messages() - ids
    assert not missing, f"{lang}: template texts missing from the catalogue (see docs/web.md): {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_is_up_to_date(lang: str) -> None:
    with _catalog_path(lang, "po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert compiled.getvalue() == _catalog_path(lang, "mo").read_bytes(), (
        f"{lang}: messages.mo is stale; recompile it (docs/web.md)"
    )


def test_pages_speak_each_language() -> None:
    pages = {
        lang: html.unescape(
            environment(lang).get_template("verify.html").render(upload_limit=1, upload_limit_mib=1)
        )
        for lang in LANGS
    }
    assert "Vérifier l'attestation d'un bénévole" in pages["fr"]
    assert "Het attest van een vrijwilliger controleren" in pages["nl"]
    assert "Verify a volunteer's credential" in pages["en"]
