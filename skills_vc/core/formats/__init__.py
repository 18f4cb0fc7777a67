"""Securing formats: one module per format, one interface, a registry to dispatch on.

``vc+jwt`` is the first; the paper QR, SD-JWT VC and Data Integrity proofs register beside it.
Verification detects the format of what was presented and lets that format check the proof.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from skills_vc.core.keys import PrivateKey, PublicKey

__all__ = [
    "FORMATS",
    "KeyResolver",
    "PassedCheck",
    "ProofError",
    "ResolvedKey",
    "SecuredCredential",
    "SecuringFormat",
    "Signer",
    "detect_format",
    "enveloped",
    "get_format",
    "register",
]


@dataclass(frozen=True)
class PassedCheck:
    """A check a format made itself and passed (SD-JWT: ``disclosures``, ``key_binding``)."""

    name: str
    code: str
    params: dict[str, Any]


class ProofError(Exception):
    """The proof of a secured credential does not hold; ``code`` is the failed check's code.

    A proof error is fatal: nothing else in the presented credential is trusted. ``check`` names
    the check that failed (``signature`` unless the format says otherwise, e.g. ``disclosures``),
    and ``passed`` the format's own checks that held before it.
    """

    def __init__(
        self, code: str, detail: str, *, check: str = "signature", passed: tuple[PassedCheck, ...] = ()
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.check = check
        self.passed = passed


@dataclass(frozen=True)
class Signer:
    """A private key in memory and the DID URL that names its public half."""

    key: PrivateKey
    kid: str
    algorithm: str


@dataclass(frozen=True)
class ResolvedKey:
    """A public key the registry knows, with the DID (controller) it belongs to."""

    kid: str
    controller: str
    algorithm: str
    key: PublicKey


# Returns the key named by a DID URL, or raises ProofError("unknown_key", ...).
KeyResolver = Callable[[str], ResolvedKey]


@dataclass(frozen=True)
class SecuredCredential:
    """What a format's ``verify`` returns: the credential it proved, and how."""

    format: str
    credential: dict[str, Any]
    kid: str
    issued_at: int | None
    secured: str
    # The JWT's own exp / nbf (NumericDate), when the secured form has them.
    expires_at: int | None = None
    not_before: int | None = None
    # The issuer's identifier when the secured form names it apart from the credential (SD-JWT's iss).
    issuer: str | None = None
    # Checks the format made beyond the signature, in order (SD-JWT: disclosures, key binding).
    passed: tuple[PassedCheck, ...] = ()


class SecuringFormat(Protocol):
    name: str
    media_type: str

    def detects(self, presented: Any) -> bool:
        """True if ``presented`` looks like this format (no verification)."""
        ...

    def secure(self, credential: dict[str, Any], signer: Signer, *, now: int) -> str:
        """Sign ``credential``; returns the secured form as text."""
        ...

    def secure_many(self, credentials: Sequence[dict[str, Any]], signer: Signer, *, now: int) -> list[str]:
        """Sign a batch (what bulk issuance calls); same result as ``secure`` on each."""
        ...

    def verify(self, presented: Any, resolve: KeyResolver, *, now: int | None = None) -> SecuredCredential:
        """Check the proof and return the credential, or raise ``ProofError``; ``now`` (epoch
        seconds) for formats whose proof has a time component (an SD-JWT's key binding)."""
        ...

    def read(self, secured: str) -> dict[str, Any]:
        """The credential inside a secured form this platform produced and stored (no check)."""
        ...


FORMATS: dict[str, SecuringFormat] = {}


def enveloped(presented: Any, prefixes: Sequence[str]) -> str | None:
    """The secured text in a bare string (a ``data:`` prefix removed) or in an
    ``EnvelopedVerifiableCredential`` whose id is a ``data:`` URL with one of ``prefixes``."""
    if isinstance(presented, str):
        text = presented.strip()
        return next((text[len(p) :] for p in prefixes if text.startswith(p)), text)
    contexts = presented.get("@context") if isinstance(presented, dict) else None
    # VC 2.0: an envelope is a credential too, so its first context is the VC 2.0 one.
    if (
        isinstance(presented, dict)
        and isinstance(contexts, list)
        and contexts[:1] == ["https://www.w3.org/ns/credentials/v2"]
        and presented.get("type") in ("EnvelopedVerifiableCredential", ["EnvelopedVerifiableCredential"])
    ):
        ident = presented.get("id")
        if isinstance(ident, str):
            return next((ident[len(p) :] for p in prefixes if ident.startswith(p)), None)
    return None


def register(fmt: SecuringFormat) -> SecuringFormat:
    FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str) -> SecuringFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ProofError("unsupported_format", f"unknown securing format {name!r}") from None


def detect_format(presented: Any) -> SecuringFormat:
    """The registered format that recognises ``presented``, or ``ProofError(unsupported_format)``."""
    for fmt in FORMATS.values():
        if fmt.detects(presented):
            return fmt
    raise ProofError(
        "unsupported_format",
        "the credential is in no supported securing format (supported: " + ", ".join(FORMATS) + ")",
    )


def _register_builtin() -> None:
    from skills_vc.core.formats import qr, sdjwt, vcjwt

    # The paper QR first: its Base45 text may hold two dots and look like a compact JWT.
    register(qr.VscQr())
    register(sdjwt.SdJwtVc())
    register(vcjwt.VcJwt())


_register_builtin()
