"""A counsellor asks the volunteer's wallet: OpenID4VP 1.0, DCQL, request by reference, direct_post.

The platform is the verifier. Its client identifier is ``decentralized_identifier:`` + its own
``did:web`` (published at ``/.well-known/did.json``), and it signs each request object with its
verifier key. A request asks for the skills credential (``dc+sd-jwt`` of this platform's ``vct``):
always the skills, the activity and the role, and whichever of the name, the dates and the
association the counsellor ticked, which the volunteer may keep back (DCQL ``claim_sets``).

The wallet's answer is checked like any SD-JWT VC (signature, disclosures, issuer, validity, status,
schema) and bound to this request: a key binding JWT signed by the credential's holder key, for
this verifier (``aud``) and this request (``nonce``), fresh, and answering the query. An answer
that is not bound to the request (a replay, another counsellor's request, no KB-JWT) is refused
and leaves the request open; a bound answer is kept, verified or not (a revoked credential), and
the request is closed. Requests and answers are deleted ``presentation_keep_seconds`` after the
request was made.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from skills_vc.core import keys as keylib
from skills_vc.core.checks import Check, Report
from skills_vc.core.dids import VerificationKey, did_document
from skills_vc.core.formats import Signer
from skills_vc.core.jws import compact_json, sign_compact
from skills_vc.errors import NotFoundError, OAuthError, SkillsVCError, ValidationFailed
from skills_vc.services import associations, verification
from skills_vc.services.context import ServiceContext
from skills_vc.services.verification import RemoteStatusLists
from skills_vc.services.wallet_issuance import vct_url
from skills_vc.store import platform_keys
from skills_vc.store import vp_requests as repo
from skills_vc.store.tables import PlatformKey, PresentationRequest

__all__ = [
    "CLAIMS",
    "OPTIONAL",
    "QUERY_ID",
    "REQUIRED",
    "Answer",
    "NewRequest",
    "client_id",
    "create_request",
    "dcql_query",
    "platform_did",
    "platform_did_document",
    "read_answer",
    "request_object",
    "respond",
    "state_of",
]

CLIENT_PREFIX = "decentralized_identifier:"
QUERY_ID = "volunteer_skills"
# claim id -> its path in the SD-JWT VC's claims
CLAIMS: dict[str, list[str]] = {
    "skills": ["skills"],
    "activity": ["activity", "title"],
    "role": ["activity", "role"],
    "name": ["volunteer", "name"],
    "start": ["activity", "start_date"],
    "end": ["activity", "end_date"],
    "association": ["association", "name"],
}
REQUIRED = ("skills", "activity", "role")
OPTIONAL = ("name", "start", "end", "association")
_PURPOSE = "verifier"
_KB_MAX_AGE = 300
_KB_SKEW = 60


def platform_did(ctx: ServiceContext) -> str:
    """``did:web:<host>``: the platform itself (its document is ``/.well-known/did.json``)."""
    return "did:web:" + quote(ctx.settings.public_host, safe="")


def client_id(ctx: ServiceContext) -> str:
    return CLIENT_PREFIX + platform_did(ctx)


def _key(ctx: ServiceContext) -> PlatformKey:
    # P-256: the algorithm every OpenID4VP wallet (HAIP) must accept.
    return associations.platform_key(
        ctx, _PURPOSE, "P-256", lambda fragment: f"{platform_did(ctx)}#{fragment}"
    )


def _signer(ctx: ServiceContext) -> Signer:
    key = _key(ctx)
    return associations.unseal_signer(ctx, key, f"{platform_did(ctx)}#{key.fragment}")


def platform_did_document(ctx: ServiceContext) -> dict[str, Any]:
    """The platform's DID document: its verifier keys (created on first use)."""
    _key(ctx)
    keys = [
        VerificationKey(k.fragment, k.public_jwk) for k in platform_keys.of_purpose(ctx.session, _PURPOSE)
    ]
    return did_document(platform_did(ctx), keys)


@dataclass(frozen=True)
class NewRequest:
    id: str
    link: str
    viewer_secret: str
    expires_at: datetime


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _base(ctx: ServiceContext) -> str:
    return ctx.settings.public_url.rstrip("/") + "/verify/wallet"


