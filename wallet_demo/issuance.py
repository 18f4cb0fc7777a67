"""The OpenID4VCI pre-authorized code flow, from a link to the issued credentials.

Two steps because a person sits between them: :func:`resolve_offer` fetches the offer and the
issuer's metadata so the wallet can say who offers what and ask for the transaction code;
:func:`redeem` then exchanges the code for an access token and asks for every offered credential,
each with a fresh nonce and a key proof. Every failure becomes a :class:`WalletError` whose code
says what the volunteer can do (retype the code, ask for a new offer, try again later).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wallet_demo.errors import WalletError
from wallet_demo.keys import HolderKey, proof_jwt
from wallet_demo.metadata import appended_well_known, configuration_format, well_known
from wallet_demo.offers import PRE_AUTHORIZED_GRANT, CredentialOffer, OfferLink, check_url, parse_offer
from wallet_demo.remote import Remote, RemoteError

__all__ = ["Issued", "ResolvedOffer", "check_tx_code", "redeem", "resolve_offer"]


@dataclass(frozen=True)
class ResolvedOffer:
    """An offer with the issuer's metadata and the endpoints the flow will call."""

    offer: CredentialOffer
    raw_offer: dict[str, Any]
    issuer_metadata: dict[str, Any]
    token_endpoint: str
    nonce_endpoint: str | None
    credential_endpoint: str


@dataclass(frozen=True)
class Issued:
    """One credential as the issuer returned it, with the paper QR text if the issuer added one."""

    configuration_id: str
    format: str
    credential: str
    paper_qr: str | None


# The service's own ``reason`` codes (its offer page puts them in ``error``), then OAuth's.
_REASONS = {
    "tx_code_wrong": "wrong_tx_code",
    "tx_code_missing": "tx_code_required",
    "offer_expired": "offer_expired",
    "code_used": "offer_used",
    "offer_burnt": "offer_locked",
    "code_unknown": "offer_not_found",
    "offer_not_found": "offer_not_found",
}
_STATUS = {
    "wrong_tx_code": 400,
    "tx_code_required": 400,
    "offer_expired": 410,
    "offer_used": 409,
    "offer_locked": 409,
    "offer_not_found": 404,
}


def explain(exc: RemoteError, *, during: str) -> WalletError:
    """The volunteer's view of a failed exchange; ``during`` is ``offer``, ``grant`` or another step."""
    if exc.kind == "unreachable":
        return WalletError("service_unreachable", str(exc), status=502)
    if exc.kind == "invalid":
        return WalletError("invalid_response", str(exc), status=502)
    if during in ("offer", "grant"):
        code = _REASONS.get(exc.reason or "") or _REASONS.get(exc.error or "")
        if code is None:
            # Another issuer's words: the same cases, recognised by what they say.
            text = f"{exc.reason or ''} {exc.description or ''}".lower()
            if "tx_code" in text or "transaction code" in text:
                code = "wrong_tx_code"
            elif "expired" in text or exc.status == 410:
                code = "offer_expired"
            elif "used" in text or "redeemed" in text:
                code = "offer_used"
            elif exc.status == 404 or exc.error == "invalid_grant":
                code = "offer_not_found"
        if code is not None:
            return WalletError(code, str(exc), status=_STATUS[code])
    return WalletError("issuer_error", str(exc), status=502)


def _endpoint(metadata: dict[str, Any], name: str, *, allow_http: bool, required: bool) -> str | None:
    value = metadata.get(name)
    if value is None and not required:
        return None
    try:
        return check_url(value, allow_http=allow_http, what=name)
    except WalletError as exc:
        raise WalletError("invalid_response", f"issuer metadata: {exc.detail}", status=502) from None


def _first_found(remote: Remote, urls: list[str]) -> dict[str, Any]:
    """The first of ``urls`` that answers; a 404 moves on, any other failure is final."""
    last: RemoteError | None = None
    for url in urls:
        try:
            return remote.get_json(url)
        except RemoteError as exc:
            if exc.kind != "error" or exc.status not in (404, 405):
                raise explain(exc, during="metadata") from exc
            last = exc
    assert last is not None
    raise explain(last, during="metadata")


