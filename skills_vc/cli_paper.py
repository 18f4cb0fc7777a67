"""Paper credential commands: ``trust-list export``, ``verify-qr`` and ``certificate``.

``verify-qr`` works with no network: the trust list comes from a file, checked against the
operator's public key (``--operator-key``, a JWK file; without it, the key of the platform whose
database is configured), and status lists only from files given with ``--status-list``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from skills_vc.cli_support import fail, service_context
from skills_vc.core.offline import verify_offline
from skills_vc.core.skills.index import check_lang
from skills_vc.core.trustlist import TrustListError, verify_trust_list
from skills_vc.errors import SkillsVCError
from skills_vc.services import associations, certificate, paper, qr_scan, trust_list

__all__ = ["certificate_command", "trust_list_export", "verify_qr"]


def trust_list_export(
    output: Path = typer.Option(Path("trust-list.jwt"), "--output", "-o", help="where to write the JWS"),
    operator_key_output: Path | None = typer.Option(None, "--operator-key-output", help="also write the JWK"),
) -> None:
    """Write the operator-signed trust list (and optionally the operator's public key) to files."""
    try:
        with service_context() as ctx:
            signed = trust_list.signed_trust_list(ctx)
            jwk = trust_list.operator_jwk(ctx)
    except SkillsVCError as exc:
        raise fail(exc) from None
    output.write_text(signed.token + "\n", encoding="ascii")
    if operator_key_output is not None:
        operator_key_output.write_text(json.dumps(jwk) + "\n", encoding="ascii")
    typer.echo(f"trust list written to {output} (valid until {signed.expires_at:%Y-%m-%dT%H:%M:%SZ})")


def _operator_jwk(path: Path | None) -> dict[str, str]:
    if path is not None:
        return dict(json.loads(path.read_text("utf-8")))
    with service_context() as ctx:
        return trust_list.operator_jwk(ctx)


def verify_qr(
    qr: str | None = typer.Argument(None, help="the QR text, VSC1:..."),
    trust_list_file: Path = typer.Option(..., "--trust-list", help="the trust list JWS (trust-list export)"),
    operator_key: Path | None = typer.Option(None, "--operator-key", help="the operator's public JWK file"),
    image: Path | None = typer.Option(None, "--image", help="a photo (PNG/JPEG) or scan (PDF) of the QR"),
    status_list: list[Path] = typer.Option([], "--status-list", help="a cached status list (vc+jwt)"),
    max_status_age_hours: int = typer.Option(168, "--max-status-age-hours", help="oldest usable cached list"),
    lang: str = typer.Option("fr", "--lang", help="fr, nl or en"),
    json_output: bool = typer.Option(False, "--json", help="print the JSON report"),
) -> None:
    """Verify a paper credential offline; exit 0 when verified, 1 when not, 2 on an error."""
    now = datetime.now(UTC)
    try:
        lang_ = check_lang(lang)
        if (qr is None) == (image is None):
            raise SkillsVCError("give either the QR text or --image", code="invalid_request", status=422)
        text = qr if qr is not None else qr_scan.read_qr(image.read_bytes())  # type: ignore[union-attr]
        listed = verify_trust_list(trust_list_file.read_text("ascii"), _operator_jwk(operator_key), now=now)
        lists = [path.read_text("ascii") for path in status_list]
        report = verify_offline(
            text, listed, now=now, status_lists=lists, max_status_age=timedelta(hours=max_status_age_hours)
        )
        skills = (
            report.credential["credentialSubject"]["achievement"]["alignment"] if report.credential else []
        )
        groups = certificate.grouped_skills([s["targetUrl"] for s in skills], lang_)
    except (SkillsVCError, TrustListError) as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(SkillsVCError(f"{exc.filename}: {exc.strerror}", code="file_unreadable")) from None
    if json_output:
        typer.echo(json.dumps({**report.as_dict(), "skills": groups}, ensure_ascii=False, indent=2))
    else:
        for check in report.checks:
            typer.echo(f"{check.status:>11}  {check.name}: {check.message[lang_]}")
        if report.credential is not None:
            subject = report.credential["credentialSubject"]
            typer.echo(f"{subject['name']} — {subject['achievement']['name']} ({subject['role']})")
            for group, labels in groups.items():
                for label in labels:
                    typer.echo(f"  [{group}] {label}")
        typer.echo(f"verdict: {report.verdict}")
    raise typer.Exit(0 if report.verified else 1)


def certificate_command(
    credential_id: str = typer.Argument(..., help="the credential id (urn:uuid:...)"),
    association: str = typer.Option(..., "--association", help="the issuing association's slug"),
    lang: str = typer.Option("fr", "--lang", help="fr, nl or en"),
    output: Path = typer.Option(Path("certificate.pdf"), "--output", "-o", help="the PDF to write"),
    qr_png: Path | None = typer.Option(None, "--qr-png", help="also write the QR alone as PNG"),
    qr_svg: Path | None = typer.Option(None, "--qr-svg", help="also write the QR alone as SVG"),
) -> None:
    """Write the printable certificate (one A4 page) of a credential, and optionally its QR."""
    try:
        with service_context() as ctx:
            owner = associations.get(ctx, association)
            pdf = certificate.certificate_pdf(ctx, owner, credential_id, lang)
            text = paper.qr_text(ctx, owner, credential_id)
    except SkillsVCError as exc:
        raise fail(exc) from None
    output.write_bytes(pdf)
    if qr_png is not None:
        qr_png.write_bytes(paper.qr_png(text))
    if qr_svg is not None:
        qr_svg.write_bytes(paper.qr_svg(text))
    typer.echo(f"certificate written to {output} (QR: {len(text)} characters)")