def create_request(ctx: ServiceContext, extras: Sequence[str]) -> NewRequest:
    """A request for the skills credential and the ``extras`` the counsellor ticked."""
    unknown = [claim for claim in extras if claim not in OPTIONAL]
    if unknown:
        raise ValidationFailed(f"cannot ask for {unknown[0]!r}", code="unknown_claim")
    now = ctx.now()
    repo.forget_before(ctx.session, now)
    request_id, secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
    ttl = timedelta(seconds=ctx.settings.presentation_request_ttl_seconds)
    row = PresentationRequest(
        id=request_id,
        nonce=secrets.token_urlsafe(24),
        state=secrets.token_urlsafe(24),
        claims=[*REQUIRED, *(claim for claim in OPTIONAL if claim in extras)],
        viewer_hash=_hash(secret),
        created_at=now,
        expires_at=now + ttl,
        forget_at=now + max(ttl, timedelta(seconds=ctx.settings.presentation_keep_seconds)),
        answered_at=None,
        result=None,
    )
    repo.add(ctx.session, row)
    query = urlencode({"client_id": client_id(ctx), "request_uri": f"{_base(ctx)}/requests/{request_id}"})
    return NewRequest(request_id, "openid4vp://?" + query, secret, row.expires_at)


def dcql_query(ctx: ServiceContext, claims: Sequence[str]) -> dict[str, Any]:
    """The DCQL query of a request; ``claim_sets`` from everything asked down to the required."""
    optional = [claim for claim in claims if claim not in REQUIRED]
    sets = [
        [*REQUIRED, *chosen]
        for size in range(len(optional), -1, -1)
        for chosen in itertools.combinations(optional, size)
    ]
    query: dict[str, Any] = {
        "id": QUERY_ID,
        "format": "dc+sd-jwt",
        "meta": {"vct_values": [vct_url(ctx)]},
        "claims": [{"id": claim, "path": CLAIMS[claim]} for claim in claims],
    }
    if len(sets) > 1:
        query["claim_sets"] = sets
    return {"credentials": [query]}


def _open(ctx: ServiceContext, request_id: str) -> PresentationRequest:
    row = repo.by_id(ctx.session, request_id)
    if row is None:
        raise NotFoundError("no such presentation request (or it was forgotten)", code="request_not_found")
    return row