def resolve_offer(remote: Remote, link: OfferLink, *, allow_http: bool) -> ResolvedOffer:
    """Fetch the offer (if by reference), the issuer's and the authorization server's metadata."""
    raw = link.offer
    if raw is None:
        assert link.offer_uri is not None
        try:
            raw = remote.get_json(link.offer_uri)
        except RemoteError as exc:
            raise explain(exc, during="offer") from exc
    offer = parse_offer(raw, allow_http=allow_http)
    issuer = offer.credential_issuer
    metadata = _first_found(
        remote,
        [
            well_known(issuer, "openid-credential-issuer"),
            appended_well_known(issuer, "openid-credential-issuer"),
        ],
    )
    if metadata.get("credential_issuer") != issuer:
        raise WalletError(
            "invalid_response", "the issuer metadata names another credential_issuer", status=502
        )
    servers = metadata.get("authorization_servers")
    server = offer.authorization_server or (
        servers[0] if isinstance(servers, list) and servers and isinstance(servers[0], str) else issuer
    )
    server = check_url(server, allow_http=allow_http, what="authorization server")
    as_metadata = _first_found(
        remote,
        [
            well_known(server, "oauth-authorization-server"),
            appended_well_known(server, "oauth-authorization-server"),
        ],
    )
    token = _endpoint(as_metadata, "token_endpoint", allow_http=allow_http, required=True)
    credential = _endpoint(metadata, "credential_endpoint", allow_http=allow_http, required=True)
    assert token is not None and credential is not None
    nonce = _endpoint(metadata, "nonce_endpoint", allow_http=allow_http, required=False)
    return ResolvedOffer(offer, raw, metadata, token, nonce, credential)


def check_tx_code(offer: CredentialOffer, tx_code: str | None) -> str | None:
    """The code to send, after the checks the offer's ``tx_code`` description allows."""
    if offer.tx_code is None:
        return None
    code = (tx_code or "").strip()
    if not code:
        raise WalletError("tx_code_required", "the offer needs the code sent to the volunteer")
    if offer.tx_code.input_mode == "numeric" and not (code.isascii() and code.isdigit()):
        raise WalletError("tx_code_format", "the code is made of digits only")
    if offer.tx_code.length is not None and len(code) != offer.tx_code.length:
        raise WalletError("tx_code_format", f"the code has {offer.tx_code.length} characters")
    return code


def _access_token(remote: Remote, resolved: ResolvedOffer, tx_code: str | None) -> str:
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": resolved.offer.pre_authorized_code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    try:
        answer = remote.post_form(resolved.token_endpoint, form)
    except RemoteError as exc:
        raise explain(exc, during="grant") from exc
    token, token_type = answer.get("access_token"), answer.get("token_type")
    if not isinstance(token, str) or not token or str(token_type).lower() != "bearer":
        raise WalletError("invalid_response", "the token answer has no Bearer access token", status=502)
    return token


def _nonce(remote: Remote, resolved: ResolvedOffer) -> str | None:
    if resolved.nonce_endpoint is None:
        return None
    try:
        answer = remote.post_json(resolved.nonce_endpoint, None)
    except RemoteError as exc:
        raise explain(exc, during="credential") from exc
    nonce = answer.get("c_nonce")
    if not isinstance(nonce, str) or not nonce:
        raise WalletError("invalid_response", "the nonce answer has no c_nonce", status=502)
    return nonce


def _credentials(answer: dict[str, Any]) -> list[str]:
    if "transaction_id" in answer and "credentials" not in answer:
        raise WalletError(
            "unsupported_credential", "the issuer deferred issuance, which this wallet does not support"
        )
    items = answer.get("credentials")
    if isinstance(items, list) and items:
        found = [item.get("credential") for item in items if isinstance(item, dict)]
    else:
        found = [answer.get("credential")]
    if not found or not all(isinstance(c, str) and c for c in found):
        raise WalletError("invalid_response", "the credential answer carries no credential", status=502)
    return [str(c) for c in found]


def _request_one(
    remote: Remote, resolved: ResolvedOffer, token: str, configuration_id: str, holder: HolderKey, now: int
) -> dict[str, Any]:
    """One credential request; a nonce refused as stale is fetched again once."""
    for attempt in (1, 2):
        proof = proof_jwt(
            holder, audience=resolved.offer.credential_issuer, nonce=_nonce(remote, resolved), now=now
        )
        body = {"credential_configuration_id": configuration_id, "proofs": {"jwt": [proof]}}
        try:
            return remote.post_json(resolved.credential_endpoint, body, token=token)
        except RemoteError as exc:
            if exc.error == "invalid_nonce" and attempt == 1:
                continue
            raise explain(exc, during="credential") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def redeem(
    remote: Remote, resolved: ResolvedOffer, *, tx_code: str | None, holder: HolderKey, now: int
) -> list[Issued]:
    """Run the token request and one credential request per offered configuration."""
    token = _access_token(remote, resolved, check_tx_code(resolved.offer, tx_code))
    issued = []
    for configuration_id in resolved.offer.configuration_ids:
        answer = _request_one(remote, resolved, token, configuration_id, holder, now)
        paper = answer.get("skills_vc_paper_qr")
        for credential in _credentials(answer):
            fmt = configuration_format(resolved.issuer_metadata, configuration_id) or (
                "dc+sd-jwt" if "~" in credential else "jwt_vc_json"
            )
            issued.append(
                Issued(configuration_id, fmt, credential, paper if isinstance(paper, str) else None)
            )
    return issued
