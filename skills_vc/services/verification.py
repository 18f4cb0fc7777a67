"""Verify a presented credential against this platform's registry, failing closed.

Keys come only from the registry (an association's DID document as this platform serves it),
never from the credential itself. Status lists this platform hosts are read from the database;
any other list is fetched over HTTP(S) and kept for its ``ttl``.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from skills_vc.core.checks import Report
from skills_vc.core.verify import (
    StatusListLoader,
    StatusListUnavailable,
    VerifiedListCache,
    VerifyContext,
    verify_presented,
)
from skills_vc.errors import SkillsVCError
from skills_vc.services import associations
from skills_vc.services.context import ServiceContext
from skills_vc.services.status_lists import signed_list

__all__ = ["RemoteStatusLists", "status_loader", "verify"]

_MAX_LIST_BYTES = 2 * 1024 * 1024


class RemoteStatusLists:
    """Fetches status lists hosted elsewhere, with a time-bounded in-process cache."""

    def __init__(self, max_age_seconds: int, timeout: float = 5.0) -> None:
        self._max_age = max_age_seconds
        self._timeout = timeout
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, str]] = {}
        self.verified = VerifiedListCache()

    def fetch(self, url: str) -> str:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(url)
        if hit is not None and hit[0] > now:
            return hit[1]
        if urlsplit(url).scheme not in ("http", "https"):
            raise StatusListUnavailable(f"{url} is not an HTTP(S) URL")
        try:
            response = httpx.get(url, timeout=self._timeout, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise StatusListUnavailable(f"{url} could not be fetched: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise StatusListUnavailable(f"{url} answered HTTP {response.status_code}")
        if len(response.content) > _MAX_LIST_BYTES:
            raise StatusListUnavailable(f"{url} is larger than {_MAX_LIST_BYTES} bytes")
        text = response.text.strip()
        with self._lock:
            self._cache[url] = (now + self._max_age, text)
        return text


def _local_list(ctx: ServiceContext, url: str) -> tuple[str, str, int] | None:
    """(slug, purpose, seq) when ``url`` is one of this platform's status lists at its own address.

    Lists published elsewhere (a CDN) are fetched like any verifier would fetch them.
    """
    base = ctx.settings.public_url.rstrip("/") + "/status-lists/"
    if not url.startswith(base):
        return None
    parts = url[len(base) :].split("/")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


def status_loader(ctx: ServiceContext, remote: RemoteStatusLists) -> StatusListLoader:
    """This platform's lists from its database, any other over the network."""

    def load(url: str) -> str:
        local = _local_list(ctx, url)
        if local is None:
            return remote.fetch(url)
        try:
            return signed_list(ctx, *local).secured
        except SkillsVCError as exc:
            raise StatusListUnavailable(f"{url}: {exc.detail}") from exc

    return load


def verify(ctx: ServiceContext, presented: Any, remote: RemoteStatusLists) -> Report:
    """Run every named check on ``presented`` (a vc+jwt, an envelope, a paper QR text)."""
    # The registry resolves a vc+jwt's DID URL and a paper QR's short key id alike.
    load = status_loader(ctx, remote)
    return verify_presented(
        presented,
        VerifyContext(
            resolve_key=associations.key_resolver(ctx),
            trust=associations.trust_lookup(ctx),
            load_status_list=load,
            now=ctx.now(),
            list_cache=remote.verified,
        ),
    )