def request_object(ctx: ServiceContext, request_id: str) -> str:
    """The signed request object (``oauth-authz-req+jwt``) a wallet fetches by reference."""
    row = _open(ctx, request_id)
    if row.answered_at is not None:
        raise SkillsVCError("this request was already answered", code="request_answered", status=410)
    if row.expires_at <= ctx.now():
        raise SkillsVCError("this request has expired", code="request_expired", status=410)
    signer = _signer(ctx)
    header = keylib.b64url(
        compact_json({"alg": signer.algorithm, "kid": signer.kid, "typ": "oauth-authz-req+jwt"})
    )
    algs = ["EdDSA", "ES256"]
    # No ``iss``: OpenID4VP 1.0 says a wallet ignores it, and wallets built on oid4vc-ts refuse a
    # request whose ``iss`` (the prefixed client id) differs from the DID of the key that signs it.
    payload = {
        "client_id": client_id(ctx),
        "aud": "https://self-issued.me/v2",
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "response_uri": f"{_base(ctx)}/responses/{row.id}",
        "nonce": row.nonce,
        "state": row.state,
        "iat": int(ctx.now().timestamp()),
        "exp": int(row.expires_at.timestamp()),
        "client_metadata": {
            "vp_formats_supported": {"dc+sd-jwt": {"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs}}
        },
        "dcql_query": dcql_query(ctx, list(row.claims)),
    }
    return sign_compact(header, payload, signer.key, signer.algorithm)


def _presentation(form: dict[str, str]) -> str:
    try:
        token = orjson.loads(form.get("vp_token", ""))
    except orjson.JSONDecodeError:
        raise OAuthError("invalid_request", "vp_token_malformed", "vp_token is not a JSON object") from None
    answers = token.get(QUERY_ID) if isinstance(token, dict) else None
    if isinstance(answers, list) and len(answers) == 1 and isinstance(answers[0], str):
        return answers[0]
    if isinstance(answers, str):
        return answers
    raise OAuthError(
        "invalid_request", "vp_token_malformed", f"vp_token must hold one presentation for {QUERY_ID!r}"
    )


def _claim(claims: dict[str, Any], path: list[str]) -> Any:
    value: Any = claims
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _bound(ctx: ServiceContext, row: PresentationRequest, report: Report) -> None:
    """Refuse an answer not bound to this request; say precisely why (nothing is kept then)."""
    if report.format != "dc+sd-jwt":
        raise OAuthError(
            "invalid_request", "format_not_requested", "the request asks for a dc+sd-jwt credential"
        )
    for name in ("signature", "disclosures"):
        check = report.check(name)
        if check is None or check.status != "passed":
            code = check.code if check is not None else "signature_invalid"
            raise OAuthError("invalid_request", code, check.message["en"] if check else "not verifiable")
    binding = report.check("key_binding")
    if binding is None:
        raise OAuthError("invalid_request", "key_binding_missing", "the presentation has no key binding JWT")
    if binding.status != "passed":
        raise OAuthError("invalid_request", binding.code, binding.message["en"])
    if binding.params.get("aud") != client_id(ctx):
        raise OAuthError(
            "invalid_request", "aud_mismatch", "the key binding JWT is not meant for this verifier"
        )
    if not hmac.compare_digest(str(binding.params.get("nonce")), row.nonce):
        raise OAuthError("invalid_request", "nonce_mismatch", "the key binding JWT answers another request")
    iat = binding.params.get("iat")
    now = int(ctx.now().timestamp())
    if not isinstance(iat, int) or not now - _KB_MAX_AGE <= iat <= now + _KB_SKEW:
        raise OAuthError("invalid_request", "key_binding_stale", "the key binding JWT is not fresh")
    claims = report.credential or {}
    if claims.get("vct") != vct_url(ctx):
        raise OAuthError(
            "invalid_request", "vct_not_requested", "the credential is not of the type asked for"
        )


def respond(
    ctx: ServiceContext, request_id: str, form: dict[str, str], remote: RemoteStatusLists
) -> dict[str, Any]:
    """The wallet's ``direct_post``: check the answer, keep it for the counsellor, close the request."""
    row = repo.by_id(ctx.session, request_id)
    now = ctx.now()
    if row is None:
        raise OAuthError("invalid_request", "request_unknown", "no such request (or it was forgotten)")
    if row.answered_at is not None:
        raise OAuthError("invalid_request", "request_answered", "this request was already answered")
    if row.expires_at <= now:
        raise OAuthError("invalid_request", "request_expired", "this request has expired")
    if not hmac.compare_digest(form.get("state", ""), row.state):
        raise OAuthError("invalid_request", "state_mismatch", "state does not match the request")
    if form.get("error"):
        result: dict[str, Any] = {"declined": form["error"][:100]}
    else:
        report = verification.verify(ctx, _presentation(form), remote)
        _bound(ctx, row, report)
        claims = report.credential or {}
        disclosed = [claim for claim in row.claims if _claim(claims, CLAIMS[claim]) not in (None, [], "")]
        missing = [claim for claim in REQUIRED if claim not in disclosed]
        if missing:
            raise OAuthError(
                "invalid_request",
                "required_claim_missing",
                f"the presentation does not disclose {missing[0]}",
            )
        result = {
            "verified": report.verified,
            "format": report.format,
            "checks": [
                {"name": c.name, "status": c.status, "code": c.code, "params": c.params}
                for c in report.checks
            ],
            "credential": {k: v for k, v in claims.items() if k != "cnf"},
            "disclosed": disclosed,
            "kept_back": [claim for claim in row.claims if claim not in disclosed],
        }
    if not repo.answer(ctx.session, row.id, result, now):
        raise OAuthError("invalid_request", "request_answered", "this request was already answered")
    return {}


def _viewed(ctx: ServiceContext, request_id: str, viewer_secret: str | None) -> PresentationRequest:
    repo.forget_before(ctx.session, ctx.now())
    row = repo.by_id(ctx.session, request_id)
    if row is None or not viewer_secret or not hmac.compare_digest(row.viewer_hash, _hash(viewer_secret)):
        raise NotFoundError("no such request on this browser (or it was forgotten)", code="request_not_found")
    return row


def state_of(ctx: ServiceContext, request_id: str, viewer_secret: str | None) -> str:
    """``pending``, ``answered``, ``declined`` or ``expired``, for the counsellor's browser only."""
    row = _viewed(ctx, request_id, viewer_secret)
    if row.answered_at is not None and row.result is not None:
        return "declined" if "declined" in row.result else "answered"
    return "expired" if row.expires_at <= ctx.now() else "pending"


@dataclass(frozen=True)
class Answer:
    """A request as the counsellor's page shows it."""

    id: str
    state: str
    link: str
    expires_at: datetime
    claims: list[str]
    report: Report | None = None
    disclosed: tuple[str, ...] = ()
    kept_back: tuple[str, ...] = ()


def read_answer(ctx: ServiceContext, request_id: str, viewer_secret: str | None) -> Answer:
    row = _viewed(ctx, request_id, viewer_secret)
    state = state_of(ctx, request_id, viewer_secret)
    query = urlencode({"client_id": client_id(ctx), "request_uri": f"{_base(ctx)}/requests/{row.id}"})
    answer = Answer(row.id, state, "openid4vp://?" + query, row.expires_at, list(row.claims))
    if state != "answered" or row.result is None:
        return answer
    result = row.result
    report = Report(
        format=result["format"],
        checks=[Check(c["name"], c["status"], c["code"], c["params"]) for c in result["checks"]],
        credential=result["credential"],
    )
    return Answer(
        answer.id,
        state,
        answer.link,
        answer.expires_at,
        answer.claims,
        report,
        tuple(result["disclosed"]),
        tuple(result["kept_back"]),
    )
