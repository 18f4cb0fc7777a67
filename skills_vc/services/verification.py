"""Verify a presented credential against this platform's registry, failing closed.

Keys come only from the registry (an association's DID document as this platform serves it),
never from the credential itself. Status lists this platform hosts are read from the database;
any other list is fetched over HTTP(S) and kept for its ``ttl``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

import jsonschema_rs
from sqlalchemy import Engine

from skills_vc.config import Settings
from skills_vc.core.checks import Report
from skills_vc.core.schema import SchemaViolation
from skills_vc.core.verify import (
    StatusListLoader,
    StatusListUnavailable,
    VerifiedListCache,
    VerifyContext,
    verify_presented,
)
from skills_vc.errors import SkillsVCError
from skills_vc.published import load_schema
from skills_vc.services import associations
from skills_vc.services.context import ServiceContext
from skills_vc.services.remote_fetch import FetchPolicy, fetch_text
from skills_vc.services.status_lists import TOKEN_LIST_PATH, signed_list, signed_token_list
from skills_vc.services.verify_cache import NotInMemory, VerifyCache, cache_for, held_cache

__all__ = ["RemoteStatusLists", "fetch_policy", "status_loader", "verify", "verify_in_memory"]


class RemoteStatusLists:
    """Fetches status lists hosted elsewhere, with a time-bounded in-process cache.

    The fetch itself (address guard, deadline, size cap) is ``remote_fetch``'s. It runs inside the
    caller's database session: the key lookup before it has begun a read transaction, which stays
    open for as long as the fetch takes (at most its deadline). Fetching first would need the
    status list URLs before ``core`` verifies the signature; that belongs to the transaction work.
    """

    def __init__(self, max_age_seconds: int) -> None:
        self._max_age = max_age_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, str]] = {}
        self.verified = VerifiedListCache()

    def cached(self, url: str) -> str | None:
        """The list at ``url`` if the cache holds it fresh."""
        with self._lock:
            hit = self._cache.get(url)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def fetch(self, url: str, policy: FetchPolicy) -> str:
        """The list at ``url``, from the cache while it is fresh; raises ``StatusListUnavailable``."""
        now = time.monotonic()
        hit = self.cached(url)
        if hit is not None:
            return hit
        text = fetch_text(url, policy)
        with self._lock:
            self._cache[url] = (now + self._max_age, text)
        return text


class _RemoteFromMemory(RemoteStatusLists):
    """The lists another server hosts, from ``source``'s cache only: a miss needs the network."""

    def __init__(self, source: RemoteStatusLists) -> None:
        self._source = source
        self.verified = source.verified

    def fetch(self, url: str, policy: FetchPolicy) -> str:
        hit = self._source.cached(url)
        if hit is None:
            raise NotInMemory(url)
        return hit


class _NoDatabase:
    """The session of a verification answered from memory: touching it means the answer is not
    all in memory."""

    def __getattr__(self, name: str) -> Any:
        raise NotInMemory(name)


def fetch_policy(settings: Settings) -> FetchPolicy:
    """The limits on fetching a status list hosted elsewhere, from the settings."""
    return FetchPolicy(
        deadline_seconds=settings.status_fetch_deadline_seconds,
        max_bytes=settings.status_fetch_max_bytes,
        allowed_networks=tuple(settings.status_fetch_allowed_networks),
    )


@lru_cache(maxsize=16)
def _list_prefixes(public_url: str) -> tuple[str, str]:
    public = public_url.rstrip("/")
    return public + "/status-lists/", public + TOKEN_LIST_PATH + "/"


def _local_list(ctx: ServiceContext, url: str) -> tuple[str, str, int] | None:
    """(slug, purpose, seq) when ``url`` is one of this platform's status lists at its own address
    (purpose ``token`` for a Token Status List).

    Lists published elsewhere (a CDN) are fetched like any verifier would fetch them.
    """
    base, tokens = _list_prefixes(ctx.settings.public_url)
    if url.startswith(base):
        parts = url[len(base) :].split("/")
        if len(parts) == 3 and parts[2].isdigit():
            return parts[0], parts[1], int(parts[2])
    if url.startswith(tokens):
        parts = url[len(tokens) :].split("/")
        if len(parts) == 2 and parts[1].isdigit():
            return parts[0], "token", int(parts[1])
    return None


