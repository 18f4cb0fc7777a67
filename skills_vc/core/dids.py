"""did:web identifiers for associations and their DID documents."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

__all__ = ["VerificationKey", "did_document", "did_for", "did_web_url", "split_did_url"]

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]


@dataclass(frozen=True)
class VerificationKey:
    """A public key published in a DID document (``fragment`` without ``#``)."""

    fragment: str
    public_jwk: dict[str, str]


def did_for(host: str, slug: str) -> str:
    """``did:web:<host>:issuers:<slug>``; a port's colon is percent-encoded as did:web requires."""
    return f"did:web:{quote(host, safe='')}:issuers:{slug}"


def did_web_url(did: str) -> str:
    """The HTTPS URL a did:web resolves to (``/.well-known/did.json`` when it has no path)."""
    if not did.startswith("did:web:"):
        raise ValueError(f"not a did:web: {did}")
    parts = did[len("did:web:") :].split(":")
    host = unquote(parts[0])
    path = "/".join(parts[1:]) if len(parts) > 1 else ".well-known"
    return f"https://{host}/{path}/did.json"


def split_did_url(did_url: str) -> tuple[str, str]:
    """``did:web:x#frag`` -> (``did:web:x``, ``frag``); raises ``ValueError`` without a fragment."""
    did, sep, fragment = did_url.partition("#")
    if not sep or not fragment or not did.startswith("did:"):
        raise ValueError(f"not a DID URL with a fragment: {did_url!r}")
    return did, fragment


def did_document(did: str, keys: Iterable[VerificationKey]) -> dict[str, Any]:
    """The DID document: every key (current and rotated) as a JsonWebKey2020 assertion method.

    Rotated keys stay listed so credentials signed before a rotation keep verifying.
    """
    methods = [
        {
            "id": f"{did}#{key.fragment}",
            "type": "JsonWebKey2020",
            "controller": did,
            "publicKeyJwk": key.public_jwk,
        }
        for key in keys
    ]
    ids = [method["id"] for method in methods]
    return {
        "@context": DID_CONTEXTS,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }
