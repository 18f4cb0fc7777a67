"""Fetching a status list hosted elsewhere: the address guard, the deadline, the cap, no redirects.

Every server here listens on 127.0.0.1 and stops on its own within seconds. Addresses that must
be refused (10.0.0.1 and the like) are refused before any connection: a guard makes any attempt
to connect fail the test, so no traffic ever leaves for them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from skills_vc.api.app import create_app
from skills_vc.core.verify import StatusListUnavailable
from skills_vc.services.remote_fetch import FetchPolicy, fetch_text
from skills_vc.services.verification import RemoteStatusLists, fetch_policy
from tests.conftest import Clock, Platform, check, make_settings

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
LIST = b"eyJhbGciOiJFUzI1NiJ9.e30.c2ln"


class Server:
    """A threaded HTTP server on 127.0.0.1 that runs ``respond`` for every request and records it."""

    def __init__(self, respond: Callable[[BaseHTTPRequestHandler], None]) -> None:
        self.requests: list[tuple[str, str | None]] = []  # (path, Host header)
        self.sent = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 15  # a connection the client left is dropped, so the server cannot hang

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Host")))
                # The client may hang up, as it should when it refuses the rest.
                with contextlib.suppress(OSError):
                    respond(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], Server]]:
    servers: list[Server] = []

    def start(respond: Callable[[BaseHTTPRequestHandler], None]) -> Server:
        servers.append(Server(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def ok(body: bytes = b"  " + LIST + b"\n") -> Callable[[BaseHTTPRequestHandler], None]:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/vc+jwt")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fails any attempt to connect anywhere (and records it), for addresses that must stay untouched."""
    attempts: list[object] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refuse)
    return attempts


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names of the test's choosing: ``names[host]`` lists the answers to successive lookups (the
    last one repeats), each answer one address or several joined by commas. Lookups are recorded."""
    names: dict[str, list[str]] = {}
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in names:
            lookups.append(host)
            answer = names[host][0] if len(names[host]) == 1 else names[host].pop(0)
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answer.split(",")
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    names["__lookups__"] = lookups
    return names


# --- the address guard ---


def test_loopback_is_refused_by_default(serve: Callable[..., Server]) -> None:
    server = serve(ok())
    with pytest.raises(StatusListUnavailable, match="a loopback address, which is refused"):
        fetch_text(server.url + "/list", FetchPolicy())
    assert server.requests == []


def test_loopback_is_fetched_when_its_network_is_allowed(serve: Callable[..., Server]) -> None:
    server = serve(ok())
    assert fetch_text(server.url + "/list", FetchPolicy(allowed_networks=LOOPBACK)) == LIST.decode()
    assert server.requests == [("/list", f"127.0.0.1:{server.port}")]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://10.0.0.1/list", "a private"),
        ("https://192.168.1.20/list", "a private"),
        ("http://172.16.0.1/list", "a private"),
        ("http://[fc00::1]/list", "a private"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local"),
        ("http://[fe80::1]/list", "a link-local"),
        ("http://0.0.0.0/list", "an unspecified"),
        ("http://[::]/list", "an unspecified"),
        ("http://[::1]/list", "a loopback"),
        ("http://[::ffff:127.0.0.1]/list", "a loopback"),  # IPv4-mapped
        ("http://[2002:a00:1::]/list", "a private"),  # 6to4 of 10.0.0.1
        ("http://224.0.0.1/list", "a multicast"),
        ("http://240.0.0.1/list", "a reserved"),
        ("http://100.64.0.1/list", "a non-public"),  # carrier-grade NAT
    ],
)
def test_internal_addresses_are_refused_before_any_connection(
    url: str, kind: str, no_connections: list[object]
) -> None:
    with pytest.raises(StatusListUnavailable, match=f"is {kind} address, which is refused"):
        fetch_text(url, FetchPolicy())
    assert no_connections == []


def test_a_name_resolving_to_an_internal_address_is_refused(
    dns: dict[str, list[str]], no_connections: list[object]
) -> None:
    dns["intranet.test"] = ["10.1.2.3"]
    dns["mixed.test"] = ["93.184.215.14,192.168.0.7"]
    with pytest.raises(StatusListUnavailable, match=r"intranet\.test resolves to a private address"):
        fetch_text("https://intranet.test/list", FetchPolicy())
    # One public answer does not make the internal one acceptable.
    with pytest.raises(StatusListUnavailable, match=r"mixed\.test resolves to a private address"):
        fetch_text("https://mixed.test/list", FetchPolicy())
    assert no_connections == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.215.14:8080/list", "port 8080 is refused"),
        ("ftp://93.184.215.14/list", "is not an HTTP\\(S\\) URL"),
        ("file:///etc/passwd", "is not an HTTP\\(S\\) URL"),
        ("http://[::1/list", "is not a valid URL"),
    ],
)
def test_other_ports_and_schemes_are_refused(url: str, message: str, no_connections: list[object]) -> None:
    with pytest.raises(StatusListUnavailable, match=message):
        fetch_text(url, FetchPolicy())
    assert no_connections == []


def test_the_checked_address_is_the_one_connected_to(
    serve: Callable[..., Server], dns: dict[str, list[str]]
) -> None:
    """A second lookup would now answer 10.0.0.1 (DNS rebinding); there is no second lookup."""
    server = serve(ok())
    dns["status.test"] = ["127.0.0.1", "10.0.0.1"]
    text = fetch_text(f"http://status.test:{server.port}/list", FetchPolicy(allowed_networks=LOOPBACK))
    assert text == LIST.decode()
    assert dns["__lookups__"] == ["status.test"]
    assert server.requests == [("/list", f"status.test:{server.port}")]


def test_https_to_the_pinned_address_checks_the_certificate_of_the_name(
    dns: dict[str, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SNI and the certificate check use the name while the connection goes to the checked IP."""
    cert, key = _self_signed(tmp_path, "status.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []

    def record_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        names.append(name)

    context.sni_callback = record_sni
    server = Server(ok())
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    dns["status.test"] = ["127.0.0.1"]
    dns["other.test"] = ["127.0.0.1"]
    policy = FetchPolicy(allowed_networks=LOOPBACK)
    try:
        assert fetch_text(f"https://status.test:{server.port}/list", policy) == LIST.decode()
        assert names == ["status.test"]
        assert server.requests == [("/list", f"status.test:{server.port}")]
        # The same server under a name its certificate does not carry: the TLS check still applies.
        with pytest.raises(StatusListUnavailable, match="could not be fetched: ConnectError"):
            fetch_text(f"https://other.test:{server.port}/list", policy)
    finally:
        server.close()


# --- what the server answers ---


def test_a_redirect_is_refused(serve: Callable[..., Server]) -> None:
    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server = serve(redirect)
    with pytest.raises(StatusListUnavailable, match=r"redirects \(HTTP 302\), which is refused"):
        fetch_text(server.url + "/list", FetchPolicy(allowed_networks=LOOPBACK))
    assert [path for path, _ in server.requests] == ["/list"]


def test_a_slow_drip_is_cut_at_the_deadline(serve: Callable[..., Server]) -> None:
    """A byte every 0.5 s never trips a per-read timeout; the whole-fetch deadline cuts it."""

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "60")
        handler.end_headers()
        for _ in range(60):  # 30 s at most
            handler.wfile.write(b"A")
            handler.wfile.flush()
            time.sleep(0.5)

    server = serve(drip)
    started = time.monotonic()
    with pytest.raises(StatusListUnavailable, match="was not received within 1 s"):
        fetch_text(server.url + "/list", FetchPolicy(deadline_seconds=1, allowed_networks=LOOPBACK))
    assert time.monotonic() - started < 10


