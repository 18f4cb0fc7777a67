"""Verify a verifiable presentation: the holder's proof, the verifier's challenge and domain, the
credentials it carries, and that they are the holder's.

Three forms are read (W3C VC API ``POST /presentations/verify``):

- ``vp+jwt`` (VC-JOSE-COSE), bare or in an ``EnvelopedVerifiablePresentation``: the JWT payload is
  the ``VerifiablePresentation`` itself (no ``vp`` claim), signed by the holder's key that ``kid``
  names as a ``did:jwk`` or ``did:key`` DID URL; ``nonce`` answers the challenge, ``aud`` the domain;
  each credential is an ``EnvelopedVerifiableCredential``.
- an SD-JWT closed by a key binding JWT: the KB-JWT is the holder's proof, its ``nonce`` and ``aud``
  the answers (the SD-JWT format already checked its signature and ``sd_hash``).
- a ``VerifiablePresentation`` object with no proof, or with a proof of a kind not supported here
  (Data Integrity): its credentials are verified one by one and reported, but nothing proves who
  presents them, so it is never verified (VC 2.0 section 1.3: a conforming document MUST be secured).

A proof that does not hold is fatal, as for a credential: nothing else is checked. Pure: the
credentials are verified by a callable the service passes in, and the clock comes in as ``now``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from skills_vc.core.checks import Check, Report
from skills_vc.core.holder import did_jwk, jwk_from_did
from skills_vc.core.jws import JwsFormatError
from skills_vc.core.keys import public_jwk, public_key_from_jwk
from skills_vc.core.vp_forms import (
    PresentationError,
    ProvenPresentation,
    classify,
    credentials_of,
    verify_vp_jwt,
)
from skills_vc.core.vp_report import PresentationReport, skip_after_proof

__all__ = [
    "CredentialVerifier",
    "PresentationError",
    "PresentationOptions",
    "PresentationReport",
    "verify_presentation",
]

# The verifier of one credential (a vc+jwt envelope, an SD-JWT...): the service's verify.
CredentialVerifier = Callable[[Any], Report]


@dataclass(frozen=True)
class PresentationOptions:
    """What the verifier asked for: the presentation must answer ``challenge`` (its nonce) and be
    meant for ``domain`` (its audience). ``None``: not asked."""

    challenge: str | None = None
    domain: str | None = None


def _answer(name: str, asked: str | None, given: Any) -> Check:
    """The ``challenge`` (nonce) or ``domain`` (aud) check."""
    if asked is None:
        return Check(name, "not_checked", f"{name}_not_requested")
    if given is None:
        return Check(name, "failed", f"{name}_missing", {"expected": asked})
    matches = asked in given if name == "domain" and isinstance(given, list) else given == asked
    if not matches:
        return Check(name, "failed", f"{name}_mismatch", {"expected": asked, "found": str(given)[:200]})
    return Check(name, "passed", f"{name}_valid", {"value": asked})


def _credentials_check(reports: list[Report]) -> Check:
    if not reports:
        return Check("credentials", "passed", "credentials_none")
    for position, report in enumerate(reports, start=1):
        if not report.verified:
            failed = next((c for c in report.checks if c.status == "failed"), None)
            params = {
                "position": position,
                "check": failed.name if failed else "?",
                "code": failed.code if failed else "?",
            }
            return Check("credentials", "failed", "credential_not_verified", params)
    return Check("credentials", "passed", "credentials_verified", {"count": len(reports)})


def _subject_keys(credential: dict[str, Any]) -> list[dict[str, str]]:
    """The holder keys a credential names: its subjects' did:jwk / did:key ids, its ``cnf.jwk``."""
    subjects = credential.get("credentialSubject")
    subjects = subjects if isinstance(subjects, list) else [subjects]
    keys = []
    for subject in subjects:
        ident = subject.get("id") if isinstance(subject, dict) else None
        if isinstance(ident, str):
            try:
                keys.append(jwk_from_did(ident)[0])
            except (ValueError, TypeError, KeyError, JwsFormatError):
                continue
    cnf = credential.get("cnf")
    if isinstance(cnf, dict) and isinstance(cnf.get("jwk"), dict):
        with contextlib.suppress(ValueError, TypeError, KeyError):
            keys.append(public_jwk(public_key_from_jwk(cnf["jwk"])))
    return keys


