"""Is a card still valid? The wallet asks the issuer's status lists itself, over HTTP.

A status list is trusted only once its signature checks against the issuer's published keys (the
SD-JWT's JWT VC issuer metadata, the vc+jwt's DID document) and it is the list the credential
points to; otherwise the status is "unknown", never "valid". A card is valid only when every one
of its formats says so; revoked or suspended as soon as one does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from wallet_demo.cache import TtlCache
from wallet_demo.cards import format_kind, read_claims
from wallet_demo.issuer_keys import IssuerKeyError, IssuerKeys
from wallet_demo.jose import JoseError, read_jws
from wallet_demo.remote import Remote, RemoteError
from wallet_demo.sdjwt import SdJwtError
from wallet_demo.status_lists import (
    INVALID,
    SUSPENDED,
    VALID,
    StatusListError,
    bitstring_bit,
    token_status_value,
)
from wallet_demo.store import StoredCard

__all__ = ["CardStatus", "FormatStatus", "Status", "StatusChecker"]

Status = Literal["valid", "revoked", "suspended", "unknown"]
_UNREADABLE = (IssuerKeyError, JoseError, RemoteError, SdJwtError, StatusListError)


class _Unknown(Exception):
    """The status cannot be established; the message says why (shown on the detail page)."""


@dataclass(frozen=True)
class FormatStatus:
    format: str
    status: Status
    detail: str | None = None


@dataclass(frozen=True)
class CardStatus:
    status: Status
    parts: tuple[FormatStatus, ...]
    checked_at: datetime


def combine(parts: list[FormatStatus]) -> Status:
    """Revoked beats suspended beats unknown; valid needs every part valid."""
    found = {p.status for p in parts}
    order: tuple[Status, ...] = ("revoked", "suspended", "unknown")
    for status in order:
        if status in found:
            return status
    return "valid" if parts else "unknown"


class StatusChecker:
    """Fetches and checks status lists; verified lists are cached for ``cache_seconds``."""

    def __init__(
        self, remote: Remote, keys: IssuerKeys, *, cache_seconds: int, clock: Callable[[], datetime]
    ) -> None:
        self.remote = remote
        self.keys = keys
        self.clock = clock
        self.lists: TtlCache[dict[str, Any]] = TtlCache(cache_seconds, clock)

    def check(self, card: StoredCard, *, fresh: bool = False) -> CardStatus:
        """The status of every format of ``card``; ``fresh`` skips the caches ("check again")."""
        scheme = urlsplit(card.credential_issuer).scheme or "https"
        parts = []
        for credential in card.credentials:
            try:
                if format_kind(credential.format) == "sd-jwt":
                    status = self._sd_jwt(credential.raw, fresh)
                else:
                    status = self._vc_jwt(credential.raw, scheme, fresh)
                parts.append(FormatStatus(credential.format, status))
            except (_Unknown, *_UNREADABLE) as exc:
                parts.append(FormatStatus(credential.format, "unknown", str(exc)))
        return CardStatus(combine(parts), tuple(parts), self.clock())

    def _now(self) -> int:
        return int(self.clock().timestamp())

    def _sd_jwt(self, raw: str, fresh: bool) -> Status:
        claims = read_claims("dc+sd-jwt", raw)
        reference = (
            (claims.get("status") or {}).get("status_list")
            if isinstance(claims.get("status"), dict)
            else None
        )
        if not isinstance(reference, dict):
            raise _Unknown("the credential has no status_list reference")
        uri, issuer = reference.get("uri"), claims.get("iss")
        if not isinstance(uri, str) or not isinstance(issuer, str):
            raise _Unknown("the status reference has no uri, or the credential no iss")
        payload = self.lists.get(
            f"token|{issuer}|{uri}", lambda: self._token_list(uri, issuer, fresh), fresh=fresh
        )
        value = token_status_value(payload.get("status_list"), reference.get("idx"))
        return {VALID: "valid", INVALID: "revoked", SUSPENDED: "suspended"}.get(value, "unknown")  # type: ignore[return-value]

    def _token_list(self, uri: str, issuer: str, fresh: bool) -> dict[str, Any]:
        jws = read_jws(self.remote.get_text(uri, "application/statuslist+jwt"))
        if jws.header.get("typ") != "statuslist+jwt":
            raise _Unknown(f"the status list's typ is {jws.header.get('typ')!r}, not statuslist+jwt")
        self.keys.verify_sd_jwt_issuer(jws, issuer, fresh=fresh)
        if jws.payload.get("sub") != uri:
            raise _Unknown("the status list's sub is not the URI the credential points to")
        self._not_expired(jws.payload.get("exp"))
        return jws.payload

    def _not_expired(self, exp: Any) -> None:
        if isinstance(exp, int | float) and not isinstance(exp, bool) and exp <= self._now():
            raise _Unknown("the status list has expired")

    def _vc_jwt(self, raw: str, scheme: str, fresh: bool) -> Status:
        payload = read_claims("jwt_vc_json", raw)
        issuer = payload.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        entries = payload.get("credentialStatus")
        entries = [entries] if isinstance(entries, dict) else entries
        if not isinstance(issuer_id, str) or not isinstance(entries, list):
            raise _Unknown("the credential has no issuer id or no credentialStatus")
        found: set[str] = set()
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
                continue
            url, purpose = entry.get("statusListCredential"), entry.get("statusPurpose")
            if not isinstance(url, str) or purpose not in ("revocation", "suspension"):
                continue
            subject = self.lists.get(
                f"bitstring|{issuer_id}|{url}",
                lambda url=url: self._bitstring_list(url, issuer_id, scheme, fresh),  # type: ignore[misc]
                fresh=fresh,
            )
            declared = subject.get("statusPurpose")
            if purpose not in (declared if isinstance(declared, list) else [declared]):
                raise _Unknown(f"the list at {url} is not a {purpose} list")
            if bitstring_bit(subject.get("encodedList"), entry.get("statusListIndex")):
                found.add("revoked" if purpose == "revocation" else "suspended")
            else:
                found.add("checked")
        if not found:
            raise _Unknown("the credential has no Bitstring Status List entry")
        return "revoked" if "revoked" in found else "suspended" if "suspended" in found else "valid"

    def _bitstring_list(self, url: str, issuer_id: str, scheme: str, fresh: bool) -> dict[str, Any]:
        jws = read_jws(self.remote.get_text(url, "application/vc+jwt"))
        list_issuer = jws.payload.get("issuer")
        list_issuer_id = list_issuer.get("id") if isinstance(list_issuer, dict) else list_issuer
        if list_issuer_id != issuer_id:
            raise _Unknown("the status list was issued by someone else than the credential")
        self.keys.verify_did_signer(jws, issuer_id, scheme=scheme, fresh=fresh)
        valid_until = jws.payload.get("validUntil")
        if isinstance(valid_until, str):
            try:
                ends = datetime.fromisoformat(valid_until.replace("Z", "+00:00"))
            except ValueError:
                raise _Unknown("the status list's validUntil cannot be read") from None
            if ends.astimezone(UTC) <= self.clock():
                raise _Unknown("the status list has expired")
        self._not_expired(jws.payload.get("exp"))
        subject = jws.payload.get("credentialSubject")
        if not isinstance(subject, dict):
            raise _Unknown("the status list has no credentialSubject")
        return subject
