"""Paper credentials: certificate PDF, QR images and text, the signed trust list, QR verification."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from skills_vc.api.deps import AssociationDep, ContextDep, RemoteListsDep, read_only_request
from skills_vc.api.metrics import observe_verification
from skills_vc.errors import PayloadTooLargeError, ValidationFailed
from skills_vc.services import certificate, paper, qr_scan, trust_list

router = APIRouter(tags=["paper credential"])

MAX_UPLOAD_BYTES = qr_scan.MAX_UPLOAD_BYTES
Lang = Annotated[str, Query(pattern="^(fr|nl|en)$", description="fr, nl or en")]


@router.get(
    "/credentials/{credential_id}/certificate.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def certificate_pdf(
    credential_id: str, ctx: ContextDep, association: AssociationDep, lang: Lang = "fr"
) -> Response:
    """One A4 page with the volunteer, the activity, the skills in ``lang`` and the offline QR."""
    pdf = certificate.certificate_pdf(ctx, association, credential_id, lang)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": "inline; filename=certificate.pdf"}
    )


@router.get(
    "/credentials/{credential_id}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def qr_png(credential_id: str, ctx: ContextDep, association: AssociationDep) -> Response:
    """The QR alone, as PNG."""
    return Response(paper.qr_png(paper.qr_text(ctx, association, credential_id)), media_type="image/png")


@router.get(
    "/credentials/{credential_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def qr_svg(credential_id: str, ctx: ContextDep, association: AssociationDep) -> Response:
    """The QR alone, as SVG."""
    return Response(paper.qr_svg(paper.qr_text(ctx, association, credential_id)), media_type="image/svg+xml")


@router.get(
    "/credentials/{credential_id}/qr.txt",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def qr_txt(credential_id: str, ctx: ContextDep, association: AssociationDep) -> Response:
    """The QR's text (``VSC1:...``)."""
    return Response(paper.qr_text(ctx, association, credential_id), media_type="text/plain")


@router.get(
    "/.well-known/skills-vc-trust-list.jwt",
    response_class=Response,
    responses={200: {"content": {"application/jwt": {}}}, 304: {"description": "Not modified"}},
)
def trust_list_jwt(request: Request, ctx: ContextDep) -> Response:
    """The operator-signed list of registered associations, keys and accreditation periods."""
    signed = trust_list.signed_trust_list(ctx)
    headers = {
        "ETag": signed.etag,
        "Cache-Control": f"public, max-age={trust_list.CACHE_SECONDS}",
    }
    if signed.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(signed.token, media_type="application/jwt", headers=headers)


@router.get("/.well-known/skills-vc-operator-key.json")
def operator_key(ctx: ContextDep) -> dict[str, str]:
    """The operator's public key (JWK) that signs the trust list; offline verifiers pin it."""
    return trust_list.operator_jwk(ctx)


async def _qr_from_request(request: Request) -> str:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=2)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationFailed(
                "send the image or PDF as the multipart field 'file'", code="invalid_request"
            )
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise PayloadTooLargeError(f"uploads are limited to {MAX_UPLOAD_BYTES} bytes")
        return await run_in_threadpool(qr_scan.read_qr, data)
    try:
        body: Any = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ValidationFailed(
            'send JSON {"qr": "VSC1:..."} or a multipart upload', code="invalid_request"
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("qr"), str):
        raise ValidationFailed("the JSON body needs a string field 'qr'", code="invalid_request")
    return str(body["qr"])


QrText = Annotated[str, Depends(_qr_from_request)]


@router.post(
    "/verify/qr",
    responses={400: {"description": "Not verified; the body carries the full report."}},
    dependencies=[Depends(read_only_request)],
)
def verify_qr(text: QrText, ctx: ContextDep, remote: RemoteListsDep) -> JSONResponse:
    """Verify a paper credential: JSON ``{"qr": "VSC1:..."}`` or a PNG/JPEG/PDF upload (field ``file``)."""
    status, body = paper.report_body(observe_verification(paper.verify_qr(ctx, text, remote)))
    return JSONResponse(body, status_code=status)