def _holder_binding(proven: ProvenPresentation, reports: list[Report]) -> Check:
    holder = proven.presentation.get("holder")
    named = holder.get("id") if isinstance(holder, dict) else holder
    for claimed in (named, proven.iss):
        if claimed is not None and claimed != proven.holder:
            return Check(
                "holder_binding",
                "failed",
                "holder_mismatch",
                {"holder": proven.holder, "named": str(claimed)},
            )
    if not reports:
        return Check(
            "holder_binding", "not_checked", "holder_binding_no_credentials", {"holder": proven.holder}
        )
    for position, report in enumerate(reports, start=1):
        if report.credential is not None and proven.holder_jwk not in _subject_keys(report.credential):
            return Check(
                "holder_binding",
                "failed",
                "holder_not_subject",
                {"holder": proven.holder, "position": position},
            )
    return Check("holder_binding", "passed", "holder_binding_valid", {"holder": proven.holder})


def _vp_jwt(
    token: str, options: PresentationOptions, verify: CredentialVerifier, now: datetime
) -> PresentationReport:
    proven = verify_vp_jwt(token, int(now.timestamp()))
    entries = credentials_of(proven.presentation)
    reports = [verify(entry) for entry in entries]
    checks = [
        Check("presentation_signature", "passed", "presentation_signature_valid", {"holder": proven.holder}),
        _answer("challenge", options.challenge, proven.nonce),
        _answer("domain", options.domain, proven.aud),
        _credentials_check(reports),
    ]
    return PresentationReport("vp+jwt", proven.holder, checks, _holder_binding(proven, reports), reports)


def _sd_jwt(text: str, options: PresentationOptions, verify: CredentialVerifier) -> PresentationReport:
    report = verify(text)
    binding = report.check("key_binding")
    cnf = (report.credential or {}).get("cnf")
    holder = None
    if isinstance(cnf, dict) and isinstance(cnf.get("jwk"), dict):
        try:
            holder = did_jwk(cnf["jwk"])
        except (ValueError, TypeError, KeyError):
            holder = None
    if binding is None or binding.status != "passed":
        if binding is None and report.credential is not None:
            proof = Check("presentation_signature", "failed", "key_binding_missing")
        elif binding is None:
            proof = Check("presentation_signature", "skipped", "skipped_after_credential_proof")
        else:
            proof = Check("presentation_signature", "failed", binding.code, binding.params)
        checks = [proof, *skip_after_proof(("challenge", "domain")), _credentials_check([report])]
        unproven = Check("holder_binding", "not_checked", "holder_binding_unproven")
        return PresentationReport("dc+sd-jwt", holder, checks, unproven, [report])
    checks = [
        Check("presentation_signature", "passed", "presentation_signature_valid", {"holder": holder or "?"}),
        _answer("challenge", options.challenge, binding.params.get("nonce")),
        _answer("domain", options.domain, binding.params.get("aud")),
        _credentials_check([report]),
    ]
    bound = Check("holder_binding", "passed", "holder_binding_valid", {"holder": holder or "cnf.jwk"})
    return PresentationReport("dc+sd-jwt", holder, checks, bound, [report])


def _object(presentation: dict[str, Any], verify: CredentialVerifier) -> PresentationReport:
    reports = [verify(entry) for entry in credentials_of(presentation)]
    proof = presentation.get("proof")
    if proof is None:
        fmt, signature = "unsecured", Check("presentation_signature", "failed", "presentation_unsecured")
    else:
        kinds = [
            p.get("type") if isinstance(p, dict) else None
            for p in (proof if isinstance(proof, list) else [proof])
        ]
        detail = ", ".join(str(kind) for kind in kinds)
        fmt = "data-integrity" if "DataIntegrityProof" in kinds else "embedded-proof"
        signature = Check(
            "presentation_signature", "failed", "presentation_proof_unsupported", {"detail": detail}
        )
    checks = [signature, *skip_after_proof(("challenge", "domain")), _credentials_check(reports)]
    unproven = Check("holder_binding", "not_checked", "holder_binding_unproven")
    return PresentationReport(fmt, None, checks, unproven, reports)


def verify_presentation(
    presented: Any, options: PresentationOptions, verify: CredentialVerifier, *, now: datetime
) -> PresentationReport:
    """Every check on ``presented`` (a vp+jwt, an SD-JWT with its KB-JWT, a presentation object)."""
    fmt: str | None = None
    try:
        fmt, value = classify(presented)
        if fmt == "vp+jwt":
            return _vp_jwt(value, options, verify, now)
        if fmt == "dc+sd-jwt":
            return _sd_jwt(value, options, verify)
        return _object(value, verify)
    except PresentationError as exc:
        failed = Check("presentation_signature", "failed", exc.code, {"detail": exc.detail})
        checks = [failed, *skip_after_proof(("challenge", "domain", "credentials"))]
        known = fmt if fmt in ("vp+jwt", "dc+sd-jwt") else None
        return PresentationReport(known, None, checks, skip_after_proof(("holder_binding",))[0], [])
