"""The offer part of the pages: an OpenID4VCI credential offer shown as a QR code and a link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

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
    demo_link: str | None = None  # the same offer in the demo wallet, when one is configured


def offer_view(offer: NewOffer, demo_wallet_url: str | None = None) -> OfferView:
    """What the page shows; the QR holds only the offer link, never the transaction code."""
    qr = segno.make(offer.offer_link, error="m").svg_data_uri(scale=4, border=2)
    demo = (
        f"{demo_wallet_url.rstrip('/')}/add?offer={quote(offer.offer_link, safe='')}"
        if demo_wallet_url
        else None
    )
    return OfferView(offer.offer_id, offer.offer_link, offer.tx_code, offer.expires_at, qr, demo)
