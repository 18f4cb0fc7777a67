"""DCQL (OpenID4VP 1.0, section 6): what a verifier asks for, and which choices answer it.

Pure functions on the request's ``dcql_query``: no network, no database. A credential query asks
for claims by path; ``claim_sets`` lists the combinations the verifier accepts, in its order of
preference. A claim in every combination is required, one in only some is optional (the volunteer
may keep it back), and with no ``claim_sets`` every claim is required. The wallet answers with the
first combination, in the verifier's order, that the volunteer's choices contain, never more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wallet_demo.errors import WalletError

__all__ = [
    "SD_JWT_FORMATS",
    "ClaimQuery",
    "CredentialQuery",
    "DcqlError",
    "DcqlQuery",
    "PathPart",
    "parse_dcql",
    "select_path",
]

SD_JWT_FORMATS = ("dc+sd-jwt", "vc+sd-jwt")
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
PathPart = str | int | None


class DcqlError(WalletError):
    """A ``dcql_query`` the wallet cannot read (``request_invalid``) or answer (``unsupported_request``)."""

    def __init__(self, detail: str, *, code: str = "request_invalid") -> None:
        super().__init__(code, detail, status=400)
        self.public_detail = detail


@dataclass(frozen=True)
class ClaimQuery:
    """One claim asked for: its id (given, or ``claim-<n>``), its path, the values it may take."""

    id: str
    path: tuple[PathPart, ...]
    values: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class CredentialQuery:
    """One credential asked for, and the claims of it the verifier wants."""

    id: str
    format: str
    vct_values: tuple[str, ...] | None
    claims: tuple[ClaimQuery, ...]
    claim_sets: tuple[tuple[str, ...], ...] | None

    @property
    def asked(self) -> tuple[str, ...]:
        """The claim ids the verifier may receive (those of some claim set; all without sets)."""
        if self.claim_sets is None:
            return tuple(c.id for c in self.claims)
        named = {i for s in self.claim_sets for i in s}
        return tuple(c.id for c in self.claims if c.id in named)

    @property
    def required(self) -> frozenset[str]:
        """Claims in every claim set (every claim when there are no claim sets)."""
        if self.claim_sets is None:
            return frozenset(c.id for c in self.claims)
        common = set(self.claim_sets[0])
        for options in self.claim_sets[1:]:
            common &= set(options)
        return frozenset(common)

    def claim(self, claim_id: str) -> ClaimQuery:
        return next(c for c in self.claims if c.id == claim_id)

    def chosen_set(self, chosen: set[str] | frozenset[str]) -> frozenset[str] | None:
        """The combination to disclose for ``chosen``: the first claim set inside it, or None."""
        if self.claim_sets is None:
            every = frozenset(c.id for c in self.claims)
            return every if every <= chosen else None
        for options in self.claim_sets:
            if set(options) <= chosen:
                return frozenset(options)
        return None


@dataclass(frozen=True)
class DcqlQuery:
    credentials: tuple[CredentialQuery, ...]
    # Each: (options, required); an option is a tuple of credential query ids.
    credential_sets: tuple[tuple[tuple[tuple[str, ...], ...], bool], ...] | None

    def query(self, query_id: str) -> CredentialQuery:
        return next(q for q in self.credentials if q.id == query_id)


def _path(value: Any, where: str) -> tuple[PathPart, ...]:
    if not isinstance(value, list) or not value:
        raise DcqlError(f"{where}: path is not a non-empty array")
    for part in value:
        if not (
            part is None or isinstance(part, str) or (isinstance(part, int) and not isinstance(part, bool))
        ):
            raise DcqlError(f"{where}: a path element is neither a string, an integer nor null")
        if isinstance(part, int) and not isinstance(part, bool) and part < 0:
            raise DcqlError(f"{where}: a path index is negative")
    return tuple(value)


def _claims(value: Any, where: str) -> tuple[ClaimQuery, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise DcqlError(f"{where}: claims is not a non-empty array")
    claims = []
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            raise DcqlError(f"{where}: a claim query is not an object")
        claim_id = item.get("id", f"claim-{n}")
        if not isinstance(claim_id, str) or not _ID.fullmatch(claim_id):
            raise DcqlError(f"{where}: a claim id is not made of letters, digits, _ and -")
        values = item.get("values")
        if values is not None and (not isinstance(values, list) or not values):
            raise DcqlError(f"{where}: values is not a non-empty array")
        claims.append(ClaimQuery(claim_id, _path(item.get("path"), where), tuple(values) if values else None))
    if len({c.id for c in claims}) != len(claims):
        raise DcqlError(f"{where}: two claims have the same id")
    return tuple(claims)


def _claim_sets(value: Any, claims: tuple[ClaimQuery, ...], where: str) -> tuple[tuple[str, ...], ...] | None:
    if value is None:
        return None
    if not claims:
        raise DcqlError(f"{where}: claim_sets without claims")
    ids = {c.id for c in claims}
    if not isinstance(value, list) or not value:
        raise DcqlError(f"{where}: claim_sets is not a non-empty array")
    sets = []
    for option in value:
        if not isinstance(option, list) or not all(isinstance(i, str) for i in option):
            raise DcqlError(f"{where}: a claim set is not an array of claim ids")
        if not set(option) <= ids:
            raise DcqlError(f"{where}: a claim set names a claim the query does not have")
        sets.append(tuple(dict.fromkeys(option)))
    return tuple(sets)


def _credential(item: Any) -> CredentialQuery:
    if not isinstance(item, dict):
        raise DcqlError("a credential query is not an object")
    query_id, fmt = item.get("id"), item.get("format")
    if not isinstance(query_id, str) or not _ID.fullmatch(query_id):
        raise DcqlError("a credential query id is not made of letters, digits, _ and -")
    where = f"credential query {query_id!r}"
    if not isinstance(fmt, str) or not fmt:
        raise DcqlError(f"{where}: format is missing")
    meta = item.get("meta")
    vct_values: tuple[str, ...] | None = None
    if isinstance(meta, dict) and meta.get("vct_values") is not None:
        vcts = meta["vct_values"]
        if not isinstance(vcts, list) or not all(isinstance(v, str) for v in vcts):
            raise DcqlError(f"{where}: meta.vct_values is not an array of strings")
        vct_values = tuple(vcts)
    elif meta is not None and not isinstance(meta, dict):
        raise DcqlError(f"{where}: meta is not an object")
    claims = _claims(item.get("claims"), where)
    return CredentialQuery(
        query_id, fmt, vct_values, claims, _claim_sets(item.get("claim_sets"), claims, where)
    )


def _credential_sets(
    value: Any, ids: set[str]
) -> tuple[tuple[tuple[tuple[str, ...], ...], bool], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise DcqlError("credential_sets is not a non-empty array")
    sets = []
    for entry in value:
        options = entry.get("options") if isinstance(entry, dict) else None
        if not isinstance(options, list) or not options:
            raise DcqlError("a credential set has no options")
        parsed = []
        for option in options:
            if not isinstance(option, list) or not option or not all(isinstance(i, str) for i in option):
                raise DcqlError("a credential set option is not an array of credential query ids")
            if not set(option) <= ids:
                raise DcqlError("a credential set names a credential query the request does not have")
            parsed.append(tuple(option))
        required = entry.get("required", True)
        sets.append((tuple(parsed), required is not False))
    return tuple(sets)


def parse_dcql(value: Any) -> DcqlQuery:
    """Check a ``dcql_query`` object and keep what the wallet uses."""
    if not isinstance(value, dict):
        raise DcqlError("dcql_query is not a JSON object")
    items = value.get("credentials")
    if not isinstance(items, list) or not items:
        raise DcqlError("dcql_query.credentials is not a non-empty array")
    credentials = tuple(_credential(item) for item in items)
    ids = [q.id for q in credentials]
    if len(set(ids)) != len(ids):
        raise DcqlError("two credential queries have the same id")
    return DcqlQuery(credentials, _credential_sets(value.get("credential_sets"), set(ids)))


def select_path(root: Any, path: tuple[PathPart, ...]) -> list[Any]:
    """The values ``path`` selects in plain JSON ``root`` (DCQL claims path pointer); [] if none."""
    selected = [root]
    for part in path:
        following: list[Any] = []
        for node in selected:
            if isinstance(part, str) and isinstance(node, dict) and part in node:
                following.append(node[part])
            elif part is None and isinstance(node, list):
                following.extend(node)
            elif isinstance(part, int) and isinstance(node, list) and part < len(node):
                following.append(node[part])
        selected = following
        if not selected:
            return []
    return selected
