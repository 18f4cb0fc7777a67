"""SD-JWT (RFC 9901 / IETF SD-JWT): split ``<jwt>~<disclosure>~…~`` and rebuild the claims.

The wallet keeps the SD-JWT exactly as issued (every disclosure) because presenting it later means
choosing disclosures to leave out; this module only reads it. Each disclosure must be referenced
by exactly one digest in the signed payload: one that is not could be text slipped in beside the
signed token, so it is refused rather than shown.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from wallet_demo.jose import JoseError, Jws, b64url, b64url_decode, read_jws

__all__ = ["Disclosure", "SdJwt", "SdJwtError", "parse_sd_jwt"]


class SdJwtError(ValueError):
    """Not a readable SD-JWT; the message says what is wrong."""


@dataclass(frozen=True)
class Disclosure:
    """One disclosure: ``name`` is None for an array element."""

    raw: str
    digest: str
    salt: str
    name: str | None
    value: Any


@dataclass(frozen=True)
class SdJwt:
    """An SD-JWT as issued, its signed JWS, its disclosures and the claims they rebuild."""

    raw: str
    jws: Jws
    disclosures: tuple[Disclosure, ...]
    claims: dict[str, Any]
    key_binding_jwt: str | None


def _disclosure(raw: str) -> Disclosure:
    try:
        value = json.loads(b64url_decode(raw))
    except (JoseError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SdJwtError("a disclosure is not base64url JSON") from exc
    digest = b64url(hashlib.sha256(raw.encode("ascii")).digest())
    if (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], str)
    ):
        if value[1] in ("_sd", "..."):
            raise SdJwtError(f"a disclosure uses the reserved claim name {value[1]!r}")
        return Disclosure(raw, digest, value[0], value[1], value[2])
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        return Disclosure(raw, digest, value[0], None, value[1])
    raise SdJwtError("a disclosure is neither [salt, name, value] nor [salt, value]")


class _Rebuild:
    """Walks the payload, replacing digests with the disclosed values, each used once."""

    def __init__(self, disclosures: dict[str, Disclosure]) -> None:
        self.disclosures = disclosures
        self.seen: set[str] = set()
        self.used: set[str] = set()

    def take(self, digest: Any) -> Disclosure | None:
        # Any digest twice, decoys included, is refused (RFC 9901 section 7.1).
        if not isinstance(digest, str):
            raise SdJwtError("a digest is not a string")
        if digest in self.seen:
            raise SdJwtError("a digest appears twice")
        self.seen.add(digest)
        found = self.disclosures.get(digest)
        if found is not None:
            self.used.add(digest)
        return found

    def value(self, node: Any) -> Any:
        if isinstance(node, dict):
            return self.object(node)
        if isinstance(node, list):
            return self.array(node)
        return node

    def object(self, node: dict[str, Any]) -> dict[str, Any]:
        out = {k: self.value(v) for k, v in node.items() if k not in ("_sd", "_sd_alg")}
        digests = node.get("_sd", [])
        if not isinstance(digests, list):
            raise SdJwtError("_sd is not a list")
        for digest in digests:
            found = self.take(digest)
            if found is None:
                continue  # a decoy, or a claim the holder was not given
            if found.name is None:
                raise SdJwtError("an array element disclosure is referenced as an object property")
            if found.name in out:
                raise SdJwtError(f"the claim {found.name!r} is disclosed twice")
            out[found.name] = self.value(found.value)
        return out

    def array(self, node: list[Any]) -> list[Any]:
        out = []
        for item in node:
            if isinstance(item, dict) and set(item) == {"..."}:
                found = self.take(item["..."])
                if found is None:
                    continue
                if found.name is not None:
                    raise SdJwtError("an object property disclosure is referenced as an array element")
                out.append(self.value(found.value))
            else:
                out.append(self.value(item))
        return out


def parse_sd_jwt(text: str) -> SdJwt:
    """Parse an SD-JWT (with or without a trailing key binding JWT); its signature is not checked here."""
    raw = (text or "").strip()
    parts = raw.split("~")
    if len(parts) < 2:
        raise SdJwtError("an SD-JWT has the form <jwt>~<disclosure>~…~")
    try:
        jws = read_jws(parts[0])
    except JoseError as exc:
        raise SdJwtError(f"the issuer-signed JWT cannot be read: {exc}") from exc
    alg = jws.payload.get("_sd_alg", "sha-256")
    if alg != "sha-256":
        raise SdJwtError(f"unsupported _sd_alg {alg!r}")
    disclosures = tuple(_disclosure(part) for part in parts[1:-1] if part)
    by_digest = {d.digest: d for d in disclosures}
    if len(by_digest) != len(disclosures):
        raise SdJwtError("a disclosure is given twice")
    rebuild = _Rebuild(by_digest)
    claims = rebuild.object(jws.payload)
    if rebuild.used != set(by_digest):
        raise SdJwtError("a disclosure is not referenced by the signed payload")
    return SdJwt(raw, jws, disclosures, claims, parts[-1] or None)
