"""``dc+sd-jwt``: IETF SD-JWT VC, selective disclosure (legacy ``vc+sd-jwt`` accepted on input).

The issuer JWT's header is ``alg`` (EdDSA or ES256), ``typ: dc+sd-jwt`` and ``kid``: the key's
fragment, resolved against the issuer's published keys (``iss`` + ``#`` + ``kid``; the registry
serves them as JWT VC Issuer Metadata). ``iss``, ``iat``, ``exp``, ``vct``, ``cnf`` and
``status`` are never selectively disclosable. Verification checks the issuer's signature, then
that every presented disclosure is covered by it (``disclosures``), then a key binding JWT when one
closes the presentation (``key_binding``); each failure names its check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from skills_vc.core.formats import (
    KeyResolver,
    PassedCheck,
    ProofError,
    SecuredCredential,
    Signer,
    enveloped,
)
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
from skills_vc.core.sdjwt import SdJwtError, conceal, disclose, join, split, verify_key_binding

__all__ = ["ENVELOPE_PREFIXES", "SD_JWT_TYPES", "SdJwtVc", "unwrap"]

SD_JWT_TYPES = ("dc+sd-jwt", "vc+sd-jwt")
ENVELOPE_PREFIXES = ("data:application/dc+sd-jwt,", "data:application/vc+sd-jwt,")
_NEVER_DISCLOSABLE = ("iss", "iat", "exp", "nbf", "vct", "cnf", "status")
_JWT_CLAIMS = frozenset({"_sd_alg"})


def unwrap(presented: Any) -> str | None:
    """The SD-JWT text inside an envelope or a bare string, else None."""
    return enveloped(presented, ENVELOPE_PREFIXES)


class SdJwtVc:
    name = "dc+sd-jwt"
    media_type = "application/dc+sd-jwt"

    def detects(self, presented: Any) -> bool:
        text = unwrap(presented)
        return text is not None and "~" in text and text.split("~", 1)[0].count(".") == 2

    def secure(self, credential: dict[str, Any], signer: Signer, *, now: int) -> str:
        return self.secure_many([credential], signer, now=now)[0]

    def secure_many(self, credentials: Sequence[dict[str, Any]], signer: Signer, *, now: int) -> list[str]:
        """Sign claims in which ``Sd(...)`` marks what the holder may disclose or keep back."""
        fragment = signer.kid.rsplit("#", 1)[-1]
        header = b64url(compact_json({"alg": signer.algorithm, "kid": fragment, "typ": "dc+sd-jwt"}))
        out = []
        for claims in credentials:
            if not isinstance(claims.get("iss"), str) or not isinstance(claims.get("vct"), str):
                raise ValueError("an SD-JWT VC needs iss and vct")
            concealed = conceal({**claims, "iat": now})
            top = concealed.payload
            for name in _NEVER_DISCLOSABLE:
                if name in claims and name not in top:
                    raise ValueError(f"{name} must not be selectively disclosable")
            issuer_jwt = sign_compact(header, top, signer.key, signer.algorithm)
            out.append(join(issuer_jwt, [d.encoded for d in concealed.disclosures]))
        return out

    def read(self, secured: str) -> dict[str, Any]:
        issuer_jwt, disclosures, _ = split(secured)
        payload = json_object(b64url_decode(issuer_jwt.split(".")[1]))
        claims, _ = disclose(payload, disclosures)
        return claims

    def verify(self, presented: Any, resolve: KeyResolver, *, now: int | None = None) -> SecuredCredential:
        text = unwrap(presented)
        if text is None:
            raise ProofError("malformed_credential", "not an SD-JWT")
        try:
            issuer_jwt, disclosures, kb_jwt = split(text)
        except SdJwtError as exc:
            raise ProofError(exc.code, exc.detail, check=exc.check) from None
        payload, kid = _verified_issuer_jwt(issuer_jwt, resolve)
        passed = [PassedCheck("signature", "signature_valid", {"issuer": payload["iss"]})]
        try:
            claims, count = disclose(payload, disclosures)
        except SdJwtError as exc:
            raise ProofError(exc.code, exc.detail, check=exc.check, passed=tuple(passed)) from None
        passed.append(PassedCheck("disclosures", "disclosures_valid", {"count": count}))
        if kb_jwt:
            if now is None:
                raise ValueError("a key binding JWT is checked against a clock: pass now")
            try:
                binding = verify_key_binding(text, kb_jwt, payload.get("cnf"), now=now)
            except SdJwtError as exc:
                raise ProofError(exc.code, exc.detail, check=exc.check, passed=tuple(passed)) from None
            passed.append(
                PassedCheck(
                    "key_binding",
                    "key_binding_valid",
                    {"aud": binding.aud, "nonce": binding.nonce, "iat": binding.iat},
                )
            )
        exp, nbf, iat = (payload.get(claim) for claim in ("exp", "nbf", "iat"))
        return SecuredCredential(
            format=self.name,
            credential={k: v for k, v in claims.items() if k not in _JWT_CLAIMS},
            kid=kid,
            issued_at=iat,
            secured=text,
            expires_at=exp,
            not_before=nbf,
            issuer=str(payload["iss"]),
            passed=tuple(passed[1:]),
        )


def _verified_issuer_jwt(token: str, resolve: KeyResolver) -> tuple[dict[str, Any], str]:
    try:
        header_bytes, payload_bytes, signature = split_compact(token)
        header, payload = json_object(header_bytes), json_object(payload_bytes)
    except JwsFormatError as exc:
        raise ProofError("malformed_credential", f"the issuer JWT is {exc}") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise ProofError(
            "unsupported_algorithm", f"algorithm {alg!r} is not accepted (accepted: EdDSA, ES256)"
        )
    if header.get("typ") not in SD_JWT_TYPES:
        raise ProofError("malformed_credential", f"JOSE header typ {header.get('typ')!r} is not dc+sd-jwt")
    if "crit" in header:
        raise ProofError("malformed_credential", "critical JOSE header extensions are not understood")
    iss, kid = payload.get("iss"), header.get("kid")
    if not isinstance(iss, str) or not iss:
        raise ProofError("malformed_credential", "the SD-JWT VC has no iss")
    if not isinstance(payload.get("vct"), str):
        raise ProofError("malformed_credential", "the SD-JWT VC has no vct")
    if not isinstance(kid, str) or not kid:
        raise ProofError("unknown_key", "the JOSE header has no kid")
    for name in ("iat", "exp", "nbf"):
        value = payload.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ProofError("malformed_credential", f"the JWT claim {name} is not a NumericDate")
    full_kid = kid if kid.startswith(iss + "#") else f"{iss}#{kid}"
    key = resolve(full_kid)
    if key.controller != iss:
        raise ProofError("key_not_issuer", f"key {full_kid} belongs to {key.controller}, not to {iss}")
    if key.algorithm != alg:
        raise ProofError(
            "unsupported_algorithm", f"key {full_kid} signs with {key.algorithm}, the token says {alg}"
        )
    if not verify_signature(token, alg, key.key, signature):
        raise ProofError("signature_invalid", "the signature does not match the content")
    return payload, full_kid
