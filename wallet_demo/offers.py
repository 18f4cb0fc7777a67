"""Credential offers: the link a volunteer pastes or scans, and the offer object it leads to.

Pure functions (no network): the issuance flow fetches an offer by reference and hands the JSON
back here. Every refusal is an :class:`OfferError` whose ``code`` the pages translate, because a
volunteer needs to know whether they pasted the wrong thing or the offer itself is broken.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from wallet_demo.errors import WalletError

__all__ = [
    "PRE_AUTHORIZED_GRANT",
    "CredentialOffer",
    "OfferError",
    "OfferLink",
    "TxCode",
    "check_url",
    "parse_link",
    "parse_offer",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
_OFFER_SCHEMES = ("openid-credential-offer", "https", "http")
_MAX_LINK = 16_384


class OfferError(WalletError):
    """An offer link or offer the wallet cannot use; ``code`` selects the translated message."""


@dataclass(frozen=True)
class OfferLink:
    """What a link carries: the offer's URL (by reference) or the offer itself (by value)."""

    offer_uri: str | None = None
    offer: dict[str, Any] | None = None


@dataclass(frozen=True)
class TxCode:
    """The transaction code the issuer asks for (sent to the volunteer apart from the offer)."""

    input_mode: str = "numeric"
    length: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class CredentialOffer:
    """An offer with a pre-authorized code grant: the only grant this wallet runs."""

    credential_issuer: str
    configuration_ids: tuple[str, ...]
    pre_authorized_code: str
    tx_code: TxCode | None
    authorization_server: str | None


def check_url(url: Any, *, allow_http: bool, what: str) -> str:
    """``url`` if it is an absolute https URL (or http when allowed), else an ``OfferError``."""
    if not isinstance(url, str) or not url:
        raise OfferError("bad_offer", f"{what} is missing")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise OfferError("bad_offer", f"{what} is not an absolute URL without a fragment")
    if parts.scheme == "http" and not allow_http:
        raise OfferError("http_not_allowed", f"{what} uses plain http, which this wallet refuses")
    return url


def parse_link(text: str, *, allow_http: bool) -> OfferLink:
    """Read ``openid-credential-offer://?credential_offer_uri=…`` (or ``credential_offer=<json>``,
    or an https link with the same parameters)."""
    link = (text or "").strip()
    if not link:
        raise OfferError("empty_link", "no link was given")
    if len(link) > _MAX_LINK:
        raise OfferError("not_an_offer", "the text is too long to be an offer link")
    parts = urlsplit(link)
    if parts.scheme.lower() not in _OFFER_SCHEMES:
        raise OfferError("not_an_offer", "the text is not a credential offer link")
    params = parse_qs(parts.query, keep_blank_values=True)
    by_reference, by_value = params.get("credential_offer_uri"), params.get("credential_offer")
    if by_reference and by_value:
        raise OfferError("not_an_offer", "the link carries both credential_offer and credential_offer_uri")
    if by_reference:
        return OfferLink(
            offer_uri=check_url(by_reference[0], allow_http=allow_http, what="credential_offer_uri")
        )
    if by_value:
        try:
            offer = json.loads(by_value[0])
        except json.JSONDecodeError:
            raise OfferError("bad_offer", "credential_offer is not JSON") from None
        if not isinstance(offer, dict):
            raise OfferError("bad_offer", "credential_offer is not a JSON object")
        return OfferLink(offer=offer)
    raise OfferError("not_an_offer", "the link has neither credential_offer_uri nor credential_offer")


def _tx_code(value: Any) -> TxCode | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise OfferError("bad_offer", "tx_code is not an object")
    length = value.get("length")
    description = value.get("description")
    return TxCode(
        input_mode="text" if value.get("input_mode") == "text" else "numeric",
        length=length if isinstance(length, int) and 0 < length <= 64 else None,
        description=description if isinstance(description, str) else None,
    )


def parse_offer(value: Any, *, allow_http: bool) -> CredentialOffer:
    """Check an offer object and keep what the pre-authorized flow needs."""
    if not isinstance(value, dict):
        raise OfferError("bad_offer", "the offer is not a JSON object")
    issuer = check_url(value.get("credential_issuer"), allow_http=allow_http, what="credential_issuer")
    ids = value.get("credential_configuration_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise OfferError("bad_offer", "credential_configuration_ids is not a list of names")
    grants = value.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, dict) else None
    if not isinstance(grant, dict):
        raise OfferError("unsupported_grant", "the offer has no pre-authorized code grant")
    code = grant.get("pre-authorized_code")
    if not isinstance(code, str) or not code:
        raise OfferError("bad_offer", "the pre-authorized code is missing")
    server = grant.get("authorization_server")
    return CredentialOffer(
        credential_issuer=issuer,
        configuration_ids=tuple(dict.fromkeys(ids)),
        pre_authorized_code=code,
        tx_code=_tx_code(grant.get("tx_code")),
        authorization_server=server if isinstance(server, str) else None,
    )
