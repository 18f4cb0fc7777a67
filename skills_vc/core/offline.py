"""Verify a paper credential offline: keys and accreditation from a verified trust list.

The same named checks run as online. Without a network the status list cannot be fetched: the
status check then says ``not_checked`` (code ``status_not_checked_offline``) unless a cached status
list is supplied, which must be signed by the issuer (checked with the trust list's keys) and be no
older than ``max_status_age``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from skills_vc.core.checks import Check, Report
from skills_vc.core.formats import ProofError, ResolvedKey
from skills_vc.core.formats.qr import PaperKey
from skills_vc.core.keys import b64url_decode, public_key_from_jwk
from skills_vc.core.trust import AccreditationStatus
from skills_vc.core.trustlist import TrustEntry, TrustList
from skills_vc.core.verify import StatusListLoader, StatusListUnavailable, VerifyContext, verify_presented

__all__ = ["DEFAULT_MAX_STATUS_AGE", "context_from_trust_list", "status_at_moment", "verify_offline"]

DEFAULT_MAX_STATUS_AGE = timedelta(days=7)
_NO_CACHE = "no cached status list"


def status_at_moment(entry: TrustEntry, moment: datetime) -> AccreditationStatus | None:
    """``accredited`` inside an accreditation period, ``pending`` before the first, else ``suspended``.

    The list names every registered association, so an issuer never accredited is reported as not
    trusted (``pending``) rather than as an unknown key.
    """
    if not entry.accreditation or moment < min(p.start for p in entry.accreditation):
        return "pending"
    for period in entry.accreditation:
        if period.start <= moment and (period.end is None or moment < period.end):
            return "accredited"
    return "suspended"


def context_from_trust_list(trust_list: TrustList, load: StatusListLoader, now: datetime) -> VerifyContext:
    """A ``VerifyContext`` whose keys and trust come only from ``trust_list``.

    Keys resolve by DID URL (a status list's ``vc+jwt``) or by the 16-hex-digit short kid of a QR.
    """
    keys: dict[str, ResolvedKey] = {}
    by_did = {entry.did: entry for entry in trust_list.entries}
    for entry in trust_list.entries:
        for k in entry.keys:
            resolved = PaperKey(
                kid=k.kid,
                controller=entry.did,
                algorithm=k.algorithm,
                key=public_key_from_jwk(k.jwk),
                slug=entry.slug,
                status_list_base=entry.status_list_base,
            )
            keys[k.kid] = keys[k.short_kid.lower()] = resolved

    def resolve(kid: str) -> ResolvedKey:
        try:
            return keys[kid]
        except KeyError:
            raise ProofError("unknown_key", f"{kid} is not a key in the trust list") from None

    def trust(did: str, moment: datetime) -> tuple[str, AccreditationStatus | None] | None:
        entry = by_did.get(did)
        return None if entry is None else (entry.legal_name, status_at_moment(entry, moment))

    return VerifyContext(resolve_key=resolve, trust=trust, load_status_list=load, now=now)


def _claims(secured: str) -> dict[str, Any]:
    try:
        payload = orjson.loads(b64url_decode(secured.split(".")[1]))
    except (IndexError, ValueError, orjson.JSONDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def verify_offline(
    presented: Any,
    trust_list: TrustList,
    *,
    now: datetime,
    status_lists: Sequence[str] = (),
    max_status_age: timedelta = DEFAULT_MAX_STATUS_AGE,
) -> Report:
    """Every named check on ``presented`` with no network: the trust list must already be verified."""
    cached = {str(_claims(text).get("id")): text.strip() for text in status_lists}

    def load(url: str) -> str:
        text = cached.get(url)
        if text is None:
            raise StatusListUnavailable(_NO_CACHE)
        iat = _claims(text).get("iat")
        if not isinstance(iat, int) or now.timestamp() - iat > max_status_age.total_seconds():
            raise StatusListUnavailable(f"the cached status list is older than {max_status_age}")
        return text

    report = verify_presented(presented, context_from_trust_list(trust_list, load, now))
    status = report.check("status")
    if status is not None and status.code == "status_unavailable":
        detail = str(status.params.get("detail", ""))
        code = "status_not_checked_offline" if detail == _NO_CACHE else "status_list_too_old"
        report.checks[report.checks.index(status)] = Check("status", "not_checked", code, {"detail": detail})
    return report
