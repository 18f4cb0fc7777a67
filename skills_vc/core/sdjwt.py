"""SD-JWT (RFC 9901): disclosures, concealing claims, and checking a presented SD-JWT.

An SD-JWT is ``<issuer JWT>~<disclosure>~...~[<KB-JWT>]``. A disclosure is the base64url of the
JSON array ``[salt, name, value]`` (an object property) or ``[salt, value]`` (an array element);
the issuer-signed payload carries only its SHA-256 digest, in ``_sd`` or as ``{"...": digest}``.
The securing format (``formats/sdjwt.py``) signs and verifies the issuer JWT; this module does the
framing, the digests and the key binding JWT, and stays format-neutral.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from skills_vc.core.jws import JwsFormatError, json_object, split_compact, verify_signature
from skills_vc.core.keys import PublicKey, b64url, b64url_decode, public_key_from_jwk

__all__ = [
    "Concealed",
    "Disclosure",
    "KeyBinding",
    "Sd",
    "SdJwtError",
    "conceal",
    "disclose",
    "join",
    "sd_hash",
    "split",
    "verify_key_binding",
]

_SALT_BYTES = 16  # 128 bits, the minimum RFC 9901 asks for
_FORBIDDEN_NAMES = frozenset({"_sd", "...", "_sd_alg"})


class SdJwtError(ValueError):
    """An SD-JWT that does not hold; ``check`` names the verification check, ``code`` its code."""

    def __init__(self, check: str, code: str, detail: str) -> None:
        super().__init__(detail)
        self.check = check
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Sd:
    """Marks a claim value (or an array element) as selectively disclosable when concealing."""

    value: Any


@dataclass(frozen=True)
class Disclosure:
    encoded: str
    name: str | None
    value: Any

    @property
    def digest(self) -> str:
        return _digest(self.encoded)


@dataclass(frozen=True)
class Concealed:
    """Claims with their selectively disclosable parts replaced by digests, and the disclosures."""

    payload: dict[str, Any]
    disclosures: list[Disclosure]


def _digest(encoded: str) -> str:
    return b64url(hashlib.sha256(encoded.encode("ascii")).digest())


def _new_disclosure(name: str | None, value: Any) -> Disclosure:
    salt = b64url(secrets.token_bytes(_SALT_BYTES))
    array = [salt, value] if name is None else [salt, name, value]
    return Disclosure(b64url(orjson.dumps(array)), name, value)


def conceal(claims: dict[str, Any]) -> Concealed:
    """Replace every ``Sd(...)`` in ``claims`` (at any depth) by its digest; return the disclosures.

    Digests in ``_sd`` are sorted, so their order says nothing about the claims' order.
    """
    disclosures: list[Disclosure] = []

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            plain: dict[str, Any] = {}
            digests: list[str] = []
            for name, item in value.items():
                if name in _FORBIDDEN_NAMES:
                    raise ValueError(f"{name!r} is reserved by SD-JWT")
                if isinstance(item, Sd):
                    disclosure = _new_disclosure(name, walk(item.value))
                    disclosures.append(disclosure)
                    digests.append(disclosure.digest)
                else:
                    plain[name] = walk(item)
            if digests:
                plain["_sd"] = sorted(digests)
            return plain
        if isinstance(value, list):
            out: list[Any] = []
            for item in value:
                if isinstance(item, Sd):
                    disclosure = _new_disclosure(None, walk(item.value))
                    disclosures.append(disclosure)
                    out.append({"...": disclosure.digest})
                else:
                    out.append(walk(item))
            return out
        if isinstance(value, Sd):
            raise ValueError("Sd marks an object property or an array element")
        return value

    payload = walk(claims)
    payload["_sd_alg"] = "sha-256"
    return Concealed(payload, disclosures)


def join(issuer_jwt: str, disclosures: list[str], kb_jwt: str = "") -> str:
    """``<issuer JWT>~<disclosure>~...~<KB-JWT or nothing>``."""
    return "~".join([issuer_jwt, *disclosures, kb_jwt])


def split(text: str) -> tuple[str, list[str], str]:
    """The issuer JWT, the encoded disclosures and the KB-JWT (empty when there is none)."""
    parts = text.strip().split("~")
    if len(parts) < 2 or not parts[0]:
        raise SdJwtError("signature", "malformed_credential", "an SD-JWT is '<JWT>~<disclosures>~[KB-JWT]'")
    middle = parts[1:-1]
    if any(not part for part in middle):
        raise SdJwtError("disclosures", "disclosure_malformed", "an SD-JWT has an empty disclosure")
    return parts[0], middle, parts[-1]


def sd_hash(text: str) -> str:
    """The ``sd_hash`` a KB-JWT carries: SHA-256 of the presentation up to its last ``~``."""
    prefix = text[: text.rindex("~") + 1]
    return b64url(hashlib.sha256(prefix.encode("ascii")).digest())


def _decode_disclosure(encoded: str) -> Disclosure:
    try:
        raw = b64url_decode(encoded)
        if b64url(raw) != encoded:
            raise ValueError("not canonical base64url")
        array = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError):
        raise SdJwtError(
            "disclosures", "disclosure_malformed", "a disclosure is not base64url JSON"
        ) from None
    if not isinstance(array, list) or len(array) not in (2, 3) or not isinstance(array[0], str):
        raise SdJwtError("disclosures", "disclosure_malformed", "a disclosure is not [salt, (name,) value]")
    if len(array) == 3:
        if not isinstance(array[1], str) or array[1] in _FORBIDDEN_NAMES:
            raise SdJwtError("disclosures", "disclosure_malformed", "a disclosure has an invalid claim name")
        return Disclosure(encoded, array[1], array[2])
    return Disclosure(encoded, None, array[1])


def disclose(payload: dict[str, Any], encoded: list[str]) -> tuple[dict[str, Any], int]:
    """The claims with every disclosure put back in place; the ``_sd`` machinery removed.

    Every disclosure must be referenced by exactly one digest of the signed payload (or of another
    disclosure): one that is not was never signed by the issuer, and the whole SD-JWT is refused.
    """
    alg = payload.get("_sd_alg", "sha-256")
    if alg != "sha-256":
        raise SdJwtError("disclosures", "disclosure_malformed", f"_sd_alg {alg!r} is not supported")
    by_digest: dict[str, Disclosure] = {}
    for text in encoded:
        disclosure = _decode_disclosure(text)
        if disclosure.digest in by_digest:
            raise SdJwtError("disclosures", "disclosure_repeated", "a disclosure is presented twice")
        by_digest[disclosure.digest] = disclosure
    used: set[str] = set()

    def take(digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise SdJwtError("disclosures", "disclosure_malformed", "a digest is not a string")
        if digest in used:
            raise SdJwtError("disclosures", "disclosure_repeated", "a digest appears twice")
        found = by_digest.get(digest)
        if found is not None:
            used.add(digest)
        return found

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            digests = value.get("_sd", [])
            if not isinstance(digests, list):
                raise SdJwtError("disclosures", "disclosure_malformed", "_sd is not an array")
            for name, item in value.items():
                if name not in ("_sd", "_sd_alg"):
                    out[name] = walk(item)
            for digest in digests:
                found = take(digest)
                if found is None:
                    continue
                if found.name is None:
                    raise SdJwtError(
                        "disclosures", "disclosure_malformed", "an array element disclosure is in _sd"
                    )
                if found.name in out:
                    raise SdJwtError(
                        "disclosures", "disclosure_malformed", f"claim {found.name!r} is disclosed twice"
                    )
                out[found.name] = walk(found.value)
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for item in value:
                if isinstance(item, dict) and set(item) == {"..."}:
                    found = take(item["..."])
                    if found is None:
                        continue
                    if found.name is not None:
                        raise SdJwtError(
                            "disclosures", "disclosure_malformed", "a property disclosure is in an array"
                        )
                    items.append(walk(found.value))
                else:
                    items.append(walk(item))
            return items
        return value

    claims = walk(payload)
    unsigned = set(by_digest) - used
    if unsigned:
        raise SdJwtError(
            "disclosures",
            "disclosure_not_signed",
            f"{len(unsigned)} disclosure(s) are not covered by the issuer's signature",
        )
    return claims, len(used)


def digests_in(payload: Any) -> Iterator[str]:
    """Every digest in a payload (what a wallet matches disclosures against)."""
    if isinstance(payload, dict):
        for digest in payload.get("_sd", []):
            yield str(digest)
        for name, value in payload.items():
            if name == "...":
                yield str(value)
            elif name != "_sd":
                yield from digests_in(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from digests_in(item)


@dataclass(frozen=True)
class KeyBinding:
    """What a verified KB-JWT says: to whom, for which challenge, when."""

    aud: str
    nonce: str
    iat: int


def verify_key_binding(text: str, kb_jwt: str, cnf: Any, *, now: int, skew: int = 300) -> KeyBinding:
    """Check a KB-JWT against the holder key of ``cnf`` and the presentation it closes.

    ``aud`` and ``nonce`` are returned for the caller to compare with what it asked for.
    """
    if not isinstance(cnf, dict) or not isinstance(cnf.get("jwk"), dict):
        raise SdJwtError(
            "key_binding", "key_binding_no_holder_key", "the credential names no holder key (cnf.jwk)"
        )
    try:
        holder: PublicKey = public_key_from_jwk(cnf["jwk"])
        header_bytes, payload_bytes, signature = split_compact(kb_jwt)
        header, claims = json_object(header_bytes), json_object(payload_bytes)
    except (JwsFormatError, ValueError, KeyError) as exc:
        raise SdJwtError("key_binding", "key_binding_invalid", f"the KB-JWT is malformed: {exc}") from None
    if header.get("typ") != "kb+jwt":
        raise SdJwtError("key_binding", "key_binding_invalid", "the KB-JWT's typ is not kb+jwt")
    alg = header.get("alg")
    expected = "EdDSA" if cnf["jwk"].get("kty") == "OKP" else "ES256"
    if alg != expected:
        raise SdJwtError("key_binding", "key_binding_invalid", f"the KB-JWT's alg {alg!r} is not {expected}")
    if not verify_signature(kb_jwt, expected, holder, signature):
        raise SdJwtError(
            "key_binding", "key_binding_wrong_key", "the KB-JWT is not signed by the credential's holder key"
        )
    if claims.get("sd_hash") != sd_hash(text):
        raise SdJwtError(
            "key_binding", "key_binding_sd_hash", "the KB-JWT's sd_hash does not match the presentation"
        )
    iat, aud, nonce = claims.get("iat"), claims.get("aud"), claims.get("nonce")
    if not isinstance(iat, int) or isinstance(iat, bool) or iat > now + skew:
        raise SdJwtError("key_binding", "key_binding_invalid", "the KB-JWT's iat is missing or in the future")
    if not isinstance(aud, str) or not isinstance(nonce, str):
        raise SdJwtError("key_binding", "key_binding_invalid", "the KB-JWT needs aud and nonce")
    return KeyBinding(aud=aud, nonce=nonce, iat=iat)
