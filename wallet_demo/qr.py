"""QR codes in and out: read an offer or a request from a picture, draw the paper QR of a credential.

Pictures are decoded on the server with zxing-cpp, so a phone whose browser has no
``BarcodeDetector`` can still send a photo. The paper QR is drawn as inline SVG (segno) at error
correction Q, like the printed certificate, large and with its quiet zone so a counsellor's
scanner reads it from the screen.
"""

from __future__ import annotations

import io

import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

from wallet_demo.errors import WalletError

__all__ = ["LINK_PREFIXES", "MAX_PIXELS", "link_from_picture", "offer_from_picture", "qr_svg"]

MAX_PIXELS = 40_000_000
# Offers and presentation requests: the wallet has one way in for both.
LINK_PREFIXES = ("openid-credential-offer:", "openid4vp:", "https://", "http://")


def offer_from_picture(data: bytes, *, max_bytes: int) -> str:
    """The text of the first QR code in the picture that looks like an offer (or request) link."""
    return link_from_picture(data, max_bytes=max_bytes, not_found="qr_not_found")


def link_from_picture(data: bytes, *, max_bytes: int, not_found: str) -> str:
    """The first QR code in the picture that is an offer or request link; ``not_found`` if none."""
    if len(data) > max_bytes:
        raise WalletError("picture_too_large", f"{len(data)} bytes", status=413)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise WalletError("picture_too_large", f"{image.width}x{image.height} pixels", status=413)
            image.load()
            results = zxingcpp.read_barcodes(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise WalletError("unreadable_picture", f"the picture cannot be read: {exc}") from exc
    for result in results:
        text = result.text.strip()
        if text.lower().startswith(LINK_PREFIXES):
            return text
    raise WalletError(not_found, f"{len(results)} barcode(s), none an offer or request link")


def qr_svg(text: str, *, title: str) -> str:
    """Inline SVG of ``text`` as a QR code; the page's CSS sets its displayed size."""
    code = segno.make(text, error="q", micro=False)
    svg: str = code.svg_inline(scale=4, border=4, title=title, svgclass="paper-qr", omitsize=True)
    return svg
