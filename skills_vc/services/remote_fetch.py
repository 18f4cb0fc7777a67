"""Fetch a status list from the address a credential names, without letting it steer the service.

A credential chooses its status list URL, so every guard here is against a URL written by someone
else:

* Only public addresses are fetched. Without this, a credential could make the service send
  requests into its own network (SSRF): loopback, RFC 1918 and unique-local, link-local (cloud
  metadata at 169.254.169.254), unspecified, multicast and reserved addresses are refused, also
  when an IPv6 address embeds one (IPv4-mapped, 6to4). Networks the operator lists
  (``FetchPolicy.allowed_networks``: an internal CDN, 127.0.0.0/8 in tests) are trusted with any
  address kind and any port; public addresses only on ports 80 and 443, so the service cannot be
  used to probe other ports of other hosts.
* The address that was checked is the one connected to. The host is resolved once and the request
  goes to that IP, with the original ``Host`` header and TLS server name (SNI, and so the
  certificate check), so a second DNS answer cannot rebind the name to an internal address.
* Redirects are refused: one would name an address nobody checked. So are proxies from the
  environment, which would connect to the target themselves.
* One deadline covers the whole fetch. httpx's timeouts are per operation: a server that sends a
  byte just inside each read timeout never trips them. A watchdog shuts the socket down when the
  deadline passes, whatever the fetch is waiting for; the DNS lookup is bounded by it too.
* The body is counted while it streams and cut past the cap, so an endless body costs at most the
  cap in memory; compressed bodies are refused (``Accept-Encoding: identity``), so no small body
  inflates past the count.

Every refusal is a ``StatusListUnavailable``: the verification reports ``status_unavailable`` and
fails closed.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from skills_vc.core.verify import StatusListUnavailable

__all__ = ["DEFAULT_MAX_BYTES", "FetchPolicy", "fetch_text"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
_PUBLIC_PORTS = (80, 443)
# getaddrinfo has no timeout of its own; a lookup runs here so the fetch can stop waiting for it.
# A lookup that hangs keeps its worker until the system resolver gives up; when all are busy, later
# lookups wait in the queue and time out, which fails closed.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="status-list-dns")


@dataclass(frozen=True)
class FetchPolicy:
    """How long a fetch may take, how large a body may be, and which networks are trusted."""

    deadline_seconds: float = 5.0
    max_bytes: int = DEFAULT_MAX_BYTES
    allowed_networks: tuple[IPNetwork, ...] = ()


def fetch_text(url: str, policy: FetchPolicy) -> str:
    """The body of ``url`` (HTTP 200 only) as text, stripped; raises ``StatusListUnavailable``."""
    deadline = time.monotonic() + policy.deadline_seconds
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL:
        raise StatusListUnavailable(f"{url} is not a valid URL") from None
    if target.scheme not in ("http", "https") or not target.raw_host:
        raise StatusListUnavailable(f"{url} is not an HTTP(S) URL")
    host = target.raw_host.decode("ascii")
    port = target.port or (443 if target.scheme == "https" else 80)
    address = _checked_address(url, host, port, policy, deadline)
    # The request goes to the checked address; the server still sees (and TLS still checks) the name.
    extensions: dict[str, Any] = {}
    if target.scheme == "https" and not _is_ip_literal(host):
        extensions["sni_hostname"] = host
    headers = {"Host": target.netloc.decode("ascii"), "Accept-Encoding": "identity"}
    with _Watchdog(deadline) as watchdog:
        extensions["trace"] = watchdog.trace
        try:
            body = _get(target.copy_with(host=str(address)), headers, extensions, url, policy, deadline)
        except httpx.HTTPError as exc:
            if watchdog.fired or isinstance(exc, httpx.TimeoutException):
                raise _too_slow(url, policy) from exc
            raise StatusListUnavailable(f"{url} could not be fetched: {exc.__class__.__name__}") from exc
        if watchdog.fired:  # the socket was shut down and the server's close ended the body early
            raise _too_slow(url, policy)
    return body.decode("utf-8", errors="replace").strip()


def _get(
    target: httpx.URL,
    headers: dict[str, str],
    extensions: dict[str, Any],
    url: str,
    policy: FetchPolicy,
    deadline: float,
) -> bytes:
    remaining = max(deadline - time.monotonic(), 0.001)
    # No proxies from the environment (trust_env=False): a proxy would connect to the target itself,
    # past the address check. The transport still reads SSL_CERT_FILE and SSL_CERT_DIR.
    transport = httpx.HTTPTransport(retries=0)
    with (
        httpx.Client(transport=transport, trust_env=False, follow_redirects=False) as client,
        client.stream(
            "GET", target, headers=headers, extensions=extensions, timeout=httpx.Timeout(remaining)
        ) as response,
    ):
        if response.is_redirect:
            raise StatusListUnavailable(f"{url} redirects (HTTP {response.status_code}), which is refused")
        if response.status_code != 200:
            raise StatusListUnavailable(f"{url} answered HTTP {response.status_code}")
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding != "identity":
            raise StatusListUnavailable(f"{url} answered with Content-Encoding {encoding}, which is refused")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise _too_large(url, policy)
        body = bytearray()
        for chunk in response.iter_raw():
            body += chunk
            if len(body) > policy.max_bytes:
                raise _too_large(url, policy)
            if time.monotonic() > deadline:
                raise _too_slow(url, policy)
    return bytes(body)


def _checked_address(url: str, host: str, port: int, policy: FetchPolicy, deadline: float) -> IPAddress:
    """The address to connect to, once every address ``host`` resolves to has been checked.

    A name that resolves to a public and an internal address is refused: whichever one a
    connection would reach, the answer is not one a public status list host gives.
    """
    addresses = [ipaddress.ip_address(host)] if _is_ip_literal(host) else _resolve(url, host, port, deadline)
    said = "is" if _is_ip_literal(host) else "resolves to"
    for address in addresses:
        if _allowed(address, policy.allowed_networks):
            continue
        kind = _refused_kind(address)
        if kind is not None:
            raise StatusListUnavailable(f"{url}: {host} {said} {kind} address, which is refused")
        if port not in _PUBLIC_PORTS:
            raise StatusListUnavailable(f"{url}: port {port} is refused (only 80 and 443)")
    return addresses[0]


def _resolve(url: str, host: str, port: int, deadline: float) -> list[IPAddress]:
    lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        answers = lookup.result(timeout=max(deadline - time.monotonic(), 0.001))
    except FutureTimeout:
        lookup.cancel()
        raise StatusListUnavailable(f"{url}: {host} was not resolved in time") from None
    except OSError as exc:
        raise StatusListUnavailable(f"{url}: {host} could not be resolved") from exc
    # The scope of an IPv6 link-local address (fe80::1%eth0) is dropped: such an address is refused.
    addresses = [ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]) for *_, sockaddr in answers]
    if not addresses:
        raise StatusListUnavailable(f"{url}: {host} could not be resolved")
    return addresses


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _allowed(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    plain = _embedded_ipv4(address) or address
    return any(address in network or plain in network for network in networks)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4), which is what it reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour
    return None


def _refused_kind(address: IPAddress) -> str | None:
    """Why ``address`` is not fetched from (``"a private"``), or None for a public address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return _refused_kind(embedded)
    kinds = (
        ("a loopback", address.is_loopback),
        ("an unspecified", address.is_unspecified),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a reserved", address.is_reserved),
        ("a private", address.is_private),
        # What is left but not global: shared address space (100.64.0.0/10, carrier-grade NAT).
        ("a non-public", not address.is_global),
    )
    return next((kind for kind, refused in kinds if refused), None)


def _too_slow(url: str, policy: FetchPolicy) -> StatusListUnavailable:
    return StatusListUnavailable(f"{url} was not received within {policy.deadline_seconds:g} s")


def _too_large(url: str, policy: FetchPolicy) -> StatusListUnavailable:
    return StatusListUnavailable(f"{url} is larger than {policy.max_bytes} bytes")


class _Watchdog:
    """Shuts the connection's socket down when the deadline passes, waking any read blocked on it.

    httpcore reports the socket it connected (and the TLS socket that replaces it) through the
    ``trace`` request extension. The shutdown goes to the socket itself, not to the TLS layer, so a
    read in progress sees the end of the stream and httpx raises. Only socket objects are kept, so
    a socket already closed (or detached by TLS) refuses the shutdown instead of hitting a reused
    file descriptor.
    """

    def __init__(self, deadline: float) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        sock = info["return_value"].get_extra_info("socket")
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._socket = sock
            fired = self.fired
        if fired:
            _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._socket
        if sock is not None:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # The plain socket's shutdown: an SSLSocket's own would also drop its TLS state under a read
    # that may be running in another thread. A socket already closed refuses it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
