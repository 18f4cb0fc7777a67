"""The issuer's published keys, and signature checks of what it signs.

Keys are never taken from the signed token itself: an SD-JWT VC's key comes from the issuer's JWT
VC issuer metadata (``/.well-known/jwt-vc-issuer<issuer path>``), found by ``kid``; a ``vc+jwt``'s
key from the issuer's ``did:web`` DID document. A local service runs on plain http, while did:web
always means https, so the DID is fetched with the scheme of the service the offer came from
(or the one set with ``--service-scheme``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from wallet_demo.cache import TtlCache
from wallet_demo.jose import JoseError, Jws, verify_jws
from wallet_demo.metadata import well_known
from wallet_demo.remote import Remote, RemoteError

__all__ = ["IssuerKeyError", "IssuerKeys", "did_web_url"]


class IssuerKeyError(ValueError):
    """The signer's key cannot be found or does not verify; the message says which."""


def did_web_url(did: str, scheme: str) -> str:
    """``did:web:host%3Aport:a:b`` -> ``<scheme>://host:port/a/b/did.json``.

    A DID without a path resolves to ``/.well-known/did.json``.
    """
    if not did.startswith("did:web:"):
        raise IssuerKeyError(f"not a did:web: {did}")
    parts = did[len("did:web:") :].split(":")
    host = unquote(parts[0])
    if not host or "/" in host or "@" in host:
        raise IssuerKeyError(f"not a did:web host: {did}")
    path = "/".join(unquote(p) for p in parts[1:]) if len(parts) > 1 else ".well-known"
    return f"{scheme}://{host}/{path}/did.json"


def _method_key(document: dict[str, Any], did: str, kid: str) -> dict[str, Any]:
    fragment = kid.partition("#")[2]
    for method in document.get("verificationMethod") or []:
        if not isinstance(method, dict) or method.get("id") not in (kid, f"#{fragment}"):
            continue
        assertion = document.get("assertionMethod")
        if isinstance(assertion, list):
            ids = {m if isinstance(m, str) else m.get("id") for m in assertion if isinstance(m, str | dict)}
            if kid not in ids and f"#{fragment}" not in ids:
                raise IssuerKeyError(f"{kid} is not an assertion method of {did}")
        jwk = method.get("publicKeyJwk")
        if isinstance(jwk, dict):
            return jwk
    raise IssuerKeyError(f"{did} does not publish the key {kid}")


class IssuerKeys:
    """Resolves issuers' keys over HTTP, cached for a short while."""

    def __init__(
        self,
        remote: Remote,
        *,
        service_scheme: str | None,
        cache_seconds: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.remote = remote
        self.service_scheme = service_scheme
        self.cache: TtlCache[dict[str, Any]] = TtlCache(cache_seconds, clock)

    def _get(self, url: str, fresh: bool) -> dict[str, Any]:
        try:
            return self.cache.get(url, lambda: self.remote.get_json(url), fresh=fresh)
        except RemoteError as exc:
            raise IssuerKeyError(f"the issuer's keys cannot be fetched: {exc}") from exc

    def sd_jwt_key(self, issuer: str, kid: Any, *, fresh: bool = False) -> dict[str, Any]:
        """The key ``kid`` of ``issuer``'s JWT VC issuer metadata (its only key when there is no kid)."""
        metadata = self._get(well_known(issuer, "jwt-vc-issuer"), fresh)
        if metadata.get("issuer") != issuer:
            raise IssuerKeyError("the JWT VC issuer metadata names another issuer")
        jwks = metadata.get("jwks")
        if jwks is None and isinstance(metadata.get("jwks_uri"), str):
            jwks = self._get(metadata["jwks_uri"], fresh)
        keys = (
            [k for k in (jwks or {}).get("keys", []) if isinstance(k, dict)] if isinstance(jwks, dict) else []
        )
        if kid is None and len(keys) == 1:
            return keys[0]
        for key in keys:
            if key.get("kid") == kid:
                return key
        raise IssuerKeyError(f"{issuer} does not publish the key {kid!r}")

    def did_key(self, kid: Any, *, scheme: str, fresh: bool = False) -> tuple[str, dict[str, Any]]:
        """``(did, public JWK)`` of the DID URL ``kid``, from the did:web document."""
        if not isinstance(kid, str) or "#" not in kid:
            raise IssuerKeyError("the token's kid is not a DID URL")
        did = kid.partition("#")[0]
        document = self._get(did_web_url(did, self.service_scheme or scheme), fresh)
        if document.get("id") != did:
            raise IssuerKeyError(f"the DID document is not that of {did}")
        return did, _method_key(document, did, kid)

    def verify_sd_jwt_issuer(self, jws: Jws, issuer: str, *, fresh: bool = False) -> None:
        """Raise :class:`IssuerKeyError` unless ``issuer``'s published key signed ``jws``."""
        key = self.sd_jwt_key(issuer, jws.header.get("kid"), fresh=fresh)
        try:
            verify_jws(jws, key)
        except JoseError as exc:
            raise IssuerKeyError(f"signature of {issuer}: {exc}") from exc

    def verify_did_signer(self, jws: Jws, issuer_did: str, *, scheme: str, fresh: bool = False) -> None:
        """Raise :class:`IssuerKeyError` unless a key of the DID ``issuer_did`` signed ``jws``."""
        did, key = self.did_key(jws.header.get("kid"), scheme=scheme, fresh=fresh)
        if did != issuer_did:
            raise IssuerKeyError(f"signed by {did}, not by the issuer {issuer_did}")
        try:
            verify_jws(jws, key)
        except JoseError as exc:
            raise IssuerKeyError(f"signature of {did}: {exc}") from exc
