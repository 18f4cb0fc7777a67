"""Which stored credentials answer a request, and which claims of them the volunteer may keep back.

Pure functions over a checked request and the wallet's cards (no network, no database). A card
answers a credential query when its SD-JWT VC has a ``vct`` the query names, algorithms the
verifier accepts, and the claims of at least one claim set. For each claim the page needs to know
whether it is required (in every claim set), whether the credential has it, and whether it needs a
disclosure at all: a claim that is not selectively disclosable (the association's name) reaches
the verifier with the credential anyway, so the page says so instead of offering to untick it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wallet_demo.cards import format_kind
from wallet_demo.dcql import SD_JWT_FORMATS, CredentialQuery, PathPart, select_path
from wallet_demo.jose import JoseError, jwk_algorithm
from wallet_demo.openid4vp import VerifiedRequest
from wallet_demo.presenting import disclosures_for
from wallet_demo.sdjwt import SdJwt, SdJwtError, parse_sd_jwt
from wallet_demo.store import StoredCard, StoredCredential

__all__ = [
    "ClaimChoice",
    "Matched",
    "QueryAnswer",
    "claim_choices",
    "disclosed_claims",
    "match_request",
    "sd_jwt_of",
]


@dataclass(frozen=True)
class ClaimChoice:
    """One claim asked for, as the consent page shows it."""

    query_id: str
    claim_id: str
    path: tuple[PathPart, ...]
    required: bool
    available: bool
    always: bool  # the credential shows it without a disclosure: it cannot be kept back
    values: tuple[Any, ...]

    @property
    def optional(self) -> bool:
        return self.available and not self.required and not self.always


@dataclass(frozen=True)
class QueryAnswer:
    """A credential query to answer, the cards that can answer it, the claims of the first one."""

    query: CredentialQuery
    cards: tuple[StoredCard, ...]
    claims: tuple[ClaimChoice, ...]


@dataclass(frozen=True)
class Matched:
    """The queries the wallet will answer, and the required ones it cannot (then it answers none)."""

    answers: tuple[QueryAnswer, ...]
    missing: tuple[CredentialQuery, ...]

    @property
    def can_answer(self) -> bool:
        return bool(self.answers) and not self.missing


def sd_jwt_of(card: StoredCard) -> tuple[StoredCredential, SdJwt] | None:
    """The card's SD-JWT VC, parsed (None if it has none, or it cannot be read)."""
    for credential in card.credentials:
        if format_kind(credential.format) == "sd-jwt":
            try:
                return credential, parse_sd_jwt(credential.raw)
            except SdJwtError:
                return None
    return None


def _available(query: CredentialQuery, sd: SdJwt) -> dict[str, bool]:
    """Per claim id: whether the credential has it (with one of the values asked for, if any)."""
    found = {}
    for claim in query.claims:
        has = disclosures_for(sd, [claim.path]) is not None
        if has and claim.values is not None:
            has = any(v in claim.values for v in select_path(sd.claims, claim.path))
        found[claim.id] = has
    return found


def claim_choices(query: CredentialQuery, sd: SdJwt) -> tuple[ClaimChoice, ...]:
    """The claims of ``query`` the verifier may receive, described against credential ``sd``."""
    available = _available(query, sd)
    required = query.required
    choices = []
    for claim_id in query.asked:
        claim = query.claim(claim_id)
        disclosures = disclosures_for(sd, [claim.path]) if available[claim_id] else None
        choices.append(
            ClaimChoice(
                query_id=query.id,
                claim_id=claim_id,
                path=claim.path,
                required=claim_id in required,
                available=available[claim_id],
                always=disclosures == [],
                values=tuple(select_path(sd.claims, claim.path)),
            )
        )
    return tuple(choices)


def _answers(query: CredentialQuery, request: VerifiedRequest, sd: SdJwt) -> bool:
    if query.format not in SD_JWT_FORMATS:
        return False
    if query.vct_values is not None and sd.claims.get("vct") not in query.vct_values:
        return False
    cnf = sd.claims.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    try:
        holder_alg = jwk_algorithm(jwk) if isinstance(jwk, dict) else None
    except JoseError:
        holder_alg = None
    if holder_alg is None or not request.accepts(sd.jws.header.get("alg"), holder_alg):
        return False
    available = {claim_id for claim_id, has in _available(query, sd).items() if has}
    return query.chosen_set(available) is not None or not query.claims


def match_request(request: VerifiedRequest, cards: list[StoredCard]) -> Matched:
    """The queries to answer: all of them, or with ``credential_sets`` the first option of each
    required set that the wallet can answer (optional sets are left out: less is shared)."""
    readable = [(card, read[1]) for card in cards if (read := sd_jwt_of(card)) is not None]
    by_query: dict[str, list[tuple[StoredCard, SdJwt]]] = {
        q.id: [(card, sd) for card, sd in readable if _answers(q, request, sd)]
        for q in request.dcql.credentials
    }
    wanted: list[str] = []
    missing: list[CredentialQuery] = []
    if request.dcql.credential_sets is None:
        wanted = [q.id for q in request.dcql.credentials]
    else:
        for options, required in request.dcql.credential_sets:
            if not required:
                continue
            option = next((o for o in options if all(by_query[i] for i in o)), None)
            wanted += [i for i in (option or options[0]) if i not in wanted]
    answers = []
    for query_id in wanted:
        query = request.dcql.query(query_id)
        answering = by_query[query_id]
        if not answering:
            missing.append(query)
            continue
        answers.append(
            QueryAnswer(query, tuple(c for c, _ in answering), claim_choices(query, answering[0][1]))
        )
    return Matched(tuple(answers), tuple(missing))


def disclosed_claims(query: CredentialQuery, sd: SdJwt, ticked: set[str]) -> frozenset[str] | None:
    """The claim set to disclose for the volunteer's ticks (required and unavoidable claims added);
    None when the choice satisfies none of the verifier's claim sets."""
    choices = {c.claim_id: c for c in claim_choices(query, sd)}
    picked = {i for i in ticked if i in choices}
    picked |= {i for i, c in choices.items() if c.required or c.always}
    picked = {i for i in picked if choices[i].available}
    return query.chosen_set(picked)
