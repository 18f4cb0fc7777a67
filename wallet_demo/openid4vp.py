"""OpenID4VP 1.0 as the wallet meets it: the request link, the signed request object, the answer.

Only verifiers identified by a DID are answered (client identifier prefix
``decentralized_identifier:``, resolved for ``did:web``): the request object must be a JWT of type
``oauth-authz-req+jwt`` signed by a key of that DID's document, so the wallet can say who asks.
A request passed by value without a signature (plain ``response_type=…&dcql_query=…``
parameters) is refused: with this prefix OpenID4VP requires a signed request, and without one
anybody could claim any name. A signed request object by value (``request=<JWT>``) is accepted
with the same checks as one fetched by reference.

The answer is ``direct_post``: a form with ``vp_token`` (a JSON object, one array of
presentations per credential query id) and ``state``, posted to the ``response_uri``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from wallet_demo.dcql import SD_JWT_FORMATS, DcqlError, DcqlQuery, parse_dcql
from wallet_demo.errors import WalletError
from wallet_demo.issuer_keys import IssuerKeyError, did_web_url
from wallet_demo.jose import JoseError, read_jws, verify_jws
from wallet_demo.remote import Remote, RemoteError

__all__ = [
    "CLIENT_ID_PREFIX",
    "REQUEST_TYP",
    "RequestError",
    "RequestLink",
    "VerifiedRequest",
    "VerifierAnswerError",
    "fetch_request_object",
    "parse_request_link",
    "resolver",
    "send_decline",
    "send_response",
    "verifier_host",
    "verifier_key",
    "verify_request",
]

CLIENT_ID_PREFIX = "decentralized_identifier:"
REQUEST_TYP = "oauth-authz-req+jwt"
REQUEST_SCHEMES = ("openid4vp", "https", "http")
_ALGS = ("ES256", "EdDSA")
_MAX_LINK = 16_384
WALLET_METADATA = {
    "vp_formats_supported": {
        "dc+sd-jwt": {"sd-jwt_alg_values": list(_ALGS), "kb-jwt_alg_values": list(_ALGS)}
    },
    "client_id_prefixes_supported": ["decentralized_identifier"],
}


class RequestError(WalletError):
    """A request the wallet will not answer; ``public_detail`` is shown as the technical detail."""

    def __init__(self, code: str, detail: str, *, status: int = 400) -> None:
        super().__init__(code, detail, status=status)
        self.public_detail = detail


class VerifierAnswerError(RequestError):
    """The verifier answered the presentation with an error (it has received what was sent)."""


@dataclass(frozen=True)
class RequestLink:
    """What an ``openid4vp://`` link carries: the request object's URL, or the object itself."""

    client_id: str
    request_uri: str | None = None
    request_uri_method: str = "get"
    request: str | None = None


@dataclass(frozen=True)
class VerifiedRequest:
    """A request whose signature and parameters were checked; ``payload`` is the signed object."""

    client_id: str
    did: str
    response_uri: str
    nonce: str
    state: str | None
    expires_at: int | None
    dcql: DcqlQuery
    payload: dict[str, Any]

    @property
    def verifier(self) -> str:
        return verifier_host(self.did)

    def accepts(self, issuer_alg: Any, holder_alg: str) -> bool:
        """Whether the verifier's ``vp_formats_supported`` (if it sent one) takes these algorithms."""
        metadata = self.payload.get("client_metadata")
        formats = metadata.get("vp_formats_supported") if isinstance(metadata, dict) else None
        if not isinstance(formats, dict):
            return True
        for fmt in SD_JWT_FORMATS:
            entry = formats.get(fmt)
            if not isinstance(entry, dict):
                continue
            issuer_algs, holder_algs = entry.get("sd-jwt_alg_values"), entry.get("kb-jwt_alg_values")
            if isinstance(issuer_algs, list) and issuer_alg not in issuer_algs:
                continue
            if isinstance(holder_algs, list) and holder_alg not in holder_algs:
                continue
            return True
        return False


