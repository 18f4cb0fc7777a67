"""Verify a presented credential: the named checks of ``checks.py`` in order, failing closed.

Everything that needs the outside world comes in as a callable (the registry's keys, the
accreditation history, status list retrieval) and the clock as ``now``, so this module stays pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from skills_vc.core.checks import CHECK_NAMES, Check, Report
from skills_vc.core.formats import KeyResolver, ProofError, SecuredCredential, detect_format
from skills_vc.core.formats.vcjwt import issuer_id
from skills_vc.core.schema import SchemaViolation, validate_credential
from skills_vc.core.status import StatusListError, bit_at, decode_list, entry_from_credential
from skills_vc.core.tokenstatus import INVALID, SUSPENDED, VALID, TokenStatusList, value_at, verify_list
from skills_vc.core.trust import AccreditationStatus

__all__ = [
    "StatusListLoader",
    "StatusListUnavailable",
    "TrustLookup",
    "VerifiedListCache",
    "VerifyContext",
    "verify_presented",
]


class StatusListUnavailable(Exception):
    """Raised by a status list loader when the list cannot be retrieved."""


# (issuer DID, moment of issuance) -> (display name, status at that moment); None if unknown.
TrustLookup = Callable[[str, datetime], tuple[str, AccreditationStatus | None] | None]
# status list URL -> the secured list credential as presented by its server.
StatusListLoader = Callable[[str], str]
# The disclosed claims of an SD-JWT VC -> the ids of the schemas applied (raises SchemaViolation).
ClaimsValidator = Callable[[dict[str, Any]], list[str]]


@dataclass(frozen=True)
class _VerifiedList:
    issuer: str | None
    purposes: tuple[str, ...]
    url: str | None
    bitstring: bytes


class VerifiedListCache:
    """Status lists whose signature was already checked, keyed by their exact secured text.

    The loader is still asked for the list every time (so a change is seen at once); only the
    signature check and decoding are skipped when the text is byte-for-byte the same.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: dict[str, _VerifiedList | TokenStatusList] = {}
        self._max = max_entries

    def get(self, text: str) -> _VerifiedList | None:
        found = self._entries.get(text)
        return found if isinstance(found, _VerifiedList) else None

    def get_token_list(self, text: str) -> TokenStatusList | None:
        found = self._entries.get(text)
        return found if isinstance(found, TokenStatusList) else None

    def put(self, text: str, verified: _VerifiedList | TokenStatusList) -> None:
        if len(self._entries) >= self._max:
            self._entries.pop(next(iter(self._entries)))
        self._entries[text] = verified


@dataclass(frozen=True)
class VerifyContext:
    resolve_key: KeyResolver
    trust: TrustLookup
    load_status_list: StatusListLoader
    now: datetime
    list_cache: VerifiedListCache | None = None
    check_claims: ClaimsValidator | None = None


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a string")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no timezone")
    return moment


def _signature(presented: Any, ctx: VerifyContext, report: Report) -> SecuredCredential | None:
    try:
        fmt = detect_format(presented)
        report.format = fmt.name
        secured = fmt.verify(presented, ctx.resolve_key, now=int(ctx.now.timestamp()))
    except ProofError as exc:
        # The checks the format passed before the failing one (an SD-JWT's signature before a
        # disclosure that it does not cover); nothing after a failed proof is checked.
        report.checks.extend(Check(p.name, "passed", p.code, p.params) for p in exc.passed)
        report.checks.append(Check(exc.check, "failed", exc.code, {"detail": exc.detail}))
        for name in CHECK_NAMES[1:]:
            report.checks.append(Check(name, "skipped", "skipped_after_signature"))
        return None
    issuer = _issuer(secured) or "?"
    report.checks.append(Check("signature", "passed", "signature_valid", {"issuer": issuer}))
    report.checks.extend(Check(p.name, "passed", p.code, p.params) for p in secured.passed)
    report.credential = secured.credential
    return secured


def _issuer(secured: SecuredCredential) -> str | None:
    return secured.issuer or issuer_id(secured.credential)


