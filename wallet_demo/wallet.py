"""What the wallet does, one method per thing a volunteer asks; the pages only call these.

Credentials are checked before they are kept: the issuer's signature (keys from its published
metadata or DID document), the SD-JWT's disclosures, and that the credential is bound to this
wallet's key. A credential that fails is not stored, so the list never shows something the
wallet could not stand behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from wallet_demo.cards import credential_id, format_kind
from wallet_demo.config import WalletSettings
from wallet_demo.errors import WalletError
from wallet_demo.issuance import Issued, ResolvedOffer, redeem, resolve_offer
from wallet_demo.issuer_keys import IssuerKeyError, IssuerKeys
from wallet_demo.jose import JoseError, json_b64, jwk_thumbprint, read_jws
from wallet_demo.keys import HolderKey, generate, seal, unseal
from wallet_demo.offers import parse_link, parse_offer
from wallet_demo.remote import Remote
from wallet_demo.sdjwt import SdJwtError, parse_sd_jwt
from wallet_demo.status_check import CardStatus, StatusChecker
from wallet_demo.store import NewCredential, Store, StoredCard

__all__ = ["Wallet"]

_PENDING = timedelta(hours=1)


class Wallet:
    """The holder's wallet: its key, its offers in progress, its cards."""

    def __init__(
        self,
        settings: WalletSettings,
        store: Store,
        secret: bytes,
        remote: Remote,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.store = store
        self._secret = secret
        self.remote = remote
        self.clock = clock
        self.keys = IssuerKeys(
            remote,
            service_scheme=settings.service_scheme,
            cache_seconds=settings.status_cache_seconds,
            clock=clock,
        )
        self.checker = StatusChecker(
            remote, self.keys, cache_seconds=settings.status_cache_seconds, clock=clock
        )

    # The holder key.

    def holder_key(self) -> HolderKey:
        """The newest key of the configured type, created (and sealed) the first time it is needed."""
        stored = self.store.newest_key(self.settings.key_type)
        if stored is not None:
            return unseal(stored.sealed, self._secret, stored.kid, self.settings.key_type)
        holder = generate(self.settings.key_type)
        self.store.add_key(
            holder.kid, holder.key_type, holder.public_jwk, seal(holder, self._secret), self.clock()
        )
        return holder

    def check_secret(self) -> None:
        """Open the newest stored key, so a wrong secret is reported at start rather than mid-offer."""
        stored = self.store.newest_key()
        if stored is not None:
            unseal(stored.sealed, self._secret, stored.kid, stored.key_type)  # type: ignore[arg-type]

    # Offers.

    def start_offer(self, link_text: str) -> str:
        """Read the link, fetch the offer and metadata, and keep them until the code is typed."""
        allow_http = self.settings.allow_http_issuers
        resolved = resolve_offer(
            self.remote, parse_link(link_text, allow_http=allow_http), allow_http=allow_http
        )
        pending_id = secrets.token_urlsafe(16)
        data = {
            "offer": resolved.raw_offer,
            "issuer_metadata": resolved.issuer_metadata,
            "token_endpoint": resolved.token_endpoint,
            "nonce_endpoint": resolved.nonce_endpoint,
            "credential_endpoint": resolved.credential_endpoint,
        }
        now = self.clock()
        self.store.add_pending(pending_id, data, now, keep_after=now - _PENDING)
        return pending_id

    def pending_offer(self, pending_id: str) -> ResolvedOffer:
        """The offer being accepted, or ``offer_session_expired`` after an hour (or a wrong id)."""
        data = self.store.pending(pending_id, newer_than=self.clock() - _PENDING)
        if data is None:
            raise WalletError("offer_session_expired", "no offer in progress with this id", status=404)
        return ResolvedOffer(
            offer=parse_offer(data["offer"], allow_http=self.settings.allow_http_issuers),
            raw_offer=data["offer"],
            issuer_metadata=data["issuer_metadata"],
            token_endpoint=data["token_endpoint"],
            nonce_endpoint=data["nonce_endpoint"],
            credential_endpoint=data["credential_endpoint"],
        )

    def accept(self, pending_id: str, tx_code: str | None) -> str:
        """Run the flow, check and store what was issued as one card; returns the card id."""
        resolved = self.pending_offer(pending_id)
        holder = self.holder_key()
        issued = redeem(
            self.remote, resolved, tx_code=tx_code, holder=holder, now=int(self.clock().timestamp())
        )
        credentials = [self._checked(item, resolved, holder) for item in issued]
        card_id = next(
            (c.credential_id for c in credentials if format_kind(c.format) == "sd-jwt"),
            credentials[0].credential_id,
        )
        display = resolved.issuer_metadata.get("display")
        card_id = self.store.save_card(
            card_id,
            issuer=resolved.offer.credential_issuer,
            issuer_display=display if isinstance(display, list) else [],
            holder_kid=holder.kid,
            paper_qr=next((i.paper_qr for i in issued if i.paper_qr), None),
            credentials=credentials,
            now=self.clock(),
        )
        self.store.delete_pending(pending_id)
        return card_id

    def _checked(self, item: Issued, resolved: ResolvedOffer, holder: HolderKey) -> NewCredential:
        issuer = resolved.offer.credential_issuer
        try:
            if format_kind(item.format) == "sd-jwt":
                _check_sd_jwt(self.keys, item.credential, issuer, holder)
            else:
                scheme = urlsplit(issuer).scheme
                _check_vc_jwt(self.keys, item.credential, scheme, holder)
        except (IssuerKeyError, JoseError, SdJwtError) as exc:
            raise WalletError("credential_unverified", f"{item.format}: {exc}", status=502) from exc
        return NewCredential(
            credential_id(item.format, item.credential), item.configuration_id, item.format, item.credential
        )

    # Cards.

    def cards(self) -> list[StoredCard]:
        return self.store.cards()

    def card(self, card_id: str) -> StoredCard:
        found = self.store.card(card_id)
        if found is None:
            raise WalletError("card_not_found", f"no card {card_id}", status=404)
        return found

    def delete(self, card_id: str) -> None:
        if not self.store.delete_card(card_id):
            raise WalletError("card_not_found", f"no card {card_id}", status=404)

    def status(self, card: StoredCard, *, fresh: bool = False) -> CardStatus:
        return self.checker.check(card, fresh=fresh)


def _check_sd_jwt(keys: IssuerKeys, raw: str, issuer: str, holder: HolderKey) -> None:
    sd = parse_sd_jwt(raw)
    if sd.jws.header.get("typ") not in ("dc+sd-jwt", "vc+sd-jwt"):
        raise SdJwtError(f"typ {sd.jws.header.get('typ')!r} is not dc+sd-jwt")
    if sd.claims.get("iss") != issuer:
        raise SdJwtError("the SD-JWT's iss is not the issuer that made the offer")
    keys.verify_sd_jwt_issuer(sd.jws, issuer)
    cnf = sd.claims.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict) or jwk_thumbprint(jwk) != holder.kid:
        raise SdJwtError("the SD-JWT is not bound to this wallet's key (cnf.jwk)")


def _bound_jwk(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The holder key a vc+jwt names: ``cnf.jwk``, or a ``did:jwk`` credentialSubject id."""
    cnf = payload.get("cnf")
    if isinstance(cnf, dict) and isinstance(cnf.get("jwk"), dict):
        return dict(cnf["jwk"])
    subject = payload.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if isinstance(subject_id, str) and subject_id.startswith("did:jwk:"):
        value = json_b64(subject_id[len("did:jwk:") :].split("#")[0])
        return value if isinstance(value, dict) else None
    return None


def _check_vc_jwt(keys: IssuerKeys, raw: str, scheme: str, holder: HolderKey) -> None:
    jws = read_jws(raw)
    if jws.header.get("typ") not in ("vc+jwt", "vc+ld+jwt", "JWT", None):
        raise JoseError(f"typ {jws.header.get('typ')!r} is not vc+jwt")
    issuer = jws.payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str):
        raise JoseError("the vc+jwt has no issuer id")
    keys.verify_did_signer(jws, issuer_id, scheme=scheme)
    jwk = _bound_jwk(jws.payload)
    if jwk is not None and jwk_thumbprint(jwk) != holder.kid:
        raise JoseError("the vc+jwt is bound to another key than this wallet's")
