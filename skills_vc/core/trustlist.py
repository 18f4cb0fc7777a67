"""The signed trust list: the accredited associations, their keys and accreditation periods.

A compact JWS (``typ: trust-list+jwt``) signed by the platform operator. Offline verifiers keep a
copy and check it against the operator's public key they pinned: a list signed by any other key,
expired (``exp``) or not yet valid (``iat``) is refused with its own code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from skills_vc.core.jws import (
    ALGORITHMS,
    JwsFormatError,
    compact_json,
    json_object,
    sign_compact,
    split_compact,
    verify_signature,
)
from skills_vc.core.keys import PrivateKey, b64url, public_key_from_jwk

__all__ = [
    "TRUST_LIST_TYP",
    "AccreditationPeriod",
    "TrustEntry",
    "TrustList",
    "TrustListError",
    "TrustedKeyEntry",
    "sign_trust_list",
    "verify_trust_list",
]

TRUST_LIST_TYP = "trust-list+jwt"


class TrustListError(Exception):
    """The trust list is refused; ``code`` says why (``trust_list_*``)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class AccreditationPeriod:
    start: datetime
    end: datetime | None  # None: still accredited


@dataclass(frozen=True)
class TrustedKeyEntry:
    kid: str  # DID URL
    short_kid: str  # 16 hex digits: the paper QR's COSE kid
    algorithm: str
    jwk: dict[str, str]


@dataclass(frozen=True)
class TrustEntry:
    did: str
    slug: str
    legal_name: str
    enterprise_number: str
    status_list_base: str | None
    keys: tuple[TrustedKeyEntry, ...]
    accreditation: tuple[AccreditationPeriod, ...]


@dataclass(frozen=True)
class TrustList:
    issuer: str
    issued_at: int
    expires_at: int
    entries: tuple[TrustEntry, ...]


def _time(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _entry_json(entry: TrustEntry) -> dict[str, Any]:
    return {
        "did": entry.did,
        "slug": entry.slug,
        "legal_name": entry.legal_name,
        "enterprise_number": entry.enterprise_number,
        "status_list_base": entry.status_list_base,
        "keys": [
            {"kid": k.kid, "short_kid": k.short_kid, "alg": k.algorithm, "jwk": k.jwk} for k in entry.keys
        ],
        "accreditation": [{"from": _time(p.start), "until": _time(p.end)} for p in entry.accreditation],
    }


def sign_trust_list(trust_list: TrustList, key: PrivateKey, kid: str, algorithm: str) -> str:
    """The trust list as a compact JWS signed with the operator's key."""
    header = b64url(compact_json({"alg": algorithm, "kid": kid, "typ": TRUST_LIST_TYP}))
    payload = {
        "iss": trust_list.issuer,
        "iat": trust_list.issued_at,
        "exp": trust_list.expires_at,
        "entries": [_entry_json(e) for e in trust_list.entries],
    }
    return sign_compact(header, payload, key, algorithm)


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TrustListError("trust_list_malformed", "an accreditation time is not a NumericDate")
    return datetime.fromtimestamp(value, UTC)


def _parse_entry(raw: Any) -> TrustEntry:
    if not isinstance(raw, dict):
        raise TrustListError("trust_list_malformed", "an entry is not an object")
    try:
        keys = tuple(
            TrustedKeyEntry(
                kid=str(k["kid"]), short_kid=str(k["short_kid"]), algorithm=str(k["alg"]), jwk=k["jwk"]
            )
            for k in raw["keys"]
        )
        periods = []
        for p in raw["accreditation"]:
            start = _moment(p["from"])
            if start is None:
                raise TrustListError("trust_list_malformed", "an accreditation period has no start")
            periods.append(AccreditationPeriod(start, _moment(p["until"])))
        base = raw.get("status_list_base")
        return TrustEntry(
            did=str(raw["did"]),
            slug=str(raw["slug"]),
            legal_name=str(raw["legal_name"]),
            enterprise_number=str(raw["enterprise_number"]),
            status_list_base=base if isinstance(base, str) else None,
            keys=keys,
            accreditation=tuple(periods),
        )
    except (KeyError, TypeError) as exc:
        raise TrustListError("trust_list_malformed", f"an entry lacks {exc}") from None


def verify_trust_list(token: str, operator_jwk: dict[str, Any], *, now: datetime) -> TrustList:
    """Check the list's signature against the pinned operator key and its validity period at ``now``."""
    token = token.strip()
    try:
        header_bytes, payload_bytes, signature = split_compact(token)
        header, payload = json_object(header_bytes), json_object(payload_bytes)
    except JwsFormatError as exc:
        raise TrustListError("trust_list_malformed", f"the trust list is not a readable JWS: {exc}") from None
    if header.get("typ") != TRUST_LIST_TYP or header.get("alg") not in ALGORITHMS:
        raise TrustListError("trust_list_malformed", "the JOSE header is not that of a trust list")
    try:
        pinned = public_key_from_jwk(operator_jwk)
    except (ValueError, KeyError) as exc:
        raise TrustListError("trust_list_malformed", f"the pinned operator key is unusable: {exc}") from None
    if not verify_signature(token, header["alg"], pinned, signature):
        raise TrustListError(
            "trust_list_foreign_signature", "the trust list is not signed by the pinned operator key"
        )
    iat, exp = payload.get("iat"), payload.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int):
        raise TrustListError("trust_list_malformed", "the trust list has no iat/exp")
    moment = now.timestamp()
    if moment < iat:
        raise TrustListError("trust_list_not_yet_valid", "the trust list is not valid yet")
    if moment > exp:
        expired = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        raise TrustListError("trust_list_expired", f"the trust list expired on {expired}")
    raw_entries = payload.get("entries")
    entries: Sequence[Any] = raw_entries if isinstance(raw_entries, list) else []
    return TrustList(
        issuer=str(payload.get("iss", "")),
        issued_at=iat,
        expires_at=exp,
        entries=tuple(_parse_entry(e) for e in entries),
    )
