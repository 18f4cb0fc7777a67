"""The offer part of the pages: an OpenID4VCI credential offer shown as a QR code and a link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import segno

from skills_vc.services.wallet_offers import NewOffer

__all__ = ["OfferView", "offer_view"]


@dataclass(frozen=True)
class OfferView:
    offer_id: str
    offer_link: str
    tx_code: str
    expires_at: datetime
    qr: str  # a data: URI of the QR's SVG


def offer_view(offer: NewOffer) -> OfferView:
    """What the page shows; the QR holds only the offer link, never the transaction code."""
    qr = segno.make(offer.offer_link, error="m").svg_data_uri(scale=4, border=2)
    return OfferView(offer.offer_id, offer.offer_link, offer.tx_code, offer.expires_at, qr)
