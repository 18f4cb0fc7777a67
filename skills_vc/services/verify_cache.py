"""What verification reads from the database, kept in memory by each process.

Verification needs the registry (an association's public keys, name and accreditation history)
and this platform's signed status lists. Both change rarely: a key rotation, an accreditation
change, a revocation or a suspension. Every transaction that makes such a change calls
:func:`mark_changed`, which raises the ``verification`` row of ``change_counters``. Each process
keeps one :class:`VerifyCache` per database and reads that row at most once every
``verify_cache_seconds``; when it has moved, the cache is emptied. A change committed by this
process empties its cache at once (``after_commit``), so within one process a revocation is seen
by the next verification; another process sees it within ``verify_cache_seconds``. In between,
a verification touches no database at all.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from skills_vc.core.formats import ResolvedKey
from skills_vc.core.trust import AccreditationEvent
from skills_vc.store.tables import ChangeCounter

__all__ = ["NotInMemory", "RegistryEntry", "VerifyCache", "cache_for", "held_cache", "mark_changed"]

COUNTER = "verification"
_CHANGED = "skills_vc_verification_changed"
_MAX_ENTRIES = 10_000

T = TypeVar("T")


class NotInMemory(BaseException):
    """A verification answered from memory needs the database or the network after all.

    A ``BaseException``, so that no ``except Exception`` on the way turns it into a failed check:
    it reaches the caller, which verifies again with a database session."""


@dataclass(frozen=True)
class RegistryEntry:
    """What verification needs of one association: its name, accreditation history and keys."""

    legal_name: str
    history: tuple[AccreditationEvent, ...]
    keys: dict[str, ResolvedKey]  # by the key's fragment


class VerifyCache:
    """The registry entries, paper keys and signed status lists of one database, in memory."""

    def __init__(self, max_age_seconds: float) -> None:
        self.max_age = max_age_seconds
        self._lock = threading.Lock()
        self._counter: int | None = None
        self._checked_at = float("-inf")
        self._entries: dict[tuple[str, Any], Any] = {}
        self.hits = 0
        self.misses = 0

    def refresh(self, session: Session) -> None:
        """Empties the cache if the change counter moved; reads it at most once per ``max_age``."""
        now = time.monotonic()
        if now - self._checked_at < self.max_age:
            return
        value = session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == COUNTER)) or 0
        with self._lock:
            if value != self._counter:
                self._entries.clear()
                self._counter = value
            self._checked_at = now

    def fresh(self) -> bool:
        """Whether the counter was read recently enough to answer without reading it again."""
        return self._counter is not None and time.monotonic() - self._checked_at < self.max_age

    def invalidate(self) -> None:
        """Forget everything, and read the counter again before the next use."""
        with self._lock:
            self._entries.clear()
            self._counter = None
            self._checked_at = float("-inf")

    def get(self, kind: str, key: Any, load: Callable[[], T]) -> T:
        """The cached value of ``(kind, key)``, or ``load()``'s (kept unless it raises)."""
        entry_key = (kind, key)
        found = self._entries.get(entry_key, _MISSING)  # one dict read: atomic, no lock needed
        if found is not _MISSING:
            self.hits += 1
            value: T = found
            return value
        self.misses += 1
        counter = self._counter
        loaded = load()
        with self._lock:
            # A change seen while loading (invalidate, or a new counter) makes the value suspect.
            if counter == self._counter and counter is not None:
                if len(self._entries) >= _MAX_ENTRIES:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[entry_key] = loaded
        return loaded


_MISSING = object()

# One cache per connection pool (an engine and its read-only variant share one), with the URL it
# was made for, so a change committed through another engine on the same database clears it too.
_caches: weakref.WeakKeyDictionary[Any, tuple[str, VerifyCache]] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def _url(bind: Any) -> str:
    return str(bind.url.render_as_string(hide_password=False))


def cache_for(session: Session, max_age_seconds: float) -> VerifyCache:
    """This process's cache for the database of ``session``, checked against the counter."""
    bind = session.get_bind()
    pool = bind.engine.pool
    held = _caches.get(pool)
    if held is None:
        with _registry_lock:
            held = _caches.get(pool)
            if held is None:
                held = (_url(bind), VerifyCache(max_age_seconds))
                _caches[pool] = held
    cache = held[1]
    cache.max_age = max_age_seconds
    cache.refresh(session)
    return cache


def held_cache(engine: Any) -> VerifyCache | None:
    """This process's cache of ``engine``'s database when it may answer without any statement
    (it exists and its counter was read within its bound); None otherwise."""
    held = _caches.get(engine.pool)
    if held is None or not held[1].fresh():
        return None
    return held[1]


def mark_changed(session: Session) -> None:
    """Record, in ``session``'s transaction, that what verification reads has changed."""
    raised = session.execute(
        update(ChangeCounter).where(ChangeCounter.name == COUNTER).values(value=ChangeCounter.value + 1)
    )
    if not raised.rowcount:  # type: ignore[attr-defined]
        # The row is made by the migration; a database emptied table by table lacks it.
        session.add(ChangeCounter(name=COUNTER, value=1))
        session.flush()
    session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if not session.info.pop(_CHANGED, False):
        return
    url = _url(session.get_bind())
    with _registry_lock:
        held = [cache for cache_url, cache in _caches.values() if cache_url == url]
    for cache in held:
        cache.invalidate()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
