"""The printable certificate: one A4 page in French, Dutch or English, with the offline QR.

The association is shown as the registry knows it (legal name, enterprise number, DID), the skills
grouped as skills / knowledge / transversal with labels from the packaged ESCO index in the chosen
language. The QR is drawn as vector squares, 62 mm wide (0.5 mm per module at version 25), so it
scans from a phone or a 200 dpi desk scanner.
"""

from __future__ import annotations

import io
from datetime import date
from importlib import resources

from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from skills_vc.core.enterprise import format_enterprise_number
from skills_vc.core.formats import get_format
from skills_vc.core.skills.index import check_lang
from skills_vc.services import associations, paper, revocation
from skills_vc.services.context import ServiceContext
from skills_vc.services.mapping import get_bundle
from skills_vc.store.tables import Association

__all__ = ["ESCO_ATTRIBUTION", "certificate_pdf", "grouped_skills"]

ESCO_ATTRIBUTION = "This service uses the ESCO classification of the European Commission."
_QR_WIDTH = 62 * mm
_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Attestation de compétences acquises en bénévolat",
        "volunteer": "Bénévole",
        "association": "Association",
        "activity": "Activité",
        "role": "Rôle",
        "period": "Période",
        "hours": "{hours} heures",
        "skill": "Aptitudes",
        "knowledge": "Connaissances",
        "transversal": "Compétences transversales",
        "id": "Identifiant",
        "how": "Vérification : scannez ce code QR avec le vérificateur skills-vc (hors ligne) ou sur {url}.",
    },
    "nl": {
        "title": "Attest van competenties verworven als vrijwilliger",
        "volunteer": "Vrijwilliger",
        "association": "Vereniging",
        "activity": "Activiteit",
        "role": "Rol",
        "period": "Periode",
        "hours": "{hours} uur",
        "skill": "Vaardigheden",
        "knowledge": "Kennis",
        "transversal": "Transversale competenties",
        "id": "Kenmerk",
        "how": "Controle: scan deze QR-code met de skills-vc-verificateur (ook offline) of op {url}.",
    },
    "en": {
        "title": "Certificate of skills acquired through volunteering",
        "volunteer": "Volunteer",
        "association": "Association",
        "activity": "Activity",
        "role": "Role",
        "period": "Period",
        "hours": "{hours} hours",
        "skill": "Skills",
        "knowledge": "Knowledge",
        "transversal": "Transversal skills",
        "id": "Identifier",
        "how": "To verify: scan this QR code with the skills-vc verifier (works offline) or at {url}.",
    },
}


def _fonts() -> tuple[str, str]:
    """Bitstream Vera (shipped with reportlab) covers the accented letters of all three languages."""
    folder = resources.files("reportlab").joinpath("fonts")
    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Vera", str(folder.joinpath("Vera.ttf"))))
        pdfmetrics.registerFont(TTFont("VeraBd", str(folder.joinpath("VeraBd.ttf"))))
    return "Vera", "VeraBd"


def grouped_skills(uris: list[str], lang: str) -> dict[str, list[str]]:
    """Skill labels in ``lang`` grouped as ``skill`` / ``knowledge`` / ``transversal``."""
    index = get_bundle().index
    lang_ = check_lang(lang)
    groups: dict[str, list[str]] = {"skill": [], "knowledge": [], "transversal": []}
    for uri in uris:
        if not index.has(uri):
            groups["skill"].append(uri)
            continue
        i = index.position(uri)
        group = (
            "transversal" if index.is_transversal(i) else "knowledge" if index.is_knowledge(i) else "skill"
        )
        groups[group].append(index.label(i, lang_).text)
    return groups


def _lines(canvas: Canvas, text: str, font: str, size: float, width: float) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if canvas.stringWidth(candidate, font, size) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines


def _draw_qr(canvas: Canvas, text: str, x: float, y: float) -> None:
    matrix = paper.qr_symbol(text).matrix
    module = _QR_WIDTH / (len(matrix) + 8)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + (c + 4) * module, y + _QR_WIDTH - (r + 5) * module, module, module, 0, 1)


def certificate_pdf(ctx: ServiceContext, association: Association, credential_id: str, lang: str) -> bytes:
    """One A4 page: volunteer, association, activity, skills in ``lang``, the QR and how to verify."""
    texts = _TEXTS[check_lang(lang)]
    qr = paper.qr_text(ctx, association, credential_id)
    row = revocation.get_credential(ctx, association, credential_id)
    credential = get_format(row.format).read(row.secured)
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    groups = grouped_skills([a["targetUrl"] for a in achievement.get("alignment", [])], lang)
    regular, bold = _fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(texts["title"])
    width, height = A4
    left, right, y = 20 * mm, width - 20 * mm, height - 25 * mm
    # The QR sits at the top right; the text runs beside it, the footer spans the page.
    column = right - left - _QR_WIDTH - 6 * mm

    def write(text: str, font: str = regular, size: float = 10.5, gap: float = 5.2 * mm) -> None:
        nonlocal y
        for line in _lines(canvas, text, font, size, column):
            canvas.setFont(font, size)
            canvas.drawString(left, y, line)
            y -= gap

    write(texts["title"], bold, 16, 9 * mm)
    write(f"{texts['volunteer']}: {subject['name']}", bold, 12, 7 * mm)
    number = format_enterprise_number(association.enterprise_number)
    write(f"{texts['association']}: {association.legal_name} (BCE/KBO {number})")
    write(associations.did_of(ctx, association), regular, 8, 6 * mm)
    write(f"{texts['activity']}: {achievement['name']}")
    write(f"{texts['role']}: {subject['role']}")
    start = date.fromisoformat(subject["activityStartDate"][:10])
    end = date.fromisoformat(subject["activityEndDate"][:10])
    hours = texts["hours"].format(hours=_hours(credential))
    write(f"{texts['period']}: {start.isoformat()} – {end.isoformat()} · {hours}", gap=8 * mm)
    for group in ("skill", "knowledge", "transversal"):
        if groups[group]:
            write(texts[group], bold, 11, 5.5 * mm)
            for label in groups[group]:
                write(f"• {label}", regular, 10, 4.8 * mm)
            y -= 2 * mm
    _draw_qr(canvas, qr, right - _QR_WIDTH, height - 20 * mm - _QR_WIDTH)
    y, column = 30 * mm, right - left
    write(f"{texts['id']}: {credential['id']}", regular, 8, 4.5 * mm)
    write(texts["how"].format(url=ctx.settings.public_url.rstrip("/") + "/verify"), regular, 8, 4.5 * mm)
    write(ESCO_ATTRIBUTION, regular, 7, 4 * mm)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _hours(credential: dict[str, object]) -> str:
    evidence = credential.get("evidence")
    if isinstance(evidence, list) and evidence and isinstance(evidence[0], dict):
        return str(evidence[0].get("description", "")).split(" ")[0]
    return "?"
