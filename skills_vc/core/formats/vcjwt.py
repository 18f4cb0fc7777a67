"""``vc+jwt``: W3C VC-JOSE-COSE. The JWT payload is the credential itself.

Header: ``alg`` (EdDSA or ES256), ``typ: vc+jwt``, ``kid`` the DID URL of the issuer's key.
Claims added beside the credential's own properties: ``iss`` (the issuer id), ``iat``, and
``jti`` (the credential id). Verification accepts only the algorithm of the resolved key, so
``alg: none`` and HMAC-with-the-public-key confusion fail before any signature check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from skills_vc.core.formats import KeyResolver, ProofError, SecuredCredential, Signer, enveloped
from skills_vc.core.jws import (
    ALGORITHMS,
    JwsFormatError,
    compact_json,
    json_object,
    sign_compact,
    split_compact,
    verify_signature,
)
from skills_vc.core.keys import b64url, b64url_decode

__all__ = ["ENVELOPE_PREFIX", "VcJwt", "issuer_id", "unwrap_envelope", "wrap_envelope"]

ENVELOPE_PREFIX = "data:application/vc+jwt,"
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
    return enveloped(presented, (ENVELOPE_PREFIX,))


class VcJwt:
    name = "vc+jwt"
    media_type = "application/vc+jwt"

    def detects(self, presented: Any) -> bool:
        token = unwrap_envelope(presented)
        return token is not None and token.count(".") == 2 and "~" not in token

    def secure(self, credential: dict[str, Any], signer: Signer, *, now: int) -> str:
        return self.secure_many([credential], signer, now=now)[0]

    def secure_many(self, credentials: Sequence[dict[str, Any]], signer: Signer, *, now: int) -> list[str]:
        """Sign each credential; the protected header is the same for all and encoded once."""
        header = b64url(compact_json({"alg": signer.algorithm, "kid": signer.kid, "typ": "vc+jwt"}))
        tokens = []
        for credential in credentials:
            iss = issuer_id(credential)
            if iss is None:
                raise ValueError("a credential needs an issuer id to be secured")
            payload = {**credential, "iss": iss, "iat": now}
            if isinstance(credential.get("id"), str):
                payload["jti"] = credential["id"]
            tokens.append(sign_compact(header, payload, signer.key, signer.algorithm))
        return tokens

    def read(self, secured: str) -> dict[str, Any]:
        payload = _json_object(b64url_decode(secured.split(".")[1]), "payload")
        return {k: v for k, v in payload.items() if k not in _JWT_CLAIMS}

    def verify(self, presented: Any, resolve: KeyResolver, *, now: int | None = None) -> SecuredCredential:
        token = unwrap_envelope(presented)
        if token is None:
            raise ProofError("malformed_credential", "not a vc+jwt")
        try:
            header_bytes, payload_bytes, signature = split_compact(token)
        except JwsFormatError as exc:
            raise ProofError("malformed_credential", str(exc)) from None
        header = _json_object(header_bytes, "header")
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise ProofError(
                "unsupported_algorithm",
                f"algorithm {alg!r} is not accepted (accepted: EdDSA, ES256)",
            )
        if header.get("typ") not in ("vc+jwt", "vc+ld+jwt"):
            raise ProofError("malformed_credential", f"JOSE header typ {header.get('typ')!r} is not vc+jwt")
        if "crit" in header:
            raise ProofError("malformed_credential", "critical JOSE header extensions are not understood")
        kid = header.get("kid")
        if not isinstance(kid, str) or "#" not in kid:
            raise ProofError("unknown_key", "the JOSE header has no kid naming a DID URL")
        key = resolve(kid)
        if key.algorithm != alg:
            raise ProofError(
                "unsupported_algorithm", f"key {kid} signs with {key.algorithm}, the token says {alg}"
            )
        if not verify_signature(token, alg, key.key, signature):
            raise ProofError("signature_invalid", "the signature does not match the content")
        return _checked_payload(_json_object(payload_bytes, "payload"), key.controller, kid, token)


def _json_object(data: bytes, part: str) -> dict[str, Any]:
    try:
        return json_object(data)
    except JwsFormatError as exc:
        raise ProofError("malformed_credential", f"the JWT {part} is {exc}") from None


# Claims VC-JOSE-COSE adds beside the credential's own properties.
_JWT_CLAIMS = frozenset({"iss", "iat", "jti", "exp", "nbf"})


def _checked_payload(payload: dict[str, Any], controller: str, kid: str, token: str) -> SecuredCredential:
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
        raise ProofError("key_not_issuer", f"key {kid} belongs to {controller}, not to the issuer {iss}")
    credential = {k: v for k, v in payload.items() if k not in _JWT_CLAIMS}
    iat, exp, nbf = (payload.get(claim) for claim in ("iat", "exp", "nbf"))
    for name, value in (("iat", iat), ("exp", exp), ("nbf", nbf)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ProofError("malformed_credential", f"the JWT claim {name} is not a NumericDate")
    return SecuredCredential(
        format="vc+jwt",
        credential=credential,
        kid=kid,
        issued_at=iat,
        secured=token,
        expires_at=exp,
        not_before=nbf,
    )
