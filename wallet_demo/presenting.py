"""Building an SD-JWT presentation: only the disclosures a choice needs, closed by a KB-JWT.

The wallet keeps each SD-JWT with every disclosure; presenting means walking the issuer-signed
payload along each chosen claim's path and taking the disclosures met on the way (an object
property hidden in ``_sd``, an array element hidden behind ``{"...": digest}``) and, at the end,
every disclosure inside the selected value (choosing ``skills`` discloses every skill). A plain
property on the way needs nothing: ``activity`` is a plain object, so ``activity.title`` is only
the title's disclosure. The key binding JWT (RFC 9901 section 4.3) then signs, with the holder's
key, the verifier's identifier, its nonce and ``sd_hash``, the digest of everything before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from wallet_demo.dcql import PathPart
from wallet_demo.jose import b64url, sign_jws
from wallet_demo.keys import HolderKey
from wallet_demo.sdjwt import Disclosure, SdJwt

__all__ = ["disclosures_for", "kb_jwt", "needs_disclosure", "presentation", "sd_hash"]


class _Walk:
    """The disclosures of one SD-JWT by digest, and the ones a walk has taken."""

    def __init__(self, sd: SdJwt) -> None:
        self.by_digest = {d.digest: d for d in sd.disclosures}
        self.taken: set[str] = set()

    def properties(self, node: dict[str, Any]) -> dict[str, tuple[Any, Disclosure | None]]:
        """An object's members, plain and disclosed, each with the disclosure that reveals it."""
        members: dict[str, tuple[Any, Disclosure | None]] = {
            k: (v, None) for k, v in node.items() if k not in ("_sd", "_sd_alg")
        }
        digests = node.get("_sd")
        for digest in digests if isinstance(digests, list) else []:
            found = self.by_digest.get(digest) if isinstance(digest, str) else None
            if found is not None and found.name is not None:
                members.setdefault(found.name, (found.value, found))
        return members

    def elements(self, node: list[Any]) -> list[tuple[Any, Disclosure | None]]:
        """An array's elements as the holder sees them (decoys and unknown digests left out)."""
        out: list[tuple[Any, Disclosure | None]] = []
        for item in node:
            if isinstance(item, dict) and set(item) == {"..."}:
                found = self.by_digest.get(item["..."]) if isinstance(item["..."], str) else None
                if found is not None and found.name is None:
                    out.append((found.value, found))
            else:
                out.append((item, None))
        return out

    def take(self, disclosure: Disclosure | None) -> None:
        if disclosure is not None:
            self.taken.add(disclosure.digest)

    def everything_in(self, node: Any) -> None:
        """Take every disclosure inside ``node`` (the whole value was chosen)."""
        if isinstance(node, dict):
            for value, disclosure in self.properties(node).values():
                self.take(disclosure)
                self.everything_in(value)
        elif isinstance(node, list):
            for value, disclosure in self.elements(node):
                self.take(disclosure)
                self.everything_in(value)

    def path(self, root: dict[str, Any], path: tuple[PathPart, ...]) -> bool:
        """Take what ``path`` needs; False when the credential has nothing at that path."""
        selected: list[Any] = [root]
        needed: set[str] = set()
        for part in path:
            following: list[Any] = []
            for node in selected:
                if isinstance(part, str) and isinstance(node, dict):
                    member = self.properties(node).get(part)
                    if member is not None:
                        following.append(member[0])
                        if member[1] is not None:
                            needed.add(member[1].digest)
                elif isinstance(part, int | None) and isinstance(node, list):
                    items = self.elements(node)
                    chosen = items if part is None else items[part : part + 1]
                    for value, disclosure in chosen:
                        following.append(value)
                        if disclosure is not None:
                            needed.add(disclosure.digest)
            selected = following
            if not selected:
                return False
        self.taken |= needed
        for node in selected:
            self.everything_in(node)
        return True


def disclosures_for(sd: SdJwt, paths: Iterable[tuple[PathPart, ...]]) -> list[Disclosure] | None:
    """The disclosures that reveal ``paths``, in the order they were issued; None if one is missing."""
    walk = _Walk(sd)
    for path in paths:
        if not walk.path(sd.jws.payload, path):
            return None
    return [d for d in sd.disclosures if d.digest in walk.taken]


def needs_disclosure(sd: SdJwt, path: tuple[PathPart, ...]) -> bool:
    """Whether revealing ``path`` takes any disclosure (if not, the verifier sees it anyway)."""
    found = disclosures_for(sd, [path])
    return bool(found)


def sd_hash(presented: str) -> str:
    """base64url(SHA-256) of ``<issuer JWT>~<disclosure>~…~`` (the presentation before the KB-JWT)."""
    return b64url(hashlib.sha256(presented.encode("ascii")).digest())


def kb_jwt(holder: HolderKey, presented: str, *, audience: str, nonce: str, now: int) -> str:
    """The key binding JWT for ``presented`` (which ends with ``~``)."""
    header = {"typ": "kb+jwt", "alg": holder.algorithm}
    claims = {"iat": now, "aud": audience, "nonce": nonce, "sd_hash": sd_hash(presented)}
    return sign_jws(header, claims, holder.private_key)


def presentation(
    sd: SdJwt, disclosures: list[Disclosure], holder: HolderKey, *, audience: str, nonce: str, now: int
) -> str:
    """``<issuer JWT>~<d1>~…~<dn>~<KB-JWT>``."""
    issuer_jwt = sd.raw.split("~", 1)[0]
    presented = issuer_jwt + "~" + "".join(d.raw + "~" for d in disclosures)
    return presented + kb_jwt(holder, presented, audience=audience, nonce=nonce, now=now)
