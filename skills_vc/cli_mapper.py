"""``skills-vc map "texte ..." --lang fr``: suggest ESCO skills for an activity description."""

from __future__ import annotations

import json

import typer

from skills_vc.cli_support import fail
from skills_vc.errors import SkillsVCError
from skills_vc.services import mapping

__all__ = ["map_command"]


def map_command(
    text: str = typer.Argument(..., help="the activity, as a coordinator would describe it"),
    lang: str | None = typer.Option(None, "--lang", help="fr, nl or en (detected when absent)"),
    template: str | None = typer.Option(None, "--template", help="activity catalogue id"),
    limit: int = typer.Option(10, "--limit", help="number of suggestions (1-50)"),
    json_output: bool = typer.Option(False, "--json", help="print the JSON response"),
) -> None:
    """Suggest ESCO skills for a volunteer activity description."""
    try:
        result = mapping.suggest(text, lang=lang, template_id=template, limit=limit)
    except SkillsVCError as exc:
        raise fail(exc) from None
    if json_output:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    detected = " (detected)" if result["lang_detected"] else ""
    typer.echo(f"language: {result['lang']}{detected}")
    if result["templates"]:
        names = ", ".join(f"{t['id']} ({t['confidence']:.2f})" for t in result["templates"])
        typer.echo(f"templates: {names}")
    for s in result["suggestions"]:
        flags = "T" if s["transversal"] else " "
        kind = "K" if s["knowledge"] else "S"
        fallback = f" [{s['label_lang']}]" if s["label_lang"] != result["lang"] else ""
        typer.echo(f"{s['rank']:>3}. {s['score']:.3f} {kind}{flags} {s['label']}{fallback}")
        why = _why(s["explanation"])
        if why:
            typer.echo(f"            {why}")
        typer.echo(f"            {s['uri']}")
    typer.echo("K = knowledge, S = skill/competence, T = transversal")
    typer.echo(result["attribution"])


def _why(explanation: dict[str, object]) -> str:
    parts: list[str] = []
    words = explanation.get("matched_words")
    if isinstance(words, list) and words:
        label = explanation.get("matched_label")
        kind = explanation.get("matched_label_kind")
        parts.append(f'words {", ".join(map(str, words))} -> {kind} "{label}"')
    templates = explanation.get("templates")
    if isinstance(templates, list) and templates:
        parts.append("template " + ", ".join(map(str, templates)))
    return "; ".join(parts)
