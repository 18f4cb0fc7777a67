"""What the wallet does, one method per thing a volunteer asks; the pages only call these.

Credentials are checked before they are kept: the issuer's signature (keys from its published
metadata or DID document), the SD-JWT's disclosures, and that the credential is bound to this
wallet's key. A credential that fails is not stored, so the list never shows something the
wallet could not stand behind.

Presenting (OpenID4VP) is two steps because the volunteer decides in between: :meth:`open_request`
fetches and checks the verifier's signed request and keeps it; :meth:`share` builds the
presentations of the claims the volunteer agreed to, posts them and records what was shown to whom.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from wallet_demo.cards import credential_id, format_kind
from wallet_demo.config import WalletSettings
from wallet_demo.dcql import parse_dcql
from wallet_demo.errors import WalletError
from wallet_demo.issuance import Issued, ResolvedOffer, redeem, resolve_offer
from wallet_demo.issuer_keys import IssuerKeyError, IssuerKeys
from wallet_demo.jose import JoseError, json_b64, jwk_thumbprint, read_jws
from wallet_demo.keys import HolderKey, KeyType, generate, seal, unseal
from wallet_demo.offers import parse_link, parse_offer
from wallet_demo.openid4vp import (
    VerifiedRequest,
    VerifierAnswerError,
    fetch_request_object,
    parse_request_link,
    resolver,
    send_decline,
    send_response,
    verify_request,
)
from wallet_demo.presenting import disclosures_for, presentation
from wallet_demo.remote import Remote
from wallet_demo.sdjwt import SdJwtError, parse_sd_jwt
from wallet_demo.sharing import Matched, disclosed_claims, match_request, sd_jwt_of
from wallet_demo.status_check import CardStatus, StatusChecker
from wallet_demo.store import NewCredential, Store, StoredCard, StoredPresentation

__all__ = ["Shared", "Wallet"]

_PENDING = timedelta(hours=1)
# How long a checked request stays open when it says nothing shorter (its own ``exp``).
_REQUEST_OPEN = timedelta(minutes=15)


@dataclass(frozen=True)
class Shared:
    """What :meth:`Wallet.share` did: the first record, and where the verifier sends the browser."""

    presentation_id: int
    card_id: str
    redirect_uri: str | None


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

    # Presentations (OpenID4VP 1.0).

    def key_for(self, kid: str) -> HolderKey:
        """The holder key ``kid`` (the one a credential is bound to)."""
        stored = self.store.key(kid)
        if stored is None:
            raise WalletError("wallet_key", f"no holder key {kid}", status=500)
        return unseal(stored.sealed, self._secret, stored.kid, cast(KeyType, stored.key_type))

    def open_request(self, link_text: str) -> str:
        """Read the link, fetch and check the signed request, keep it; returns its id here."""
        allow_http = self.settings.allow_http_issuers
        link = parse_request_link(link_text, allow_http=allow_http)
        jwt = fetch_request_object(self.remote, link)
        scheme = self.settings.service_scheme or urlsplit(link.request_uri or "").scheme or "https"
        now = self.clock()
        request = verify_request(
            jwt, link, resolve=resolver(self.remote, scheme), now=int(now.timestamp()), allow_http=allow_http
        )
        expires = now + _REQUEST_OPEN
        if request.expires_at is not None:
            expires = min(expires, datetime.fromtimestamp(request.expires_at, UTC))
        request_id = secrets.token_urlsafe(16)
        data = {
            "client_id": request.client_id,
            "did": request.did,
            "response_uri": request.response_uri,
            "nonce": request.nonce,
            "state": request.state,
            "expires_at": request.expires_at,
            "payload": request.payload,
        }
        self.store.add_pending_request(request_id, data, now, expires)
        return request_id

    def presentation_request(self, request_id: str) -> VerifiedRequest:
        """A request opened earlier and still open, or ``request_session_expired``."""
        data = self.store.pending_request(request_id, now=self.clock())
        if data is None:
            raise WalletError("request_session_expired", f"no open request {request_id}", status=404)
        return VerifiedRequest(
            client_id=data["client_id"],
            did=data["did"],
            response_uri=data["response_uri"],
            nonce=data["nonce"],
            state=data["state"],
            expires_at=data["expires_at"],
            dcql=parse_dcql(data["payload"]["dcql_query"]),
            payload=data["payload"],
        )

    def match(self, request: VerifiedRequest) -> Matched:
        return match_request(request, self.cards())

    def share(self, request_id: str, ticked: dict[str, set[str]], chosen_cards: dict[str, str]) -> Shared:
        """Present the ticked claims (plus the required ones) to the verifier, and record it.

        ``ticked`` maps a credential query id to the claim ids the volunteer left ticked,
        ``chosen_cards`` a query id to the card chosen when several could answer.
        """
        request = self.presentation_request(request_id)
        matched = self.match(request)
        if not matched.can_answer:
            raise WalletError("no_matching_credential", "no credential answers the request", status=409)
        now = self.clock()
        vp_token: dict[str, list[str]] = {}
        records: list[tuple[StoredCard, str, dict[str, Any]]] = []
        for answer in matched.answers:
            query = answer.query
            wanted = chosen_cards.get(query.id)
            card = next((c for c in answer.cards if c.id == wanted), answer.cards[0])
            found = sd_jwt_of(card)
            assert found is not None  # the card matched, so it has a readable SD-JWT
            credential, sd = found
            claim_ids = disclosed_claims(query, sd, ticked.get(query.id, set()))
            if claim_ids is None:
                raise WalletError("claims_unsatisfied", f"{query.id}: the choice satisfies no claim set")
            ordered = [c for c in query.claims if c.id in claim_ids]
            disclosures = disclosures_for(sd, [c.path for c in ordered])
            assert disclosures is not None  # every claim of the set is available
            holder = self.key_for(card.holder_kid)
            cnf = sd.claims.get("cnf")
            if (
                not isinstance(cnf, dict)
                or not isinstance(cnf.get("jwk"), dict)
                or jwk_thumbprint(cnf["jwk"]) != holder.kid
            ):
                raise WalletError(
                    "wallet_key", "the credential is not bound to the key the wallet holds", status=500
                )
            vp_token[query.id] = [
                presentation(
                    sd,
                    disclosures,
                    holder,
                    audience=request.client_id,
                    nonce=request.nonce,
                    now=int(now.timestamp()),
                )
            ]
            disclosed = {
                "query": query.id,
                "verifier_host": request.verifier,
                "claims": [{"id": c.id, "path": list(c.path)} for c in ordered],
                "format": credential.format,
            }
            records.append((card, credential.format, disclosed))
        # Taken before sending, so a second click sends nothing; put back if the answer fails.
        taken = self.store.take_pending_request(request_id)
        if taken is None:
            raise WalletError(
                "request_session_expired", f"request {request_id} is being answered", status=409
            )
        allow_http = self.settings.allow_http_issuers
        try:
            redirect = send_response(self.remote, request, vp_token, allow_http=allow_http)
        except VerifierAnswerError:
            self.store.restore_pending_request(request_id, taken)
            self._record(records, request, accepted=False, redirect=None)  # the verifier has it all the same
            raise
        except Exception:
            self.store.restore_pending_request(request_id, taken)
            raise
        ids = self._record(records, request, accepted=True, redirect=redirect)
        return Shared(ids[0], records[0][0].id, redirect)

    def _record(
        self,
        records: list[tuple[StoredCard, str, dict[str, Any]]],
        request: VerifiedRequest,
        *,
        accepted: bool,
        redirect: str | None,
    ) -> list[int]:
        now = self.clock()
        ids = []
        for card, fmt, disclosed in records:
            row = self.store.credential_row(card.id, fmt)
            entry = {**disclosed, "accepted": accepted, "redirect_uri": redirect}
            ids.append(self.store.add_presentation(card.id, row, request.client_id, entry, now))
        return ids

    def decline(self, request_id: str) -> None:
        """Tell the verifier the volunteer said no, and forget the request."""
        request = self.presentation_request(request_id)
        send_decline(self.remote, request, allow_http=self.settings.allow_http_issuers)
        self.store.delete_pending_request(request_id)

    def presentations(self, card_id: str) -> list[StoredPresentation]:
        return self.store.presentations(card_id)

    def presented(self, presentation_id: int) -> StoredPresentation:
        found = self.store.presentation(presentation_id)
        if found is None:
            raise WalletError("not_found", f"no presentation {presentation_id}", status=404)
        return found


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
