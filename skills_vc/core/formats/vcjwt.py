"""``vc+jwt``: W3C VC-JOSE-COSE. The JWT payload is the credential itself.

Header: ``alg`` (EdDSA or ES256), ``typ: vc+jwt``, ``kid`` the DID URL of the issuer's key.
Claims added beside the credential's own properties: ``iss`` (the issuer id), ``iat``, and
``jti`` (the credential id). Verification accepts only the algorithm of the resolved key, so
``alg: none`` and HMAC-with-the-public-key confusion fail before any signature check.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jwt
from jwt.exceptions import InvalidSignatureError, PyJWTError

from skills_vc.core.formats import KeyResolver, ProofError, SecuredCredential, Signer
from skills_vc.core.keys import b64url, b64url_decode

__all__ = ["ENVELOPE_PREFIX", "VcJwt", "issuer_id", "unwrap_envelope", "wrap_envelope"]

ENVELOPE_PREFIX = "data:application/vc+jwt,"
ALLOWED_ALGORITHMS = frozenset({"EdDSA", "ES256"})
_VC2 = "https://www.w3.org/ns/credentials/v2"


def issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def wrap_envelope(token: str) -> dict[str, Any]:
    """An ``EnvelopedVerifiableCredential`` carrying a ``vc+jwt`` (how the VC API returns it)."""
    return {"@context": [_VC2], "type": "EnvelopedVerifiableCredential", "id": ENVELOPE_PREFIX + token}


def unwrap_envelope(presented: Any) -> str | None:
    """The compact JWT inside an envelope or a bare string, else None."""
    if isinstance(presented, str):
        text = presented.strip()
        return text[len(ENVELOPE_PREFIX) :] if text.startswith(ENVELOPE_PREFIX) else text
    if isinstance(presented, dict) and presented.get("type") in (
        "EnvelopedVerifiableCredential",
        ["EnvelopedVerifiableCredential"],
    ):
        ident = presented.get("id")
        if isinstance(ident, str) and ident.startswith(ENVELOPE_PREFIX):
            return ident[len(ENVELOPE_PREFIX) :]
    return None


class VcJwt:
    name = "vc+jwt"
    media_type = "application/vc+jwt"

    def detects(self, presented: Any) -> bool:
        token = unwrap_envelope(presented)
        return token is not None and token.count(".") == 2 and "~" not in token

    def secure(self, credential: dict[str, Any], signer: Signer, *, now: int) -> str:
        iss = issuer_id(credential)
        if iss is None:
            raise ValueError("a credential needs an issuer id to be secured")
        payload = {**credential, "iss": iss, "iat": now}
        if isinstance(credential.get("id"), str):
            payload["jti"] = credential["id"]
        return jwt.encode(
            payload,
            signer.key,
            algorithm=signer.algorithm,
            headers={"typ": "vc+jwt", "kid": signer.kid},
        )

    def verify(self, presented: Any, resolve: KeyResolver) -> SecuredCredential:
        token = unwrap_envelope(presented)
        if token is None:
            raise ProofError("malformed_credential", "not a vc+jwt")
        _require_canonical(token)
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError as exc:
            raise ProofError("malformed_credential", f"the JWT cannot be parsed: {exc}") from exc
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise ProofError(
                "unsupported_algorithm",
                f"algorithm {alg!r} is not accepted (accepted: EdDSA, ES256)",
            )
        if header.get("typ") not in ("vc+jwt", "vc+ld+jwt"):
            raise ProofError("malformed_credential", f"JOSE header typ {header.get('typ')!r} is not vc+jwt")
        kid = header.get("kid")
        if not isinstance(kid, str) or "#" not in kid:
            raise ProofError("unknown_key", "the JOSE header has no kid naming a DID URL")
        key = resolve(kid)
        if key.algorithm != alg:
            raise ProofError(
                "unsupported_algorithm", f"key {kid} signs with {key.algorithm}, the token says {alg}"
            )
        try:
            payload = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                options={"verify_exp": True, "verify_nbf": True, "verify_iat": False, "verify_aud": False},
            )
        except InvalidSignatureError as exc:
            raise ProofError("signature_invalid", "the signature does not match the content") from exc
        except (PyJWTError, json.JSONDecodeError, ValueError) as exc:
            raise ProofError("malformed_credential", f"the JWT cannot be verified: {exc}") from exc
        return _checked_payload(payload, key.controller, kid, token)


_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def _require_canonical(token: str) -> None:
    """Each segment must be canonical base64url: otherwise two different texts would carry the
    same signed bytes, and a changed character could go unnoticed."""
    for segment in token.split("."):
        if not _B64URL.match(segment) or len(segment) % 4 == 1:
            raise ProofError("malformed_credential", "a JWT segment is not base64url")
        if b64url(b64url_decode(segment)) != segment:
            raise ProofError("malformed_credential", "a JWT segment is not canonical base64url")


def _checked_payload(payload: Any, controller: str, kid: str, token: str) -> SecuredCredential:
    if not isinstance(payload, dict):
        raise ProofError("malformed_credential", "the JWT payload is not a JSON object")
    if "vc" in payload:
        raise ProofError(
            "malformed_credential", "VC 1.1 JWT (a 'vc' claim) is not VC-JOSE-COSE; not accepted"
        )
    iss = issuer_id(payload)
    if iss is None:
        raise ProofError("malformed_credential", "the credential has no issuer id")
    if "iss" in payload and payload["iss"] != iss:
        raise ProofError("key_not_issuer", "the JWT iss differs from the credential issuer")
    if controller != iss or not kid.startswith(iss + "#"):
        raise ProofError(
            "key_not_issuer", f"key {kid} belongs to {controller}, not to the issuer {iss}"
        )
    credential = {k: v for k, v in payload.items() if k not in ("iss", "iat", "jti", "exp", "nbf")}
    iat = payload.get("iat")
    return SecuredCredential(
        format="vc+jwt",
        credential=credential,
        kid=kid,
        issued_at=iat if isinstance(iat, int) else None,
        secured=token,
    )