def _issued_at(secured: SecuredCredential) -> datetime | None:
    if secured.issued_at is not None:
        return datetime.fromtimestamp(secured.issued_at, tz=UTC)
    try:
        return _parse_time(secured.credential.get("validFrom"))
    except ValueError:
        return None


def _issuer_trusted(secured: SecuredCredential, ctx: VerifyContext) -> Check:
    issuer = _issuer(secured) or ""
    moment = _issued_at(secured)
    if moment is None:
        return Check("issuer_trusted", "failed", "issuer_not_trusted", {"detail": "no issuance time"})
    known = ctx.trust(issuer, moment)
    if known is None:
        return Check("issuer_trusted", "failed", "issuer_not_trusted", {"detail": "not in the registry"})
    name, status = known
    if status != "accredited":
        detail = "not yet registered" if status is None else f"status then: {status}"
        return Check(
            "issuer_trusted", "failed", "issuer_not_trusted", {"detail": detail, "issuer_name": name}
        )
    return Check("issuer_trusted", "passed", "issuer_accredited", {"issuer_name": name})


def _validity_period(secured: SecuredCredential, now: datetime) -> Check:
    credential = secured.credential
    moment = now.timestamp()
    if secured.expires_at is not None and moment > secured.expires_at:
        expired_at = datetime.fromtimestamp(secured.expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Check("validity_period", "failed", "expired", {"valid_until": expired_at})
    if secured.not_before is not None and moment < secured.not_before:
        start = datetime.fromtimestamp(secured.not_before, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Check("validity_period", "failed", "not_yet_valid", {"valid_from": start})
    try:
        valid_from = _parse_time(credential["validFrom"]) if "validFrom" in credential else None
        valid_until = _parse_time(credential["validUntil"]) if "validUntil" in credential else None
    except ValueError:
        return Check("validity_period", "failed", "invalid_validity_period")
    if valid_from and valid_until and valid_from > valid_until:
        return Check("validity_period", "failed", "invalid_validity_period")
    if valid_from and now < valid_from:
        return Check("validity_period", "failed", "not_yet_valid", {"valid_from": credential["validFrom"]})
    if valid_until and now > valid_until:
        return Check("validity_period", "failed", "expired", {"valid_until": credential["validUntil"]})
    return Check("validity_period", "passed", "within_validity_period")


def _token_status(secured: SecuredCredential, ctx: VerifyContext) -> Check:
    """An SD-JWT VC's ``status.status_list {idx, uri}`` in an IETF Token Status List."""
    raw = secured.credential.get("status")
    if raw is None:
        return Check("status", "passed", "status_none")
    reference = raw.get("status_list") if isinstance(raw, dict) else None
    if not isinstance(reference, dict):
        return Check("status", "failed", "status_entry_invalid", {"detail": "status has no status_list"})
    index, uri = reference.get("idx"), reference.get("uri")
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(uri, str):
        return Check("status", "failed", "status_entry_invalid", {"detail": "status_list needs idx and uri"})
    try:
        text = ctx.load_status_list(uri)
    except StatusListUnavailable as exc:
        return Check("status", "failed", "status_unavailable", {"detail": str(exc)})
    try:
        cached = ctx.list_cache.get_token_list(text) if ctx.list_cache is not None else None
        if cached is not None and cached.uri == uri:
            listed = cached
        else:
            listed = verify_list(text, ctx.resolve_key, uri=uri, now=int(ctx.now.timestamp()))
            # A list without exp is cached by its exact text, like the bitstring lists.
            if ctx.list_cache is not None and listed.expires_at is None:
                ctx.list_cache.put(text, listed)
        if listed.issuer != secured.issuer:
            raise StatusListError("status_list_invalid", "the list was issued by another issuer")
        value = value_at(listed.data, listed.bits, index)
    except StatusListError as exc:
        return Check("status", "failed", exc.code, {"detail": str(exc)})
    if value == VALID:
        return Check("status", "passed", "status_active")
    if value == INVALID:
        return Check("status", "failed", "revoked")
    if value == SUSPENDED:
        return Check("status", "failed", "suspended")
    return Check("status", "failed", "status_list_invalid", {"detail": f"unknown status value {value}"})


def _status(secured: SecuredCredential, ctx: VerifyContext) -> Check:
    if secured.format == "dc+sd-jwt":
        return _token_status(secured, ctx)
    raw = secured.credential.get("credentialStatus")
    if raw is None:
        return Check("status", "passed", "status_none")
    entries = raw if isinstance(raw, list) else [raw]
    issuer = issuer_id(secured.credential)
    found: list[str] = []
    try:
        for item in entries:
            entry = entry_from_credential(item)
            try:
                text = ctx.load_status_list(entry.list_url)
            except StatusListUnavailable as exc:
                return Check("status", "failed", "status_unavailable", {"detail": str(exc)})
            verified = _verified_list(text, ctx)
            _check_list_credential(verified, issuer, entry.purpose, entry.list_url)
            if bit_at(verified.bitstring, entry.index):
                found.append(entry.purpose)
    except StatusListError as exc:
        return Check("status", "failed", exc.code, {"detail": str(exc)})
    if "revocation" in found:
        return Check("status", "failed", "revoked")
    if "suspension" in found:
        return Check("status", "failed", "suspended")
    return Check("status", "passed", "status_active")


def _verified_list(text: str, ctx: VerifyContext) -> _VerifiedList:
    """Check a list credential's proof and decode it (once per distinct text, with a cache)."""
    cached = ctx.list_cache.get(text) if ctx.list_cache is not None else None
    if cached is not None:
        return cached
    try:
        listed = detect_format(text).verify(text, ctx.resolve_key).credential
    except ProofError as exc:
        raise StatusListError("status_list_invalid", exc.detail) from exc
    types = listed.get("type", [])
    subject = listed.get("credentialSubject")
    if "BitstringStatusListCredential" not in types or not isinstance(subject, dict):
        raise StatusListError("status_list_invalid", "not a BitstringStatusListCredential")
    try:
        valid_until = _parse_time(listed["validUntil"]) if "validUntil" in listed else None
    except ValueError:
        raise StatusListError("status_list_invalid", "the list's validUntil is malformed") from None
    if valid_until is not None and ctx.now > valid_until:
        raise StatusListError("status_list_invalid", "the status list has expired")
    purposes = subject.get("statusPurpose")
    url = listed.get("id")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise StatusListError("status_list_invalid", "the list has no encodedList")
    verified = _VerifiedList(
        issuer=issuer_id(listed),
        purposes=tuple(str(p) for p in (purposes if isinstance(purposes, list) else [purposes])),
        url=url if isinstance(url, str) else None,
        bitstring=decode_list(encoded),
    )
    if ctx.list_cache is not None and valid_until is None:
        ctx.list_cache.put(text, verified)
    return verified


def _check_list_credential(verified: _VerifiedList, issuer: str | None, purpose: str, url: str) -> None:
    if verified.issuer != issuer:
        raise StatusListError("status_list_invalid", "the list was issued by another issuer")
    if purpose not in verified.purposes:
        raise StatusListError("status_list_invalid", f"the list is not for {purpose}")
    if verified.url not in (None, url):
        raise StatusListError("status_list_invalid", "the list's id differs from its URL")


def _schema(secured: SecuredCredential, ctx: VerifyContext) -> Check:
    try:
        if secured.format == "dc+sd-jwt":
            if ctx.check_claims is None:
                raise SchemaViolation("schema_unavailable", "no schema is known for SD-JWT VC claims")
            applied = ctx.check_claims(secured.credential)
        else:
            applied = validate_credential(secured.credential)
    except SchemaViolation as exc:
        return Check("schema", "failed", exc.code, {"detail": str(exc)})
    return Check("schema", "passed", "schema_valid", {"schemas": ", ".join(applied)})


def verify_presented(presented: Any, ctx: VerifyContext) -> Report:
    """Run every check on ``presented`` (a ``vc+jwt``, an envelope...) and return the report."""
    report = Report(format=None)
    secured = _signature(presented, ctx, report)
    if secured is None:
        return report
    report.checks.append(_issuer_trusted(secured, ctx))
    report.checks.append(_validity_period(secured, ctx.now))
    report.checks.append(_status(secured, ctx))
    report.checks.append(_schema(secured, ctx))
    return report
