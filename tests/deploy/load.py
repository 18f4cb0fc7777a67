"""Load through the proxy: client threads sending one request after another, each outcome timed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

__all__ = ["Load", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    started: float  # time.monotonic()
    ended: float
    ok: bool
    detail: str  # the status code, or the transport error's type, and the start of a failure's body
    tried: tuple[str, ...]  # the replicas nginx passed the request to, in order

    @property
    def replica(self) -> str | None:
        """The replica that answered (the last one tried)."""
        return self.tried[-1] if self.tried else None

    def in_flight_at(self, moment_from: float, moment_to: float) -> bool:
        """Whether the request was under way at some time between the two moments."""
        return self.started <= moment_to and self.ended >= moment_from


class Load:
    """``threads`` clients, each with its own connection, sending ``send`` until :meth:`stop`."""

    def __init__(
        self,
        make_client: Callable[[], httpx.Client],
        send: Callable[[httpx.Client], httpx.Response],
        accept: Callable[[httpx.Response], bool],
        threads: int,
        pause: float = 0.0,
    ) -> None:
        self._make_client = make_client
        self._send = send
        self._accept = accept
        self._pause = pause
        self._stopping = threading.Event()
        self._outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def _run(self) -> None:
        with self._make_client() as client:
            while not self._stopping.is_set():
                started = time.monotonic()
                try:
                    response = self._send(client)
                except httpx.HTTPError as exc:
                    outcome = Outcome(started, time.monotonic(), False, type(exc).__name__, ())
                else:
                    ok = self._accept(response)
                    detail = str(response.status_code) + ("" if ok else " " + response.text[:200])
                    upstream = response.headers.get("x-upstream-addr", "")
                    tried = tuple(a.strip() for a in upstream.split(",") if a.strip())
                    outcome = Outcome(started, time.monotonic(), ok, detail, tried)
                with self._lock:
                    self._outcomes.append(outcome)
                if self._pause:
                    self._stopping.wait(self._pause)

    def outcomes(self) -> list[Outcome]:
        with self._lock:
            return list(self._outcomes)

    def stop(self) -> list[Outcome]:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=30)
        assert not any(t.is_alive() for t in self._threads), "a client thread did not finish"
        return self.outcomes()
