"""Paper credentials: the signed QR of a stored credential, its images, and QR verification.

The QR is built on demand from the stored ``vc+jwt`` and its activity row, signed with the
association's current key, with the credential's issuance time as CWT ``iat``. EdDSA signatures are
deterministic, so the same QR comes back every time (until the association rotates its key).
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import segno

from skills_vc.core.checks import Report
from skills_vc.core.formats import get_format
from skills_vc.core.formats.qr import encode
from skills_vc.core.paper import claims_from_credential, short_issuer_id, vc_digest
from skills_vc.errors import ConflictError, SkillsVCError
from skills_vc.services import associations, revocation, verification
from skills_vc.services.context import ServiceContext
from skills_vc.services.verification import RemoteStatusLists
from skills_vc.store import records
from skills_vc.store.tables import Association

__all__ = ["MAX_QR_VERSION", "qr_png", "qr_svg", "qr_symbol", "qr_text", "report_body", "verify_qr"]

MAX_QR_VERSION = 25


def qr_text(ctx: ServiceContext, association: Association, credential_id: str) -> str:
    """The ``VSC1:`` text of one of the association's credentials."""
    row = revocation.get_credential(ctx, association, credential_id)
    if row.revoked_at is not None:
        raise ConflictError("a revoked credential is not printed", code="credential_revoked")
    credential = get_format(row.format).read(row.secured)
    activity = records.activity(ctx.session, association.id, row.activity_id) if row.activity_id else None
    claims = claims_from_credential(
        credential,
        issuer=short_issuer_id(associations.did_of(ctx, association)),
        issued_at=int(row.issued_at.timestamp()),
        hours=activity.hours if activity is not None else None,
    )
    claims = dataclasses.replace(claims, vc_digest=vc_digest(row.secured))
    return encode(claims, associations.signer_for(ctx, association))


def qr_symbol(text: str) -> segno.QRCode:
    """The QR code (alphanumeric mode, error correction Q); refuses a version above 25."""
    symbol = segno.make_qr(text, error="q", boost_error=False, mode="alphanumeric")
    if int(symbol.version) > MAX_QR_VERSION:
        raise SkillsVCError(
            f"the QR code would be version {symbol.version}; above {MAX_QR_VERSION} it is not printed",
            code="qr_too_large",
            status=422,
        )
    return symbol


def qr_png(text: str, scale: int = 8) -> bytes:
    """The QR as PNG, ``scale`` pixels per module, with the 4-module quiet zone."""
    out = io.BytesIO()
    qr_symbol(text).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(text: str, scale: int = 4) -> bytes:
    """The QR as SVG, with the 4-module quiet zone."""
    out = io.BytesIO()
    qr_symbol(text).save(out, kind="svg", scale=scale, border=4, xmldecl=True, svgns=True)
    return out.getvalue()


def verify_qr(ctx: ServiceContext, text: str, remote: RemoteStatusLists) -> Report:
    """Verify a QR text online: the same checks as offline, with the current signed trust list
    (checked against the operator key) and live status lists."""
    return verification.verify(ctx, text, remote)


def report_body(report: Report) -> tuple[int, dict[str, Any]]:
    """200 with the report when verified, 400 with the report (and the first failure) otherwise."""
    body = report.as_dict()
    if report.verified:
        return 200, body
    failed = next((c for c in body["checks"] if c["status"] in ("failed", "not_checked")), None)
    return 400, {
        "error": failed["code"] if failed else "not_verified",
        "detail": failed["message"]["en"] if failed else "the credential is not verified",
        **body,
    }