def _url(value: Any, *, allow_http: bool, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise RequestError("request_invalid", f"{what} is missing")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise RequestError("request_invalid", f"{what} is not an absolute http(s) URL without a fragment")
    if parts.scheme == "http" and not allow_http:
        raise RequestError("request_http_not_allowed", f"{what} uses plain http, which this wallet refuses")
    return value


def verifier_host(did: str) -> str:
    """The host of a ``did:web`` (``did:web:127.0.0.1%3A8000:a`` -> ``127.0.0.1:8000``)."""
    return unquote(did.removeprefix("did:web:").split(":")[0])


def _did_of(client_id: str) -> str:
    if not client_id.startswith(CLIENT_ID_PREFIX):
        raise RequestError(
            "unsupported_client",
            f"client_id {client_id!r} does not use the decentralized_identifier: prefix",
        )
    did = client_id[len(CLIENT_ID_PREFIX) :]
    if not did.startswith("did:web:") or "#" in did or not verifier_host(did):
        raise RequestError("unsupported_client", f"{did!r} is not a did:web (the only DID method resolved)")
    return did


def parse_request_link(text: str, *, allow_http: bool) -> RequestLink:
    """Read ``openid4vp://?client_id=…&request_uri=…[&request_uri_method=get|post]``.

    A signed request object by value (``request=<JWT>``) is read too.
    """
    link = (text or "").strip()
    if not link:
        raise RequestError("empty_request_link", "no link was given")
    if len(link) > _MAX_LINK:
        raise RequestError("not_a_request", "the text is too long to be a request link")
    parts = urlsplit(link)
    if parts.scheme.lower() not in REQUEST_SCHEMES:
        raise RequestError("not_a_request", "the text is not an openid4vp:// link")
    params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    client_id = params.get("client_id", "")
    if not client_id and not ({"request_uri", "request", "dcql_query"} & set(params)):
        raise RequestError("not_a_request", "the link has no client_id and no request")
    if "request_uri" not in params and "request" not in params:
        if {"response_type", "dcql_query", "presentation_definition", "nonce"} & set(params):
            raise RequestError(
                "unsigned_request",
                "the request is passed by value without a signature, so who asks cannot be checked",
            )
        raise RequestError("not_a_request", "the link has neither request_uri nor request")
    if not client_id:
        raise RequestError("request_invalid", "the link has no client_id")
    _did_of(client_id)
    if "request" in params:
        return RequestLink(client_id=client_id, request=params["request"])
    method = (params.get("request_uri_method") or "get").lower()
    if method not in ("get", "post"):
        raise RequestError("request_invalid", f"request_uri_method {method!r} is neither get nor post")
    uri = _url(params["request_uri"], allow_http=allow_http, what="request_uri")
    return RequestLink(client_id=client_id, request_uri=uri, request_uri_method=method)


def _explain(exc: RemoteError, *, during: str) -> RequestError:
    if exc.kind == "unreachable":
        return RequestError("verifier_unreachable", str(exc), status=502)
    if exc.kind == "error" and during == "request" and exc.status in (404, 410):
        return RequestError("request_not_found", str(exc), status=410)
    if exc.kind == "error":
        described = ": ".join(p for p in (exc.error, exc.description) if p) or f"HTTP {exc.status}"
        code = "request_refused" if during == "request" else "verifier_refused"
        return RequestError(code, described, status=502)
    return RequestError("request_invalid", str(exc), status=502)


def fetch_request_object(remote: Remote, link: RequestLink) -> str:
    """The request object: given by value, or fetched (GET, or POST with the wallet's metadata)."""
    if link.request is not None:
        return link.request
    assert link.request_uri is not None
    accept = f"application/{REQUEST_TYP}, application/jwt;q=0.8"
    try:
        if link.request_uri_method == "post":
            form = {"wallet_metadata": json.dumps(WALLET_METADATA, separators=(",", ":"))}
            return remote.post_form_text(link.request_uri, form, accept)
        return remote.get_text(link.request_uri, accept)
    except RemoteError as exc:
        raise _explain(exc, during="request") from exc


def verifier_key(document: dict[str, Any], did: str, kid: str) -> dict[str, Any]:
    """The public JWK of the verification method ``kid`` (absolute or relative id) in ``document``."""
    fragment = kid.partition("#")[2]
    methods = [m for m in document.get("verificationMethod") or [] if isinstance(m, dict)]
    for relation in ("authentication", "assertionMethod"):
        embedded = document.get(relation)
        methods += [m for m in embedded if isinstance(m, dict)] if isinstance(embedded, list) else []
    for method in methods:
        if method.get("id") in (kid, f"#{fragment}"):
            jwk = method.get("publicKeyJwk")
            if isinstance(jwk, dict) and "d" not in jwk:
                return jwk
            raise RequestError("request_unverified", f"{kid} has no public JWK")
    raise RequestError("request_unverified", f"{did} does not publish the key {kid}")


Resolver = Callable[[str], dict[str, Any]]


def _signed_by_client(jws_text: str, did: str, resolve: Resolver) -> dict[str, Any]:
    """The payload of the request object once its header and signature are checked against ``did``."""
    try:
        jws = read_jws(jws_text)
    except JoseError as exc:
        raise RequestError("request_invalid", f"the request object is not a signed JWT: {exc}") from exc
    header = jws.header
    if header.get("typ") != REQUEST_TYP:
        raise RequestError(
            "request_unverified", f"the request object's typ is {header.get('typ')!r}, not {REQUEST_TYP}"
        )
    if header.get("alg") not in _ALGS:
        raise RequestError(
            "request_unverified", f"the request object's alg {header.get('alg')!r} is not ES256 or EdDSA"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or kid.partition("#")[0] != did or not kid.partition("#")[2]:
        raise RequestError("request_unverified", f"the request object's kid {kid!r} is not a key of {did}")
    document = resolve(did)
    if document.get("id") != did:
        raise RequestError("request_unverified", f"the DID document is not that of {did}")
    try:
        verify_jws(jws, verifier_key(document, did, kid))
    except JoseError as exc:
        raise RequestError("request_unverified", f"the request object's signature: {exc}") from exc
    return jws.payload


def verify_request(
    jws_text: str, link: RequestLink, *, resolve: Resolver, now: int, allow_http: bool
) -> VerifiedRequest:
    """Check the request object of ``link`` (see the module docstring); ``resolve`` fetches a DID document."""
    did = _did_of(link.client_id)
    payload = _signed_by_client(jws_text, did, resolve)
    if payload.get("client_id") != link.client_id:
        raise RequestError(
            "request_unverified",
            f"the signed client_id {payload.get('client_id')!r} is not the link's {link.client_id!r}",
        )
    exp = payload.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or isinstance(exp, bool)):
        raise RequestError("request_invalid", "exp is not a number")
    if exp is not None and exp <= now:
        raise RequestError("request_expired", "the request has expired", status=410)
    if payload.get("response_type") != "vp_token":
        raise RequestError(
            "unsupported_request", f"response_type {payload.get('response_type')!r} is not vp_token"
        )
    if payload.get("response_mode") != "direct_post":
        raise RequestError(
            "unsupported_request", f"response_mode {payload.get('response_mode')!r} is not direct_post"
        )
    response_uri = _url(payload.get("response_uri"), allow_http=allow_http, what="response_uri")
    if "redirect_uri" in payload:
        raise RequestError("request_invalid", "redirect_uri must not be given with direct_post")
    nonce, state = payload.get("nonce"), payload.get("state")
    if not isinstance(nonce, str) or not nonce:
        raise RequestError("request_invalid", "nonce is missing")
    if state is not None and not isinstance(state, str):
        raise RequestError("request_invalid", "state is not a string")
    if "dcql_query" not in payload:
        raise RequestError(
            "unsupported_request",
            "the request has no dcql_query (presentation_definition and scope are not read)",
        )
    try:
        dcql = parse_dcql(payload["dcql_query"])
    except DcqlError as exc:
        raise RequestError(exc.code, exc.detail) from exc
    return VerifiedRequest(
        client_id=link.client_id,
        did=did,
        response_uri=response_uri,
        nonce=nonce,
        state=state,
        expires_at=int(exp) if exp is not None else None,
        dcql=dcql,
        payload=payload,
    )


def resolver(remote: Remote, scheme: str) -> Resolver:
    """Fetch ``did:web`` documents over ``scheme`` (https in real life; http for a local service)."""

    def resolve(did: str) -> dict[str, Any]:
        try:
            url = did_web_url(did, scheme)
        except IssuerKeyError as exc:
            raise RequestError("unsupported_client", str(exc)) from exc
        try:
            return remote.get_json(url)
        except RemoteError as exc:
            if exc.kind == "unreachable":
                raise RequestError("verifier_unreachable", str(exc), status=502) from exc
            raise RequestError("request_unverified", f"the DID document of {did}: {exc}", status=502) from exc

    return resolve


def _redirect(answer: dict[str, Any], *, allow_http: bool) -> str | None:
    value = answer.get("redirect_uri")
    if value is None:
        return None
    try:
        return _url(value, allow_http=allow_http, what="redirect_uri")
    except RequestError:
        return None  # an unusable redirect is not followed; the presentation was still received


def send_response(
    remote: Remote, request: VerifiedRequest, vp_token: dict[str, list[str]], *, allow_http: bool
) -> str | None:
    """POST the presentations; the ``redirect_uri`` the verifier answers with, if any.

    Raises :class:`VerifierAnswerError` when the verifier answered with an error (it has the
    presentation all the same) and :class:`RequestError` when it could not be reached.
    """
    form = {"vp_token": json.dumps(vp_token, separators=(",", ":"))}
    if request.state is not None:
        form["state"] = request.state
    try:
        answer = remote.post_form_lenient(request.response_uri, form)
    except RemoteError as exc:
        explained = _explain(exc, during="response")
        if exc.kind == "error":
            raise VerifierAnswerError(explained.code, explained.detail, status=explained.status) from exc
        raise explained from exc
    return _redirect(answer, allow_http=allow_http)


def send_decline(remote: Remote, request: VerifiedRequest, *, allow_http: bool) -> str | None:
    """Tell the verifier the volunteer declined (``access_denied``); its ``redirect_uri`` if any."""
    form = {"error": "access_denied", "error_description": "the holder declined to share"}
    if request.state is not None:
        form["state"] = request.state
    try:
        answer = remote.post_form_lenient(request.response_uri, form)
    except RemoteError:
        return None  # declining never fails for the volunteer
    return _redirect(answer, allow_http=allow_http)
