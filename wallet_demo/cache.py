"""A small time-to-live cache for documents fetched over HTTP (status lists, issuer keys).

The list page checks every credential's status when it loads; without a cache a volunteer who
goes back and forth would fetch the same lists again each time. Failures are not cached, so
"check again" after the service comes back works at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

__all__ = ["TtlCache"]

T = TypeVar("T")


class TtlCache(Generic[T]):
    """Values by key, each reused for ``seconds`` after it was loaded (the app's clock decides)."""

    def __init__(self, seconds: int, clock: Callable[[], datetime]) -> None:
        self.seconds = seconds
        self.clock = clock
        self._items: dict[str, tuple[datetime, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], T], *, fresh: bool = False) -> T:
        """The cached value, or ``load()``'s (stored when it does not raise); ``fresh`` drops the old one."""
        now = self.clock()
        with self._lock:
            # A fresh load that fails must not leave the old value to be served afterwards.
            found = self._items.pop(key, None) if fresh else self._items.get(key)
        if found is not None and not fresh and (now - found[0]).total_seconds() < self.seconds:
            return found[1]
        value = load()
        with self._lock:
            self._items[key] = (now, value)
        return value

    def forget(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)
