"""What the counsellor sent: pasted text, or an uploaded image, PDF, JSON or text file.

A paper certificate (PNG, JPEG, PDF) has its QR read; a JSON file or pasted JSON is parsed (an
``EnvelopedVerifiableCredential``, or a body holding one under ``verifiableCredential``);
anything else is taken as text (a ``vc+jwt`` or ``VSC1:`` QR text).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from skills_vc.errors import PayloadTooLargeError, ValidationFailed
from skills_vc.services import qr_scan

__all__ = ["MAX_TEXT_CHARS", "UPLOAD_LIMIT_BYTES", "read_presented"]

UPLOAD_LIMIT_BYTES = qr_scan.MAX_UPLOAD_BYTES
MAX_TEXT_CHARS = 200_000
_IMAGE_MAGIC = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")


def _json(text: str) -> Any:
    try:
        value: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ValidationFailed(
            "the text looks like JSON but is not valid JSON", code="malformed_json"
        ) from None
    # A VC API body or response, or this platform's credential record, holds the credential.
    for key in ("verifiableCredential", "verifiable_credential"):
        if isinstance(value, dict) and key in value:
            return value[key]
    return value


def _from_text(text: str) -> Any:
    text = text.strip().removeprefix("\ufeff").strip()
    if not text:
        raise ValidationFailed("paste a credential or choose a file", code="empty_input", status=400)
    if len(text) > MAX_TEXT_CHARS:
        raise PayloadTooLargeError(
            f"pasted text is limited to {MAX_TEXT_CHARS} characters", code="text_too_long"
        )
    return _json(text) if text.startswith(("{", "[")) else text


async def _from_upload(upload: UploadFile) -> Any:
    data = await upload.read(UPLOAD_LIMIT_BYTES + 1)
    if len(data) > UPLOAD_LIMIT_BYTES:
        raise PayloadTooLargeError(
            f"uploads are limited to {UPLOAD_LIMIT_BYTES} bytes", code="upload_too_large"
        )
    if data.startswith(_IMAGE_MAGIC):
        return await run_in_threadpool(qr_scan.read_qr, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "the file is not an image, a PDF, JSON or text", code="unreadable_upload"
        ) from None
    return _from_text(text)


async def read_presented(request: Request) -> Any:
    """The credential to verify, from the form fields ``credential`` (text) and ``file``."""
    form = await request.form(max_files=1, max_fields=4)
    upload = form.get("file")
    # A browser sends an empty file part when no file was chosen: then the text field counts.
    if isinstance(upload, UploadFile) and upload.size:
        return await _from_upload(upload)
    text = form.get("credential")
    return _from_text(text if isinstance(text, str) else "")