def test_headers_dripped_a_byte_at_a_time_are_cut_at_the_deadline(serve: Callable[..., Server]) -> None:
    """Each header byte arrives well inside any read timeout; the watchdog ends the wait."""

    def drip(handler: BaseHTTPRequestHandler) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60:  # 35 s at most
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.5)

    server = serve(drip)
    started = time.monotonic()
    with pytest.raises(StatusListUnavailable, match="was not received within 1 s"):
        fetch_text(server.url + "/list", FetchPolicy(deadline_seconds=1, allowed_networks=LOOPBACK))
    assert time.monotonic() - started < 10


def test_an_oversized_list_is_cut_while_it_streams(serve: Callable[..., Server]) -> None:
    total, piece = 32 * 1024 * 1024, b"A" * 65536
    sent, done = [0], threading.Event()

    def flood(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)  # no Content-Length: the body ends when the server closes
        handler.end_headers()
        try:
            for _ in range(total // len(piece)):
                handler.wfile.write(piece)
                sent[0] += len(piece)
        finally:
            done.set()

    server = serve(flood)
    with pytest.raises(StatusListUnavailable, match="is larger than 100000 bytes"):
        fetch_text(server.url + "/list", FetchPolicy(max_bytes=100_000, allowed_networks=LOOPBACK))
    # The client hung up after the cap: the server could not send it all.
    assert done.wait(15)
    assert sent[0] < total


def test_a_declared_oversized_list_is_refused_before_its_body(serve: Callable[..., Server]) -> None:
    server = serve(ok(b"A" * 200_000))
    with pytest.raises(StatusListUnavailable, match="is larger than 100000 bytes"):
        fetch_text(server.url + "/list", FetchPolicy(max_bytes=100_000, allowed_networks=LOOPBACK))


@pytest.mark.parametrize(
    ("status", "encoding", "message"),
    [(503, None, "answered HTTP 503"), (200, "gzip", "Content-Encoding gzip, which is refused")],
)
def test_other_answers_are_unavailable(
    serve: Callable[..., Server], status: int, encoding: str | None, message: str
) -> None:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if encoding:
            handler.send_header("Content-Encoding", encoding)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")

    server = serve(respond)
    with pytest.raises(StatusListUnavailable, match=message):
        fetch_text(server.url + "/list", FetchPolicy(allowed_networks=LOOPBACK))


# --- through RemoteStatusLists and the settings ---


def test_a_list_is_fetched_once_and_cached(serve: Callable[..., Server], tmp_path: Path) -> None:
    server = serve(ok())
    policy = fetch_policy(make_settings(tmp_path, status_fetch_allowed_networks=["127.0.0.0/8"]))
    remote = RemoteStatusLists(max_age_seconds=300)
    assert remote.fetch(server.url + "/list", policy) == LIST.decode()
    assert remote.fetch(server.url + "/list", policy) == LIST.decode()
    assert len(server.requests) == 1


def test_the_settings_make_the_policy(tmp_path: Path) -> None:
    assert fetch_policy(make_settings(tmp_path)) == FetchPolicy(deadline_seconds=5, max_bytes=2 << 20)
    policy = fetch_policy(
        make_settings(
            tmp_path,
            status_fetch_deadline_seconds=2.5,
            status_fetch_max_bytes=65536,
            status_fetch_allowed_networks=["10.20.0.0/16", "fd00::/8"],
        )
    )
    assert policy == FetchPolicy(
        deadline_seconds=2.5,
        max_bytes=65536,
        allowed_networks=(ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("fd00::/8")),
    )


def test_a_refused_list_fails_the_verification_closed(
    db: Engine, clock: Clock, tmp_path: Path, serve: Callable[..., Server]
) -> None:
    """A credential whose list sits on loopback: refused by default, so the status is unavailable."""
    server = serve(ok())
    settings = make_settings(tmp_path, status_list_base_url=server.url + "/status-lists")
    with TestClient(create_app(settings, clock=clock, engine=db)) as client:
        platform = Platform(client, clock)
        status, report = platform.verify(platform.issue(platform.register())["jwt"])
    assert status == 400 and report["verified"] is False
    result = check(report, "status")
    assert (result["status"], result["code"]) == ("failed", "status_unavailable")
    assert server.requests == []  # refused, not fetched


def _self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path
