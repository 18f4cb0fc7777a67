"""Read a paper credential's QR from a photo or a scan (PNG, JPEG or PDF) with zxing-cpp."""

from __future__ import annotations

import io

import pypdfium2  # type: ignore[import-untyped]
import zxingcpp
from PIL import Image, UnidentifiedImageError

from skills_vc.errors import ValidationFailed

__all__ = ["MAX_PDF_PAGES", "MAX_PIXELS", "MAX_UPLOAD_BYTES", "read_qr"]

# The largest photo or scan of a certificate accepted for reading (the pages and the API agree).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_PDF_PAGES = 3
_PDF_DPI = 200


def _images_of_pdf(data: bytes) -> list[Image.Image]:
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        raise ValidationFailed("the upload is not a readable PDF", code="unreadable_upload") from None
    try:
        return [
            document[i].render(scale=_PDF_DPI / 72).to_pil() for i in range(min(len(document), MAX_PDF_PAGES))
        ]
    finally:
        document.close()


def _image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ValidationFailed("the image has too many pixels", code="image_too_large")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationFailed(
            "the upload is not a readable PNG or JPEG image", code="unreadable_upload"
        ) from None
    return image


def read_qr(data: bytes) -> str:
    """The text of the first ``VSC1:`` QR code in an image or PDF, or ``ValidationFailed``."""
    images = _images_of_pdf(data) if data[:5] == b"%PDF-" else [_image(data)]
    for image in images:
        for barcode in zxingcpp.read_barcodes(
            image.convert("L"), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        ):
            if barcode.text.startswith("VSC1:"):
                return barcode.text
    raise ValidationFailed("no paper credential QR code was found in the upload", code="qr_not_found")
