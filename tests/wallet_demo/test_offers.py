"""Offer links: by reference, by value, https links, and every way a pasted text can be wrong."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.wallet_demo.builders import OFFER_URI, offer
from wallet_demo.offers import OfferError, parse_link, parse_offer


def test_by_reference() -> None:
    link = parse_link(
        "openid-credential-offer://?credential_offer_uri=" + quote(OFFER_URI, safe=""), allow_http=False
    )
    assert link.offer_uri == OFFER_URI and link.offer is None


def test_by_value() -> None:
    text = "openid-credential-offer://?credential_offer=" + quote(json.dumps(offer()), safe="")
    link = parse_link("  " + text + "\n", allow_http=False)
    assert link.offer == offer() and link.offer_uri is None


def test_https_link_with_the_same_parameters() -> None:
    link = parse_link(
        "https://wallet.example/accept?credential_offer_uri=" + quote(OFFER_URI), allow_http=False
    )
    assert link.offer_uri == OFFER_URI


def test_http_offer_uri_only_when_allowed() -> None:
    text = "openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fissuers%2Fa%2Foid4vci%2Foffers%2Fx"
    assert parse_link(text, allow_http=True).offer_uri == "http://127.0.0.1:8000/issuers/a/oid4vci/offers/x"
    with pytest.raises(OfferError) as caught:
        parse_link(text, allow_http=False)
    assert caught.value.code == "http_not_allowed"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_link"),
        ("   ", "empty_link"),
        ("hello", "not_an_offer"),
        ("VSC1:ABCDEF", "not_an_offer"),
        ("openid-credential-offer://?foo=bar", "not_an_offer"),
        ("mailto:someone@example.org?credential_offer_uri=https://x", "not_an_offer"),
        ("openid-credential-offer://?credential_offer_uri=a&credential_offer=%7B%7D", "not_an_offer"),
        ("openid-credential-offer://?credential_offer_uri=ftp%3A%2F%2Fx%2Fy", "bad_offer"),
        ("openid-credential-offer://?credential_offer_uri=%2Frelative", "bad_offer"),
        ("openid-credential-offer://?credential_offer=%7Bnot-json", "bad_offer"),
        ("openid-credential-offer://?credential_offer=%5B1%5D", "bad_offer"),
        ("openid-credential-offer://?credential_offer=" + "x" * 20_000, "not_an_offer"),
    ],
)
def test_bad_links(text: str, code: str) -> None:
    with pytest.raises(OfferError) as caught:
        parse_link(text, allow_http=False)
    assert caught.value.code == code
    assert str(caught.value)  # an English detail for the log


def test_offer_with_tx_code() -> None:
    parsed = parse_offer(offer(), allow_http=False)
    assert parsed.pre_authorized_code == "pre-code-1"
    assert parsed.configuration_ids == ("volunteer_activity_sd_jwt", "open_badge_jwt_vc_json")
    assert (
        parsed.tx_code is not None and parsed.tx_code.length == 6 and parsed.tx_code.input_mode == "numeric"
    )
    assert parse_offer(offer(tx_code=False), allow_http=False).tx_code is None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"credential_issuer": None}, "bad_offer"),
        ({"credential_issuer": "not a url"}, "bad_offer"),
        ({"credential_configuration_ids": []}, "bad_offer"),
        ({"credential_configuration_ids": [1]}, "bad_offer"),
        ({"grants": {"authorization_code": {}}}, "unsupported_grant"),
        ({"grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {}}}, "bad_offer"),
        (
            {
                "grants": {
                    "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                        "pre-authorized_code": "c",
                        "tx_code": 6,
                    }
                }
            },
            "bad_offer",
        ),
    ],
)
def test_bad_offers(change: dict[str, object], code: str) -> None:
    with pytest.raises(OfferError) as caught:
        parse_offer({**offer(), **change}, allow_http=False)
    assert caught.value.code == code


def test_offer_must_be_an_object() -> None:
    with pytest.raises(OfferError):
        parse_offer(["x"], allow_http=False)