def status_loader(
    ctx: ServiceContext, remote: RemoteStatusLists, cache: VerifyCache | None = None
) -> StatusListLoader:
    """This platform's lists from its database (or the process's cache of them), any other over
    the network."""

    def signed(slug: str, purpose: str, seq: int) -> str:
        if purpose == "token":
            return signed_token_list(ctx, slug, seq, store=False).secured
        # Verification never writes: a stale stored list is signed in memory only.
        return signed_list(ctx, slug, purpose, seq, store=False).secured

    def load(url: str) -> str:
        local = _local_list(ctx, url)
        if local is None:
            return remote.fetch(url, fetch_policy(ctx.settings))
        slug, purpose, seq = local
        try:
            if cache is None:
                return signed(slug, purpose, seq)
            return cache.get("status_list", local, lambda: signed(slug, purpose, seq))
        except SkillsVCError as exc:
            raise StatusListUnavailable(f"{url}: {exc.detail}") from exc

    return load


def verify(
    ctx: ServiceContext, presented: Any, remote: RemoteStatusLists, cache: VerifyCache | None = None
) -> Report:
    """Run every named check on ``presented`` (a vc+jwt, an envelope, a paper QR text)."""
    # The registry resolves a vc+jwt's DID URL and a paper QR's short key id alike. Both it and
    # this platform's status lists come from the process's cache, read again after a change.
    cache = cache or cache_for(ctx.session, ctx.settings.verify_cache_seconds)
    load = status_loader(ctx, remote, cache)
    return verify_presented(
        presented,
        VerifyContext(
            resolve_key=associations.key_resolver(ctx, cache),
            trust=associations.trust_lookup(ctx, cache),
            load_status_list=load,
            now=ctx.now(),
            list_cache=remote.verified,
            check_claims=sd_jwt_claims_validator(ctx),
        ),
    )


def verify_in_memory(
    engine: Engine,
    settings: Settings,
    clock: Callable[[], datetime],
    presented: Any,
    remote: RemoteStatusLists,
) -> Report | None:
    """The report of ``verify``, when everything it needs is in this process's memory (the
    registry, the lists, a fresh change counter); None when it needs the database or the network,
    so the caller may run it without blocking (an event loop) and fall back to ``verify``."""
    cache = held_cache(engine)
    if cache is None:
        return None
    ctx = ServiceContext(session=_NoDatabase(), settings=settings, master_key=b"", clock=clock)  # type: ignore[arg-type]
    try:
        return verify(ctx, presented, _RemoteFromMemory(remote), cache)
    except NotInMemory:
        return None


SD_JWT_SCHEMA = "volunteer-activity.sd-jwt-vc.schema.json"


@cache
def _sd_jwt_validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(load_schema(SD_JWT_SCHEMA))


def sd_jwt_claims_validator(ctx: ServiceContext) -> Callable[[dict[str, Any]], list[str]]:
    """Validates the disclosed claims of this platform's SD-JWT VC type against its published
    JSON Schema; a ``vct`` the platform does not publish has no schema to check against."""
    vct = ctx.settings.public_url.rstrip("/") + "/vct/volunteer-activity"

    def check(claims: dict[str, Any]) -> list[str]:
        if claims.get("vct") != vct:
            raise SchemaViolation("schema_unavailable", f"no schema is known for vct {claims.get('vct')!r}")
        try:
            validator = _sd_jwt_validator()
        except SkillsVCError as exc:
            raise SchemaViolation("schema_unavailable", exc.detail) from None
        if not validator.is_valid(claims):
            error = max(validator.iter_errors(claims), key=lambda e: len(e.instance_path))
            where = "/".join(str(part) for part in error.instance_path) or "(root)"
            raise SchemaViolation("schema_invalid", f"SD-JWT VC schema: {where}: {error.message[:300]}")
        return [vct]

    return check
