"""Revocation and suspension through Bitstring Status Lists, and failing closed on bad lists."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from skills_vc.api.app import create_app
from skills_vc.core.status import bit_at, decode_list
from tests.conftest import Clock, Platform, check, make_settings


def _status(platform: Platform, issued: dict[str, Any]) -> dict[str, Any]:
    _, report = platform.verify(issued["jwt"])
    return check(report, "status")


def test_revoked_credential_is_not_verified_and_revocation_is_final(platform: Platform) -> None:
    asbl = platform.register()
    issued = platform.issue(asbl)
    other = platform.issue(asbl)
    response = platform.client.post(
        f"/credentials/{issued['id']}/revoke", json={"reason": "issued in error"}, headers=asbl["headers"]
    )
    assert response.status_code == 200 and response.json()["state"] == "revoked"
    assert (_status(platform, issued)["status"], _status(platform, issued)["code"]) == ("failed", "revoked")
    assert _status(platform, other)["code"] == "status_active"
    for action in ("revoke", "suspend", "unsuspend"):
        again = platform.client.post(
            f"/credentials/{issued['id']}/{action}", json={"reason": "x"}, headers=asbl["headers"]
        )
        assert again.status_code == 409 and again.json()["error"] == "already_revoked"


def test_suspend_then_unsuspend(platform: Platform) -> None:
    asbl = platform.register()
    issued = platform.issue(asbl)
    url = f"/credentials/{issued['id']}"
    assert (
        platform.client.post(
            url + "/suspend", json={"reason": "checking hours"}, headers=asbl["headers"]
        ).status_code
        == 200
    )
    assert _status(platform, issued)["code"] == "suspended"
    twice = platform.client.post(url + "/suspend", json={"reason": "again"}, headers=asbl["headers"])
    assert twice.status_code == 409 and twice.json()["error"] == "already_suspended"
    assert platform.client.post(url + "/unsuspend", json={}, headers=asbl["headers"]).status_code == 200
    assert _status(platform, issued)["code"] == "status_active"
    status, report = platform.verify(issued["jwt"])
    assert status == 200 and report["verified"]
    not_suspended = platform.client.post(url + "/unsuspend", json={}, headers=asbl["headers"])
    assert not_suspended.status_code == 409 and not_suspended.json()["error"] == "not_suspended"


def test_a_reason_is_required(platform: Platform) -> None:
    asbl = platform.register()
    issued = platform.issue(asbl)
    response = platform.client.post(
        f"/credentials/{issued['id']}/revoke", json={"reason": "  "}, headers=asbl["headers"]
    )
    assert response.status_code == 422 and response.json()["error"] == "reason_required"
    assert _status(platform, issued)["code"] == "status_active"


def test_vc_api_status_update(platform: Platform) -> None:
    asbl = platform.register()
    issued = platform.issue(asbl)
    body = {
        "credentialId": issued["id"],
        "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}],
        "status": True,
    }
    response = platform.client.post("/credentials/status", json=body, headers=asbl["headers"])
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "suspended"
    body["credentialStatus"] = [{"type": "BitstringStatusListEntry", "statusPurpose": "revocation"}]
    assert (
        platform.client.post("/credentials/status", json=body, headers=asbl["headers"]).json()["state"]
        == "revoked"
    )
    body["status"] = False
    refused = platform.client.post("/credentials/status", json=body, headers=asbl["headers"])
    assert refused.status_code == 409 and refused.json()["error"] in ("revocation_final", "already_revoked")


def test_status_list_document_cache_headers_and_bits(platform: Platform) -> None:
    asbl = platform.register()
    issued = platform.issue(asbl)
    url = issued["status_lists"]["revocation"].removeprefix("https://skills-vc.test")
    first = platform.client.get(url)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/vc+jwt")
    assert "max-age=300" in first.headers["cache-control"]
    etag = first.headers["etag"]
    assert platform.client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert platform.client.get(url).headers["etag"] == etag  # unchanged bits, same document
    payload = jwt.decode(first.text, options={"verify_signature": False})
    assert payload["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert payload["issuer"] == asbl["did"]
    subject = payload["credentialSubject"]
    assert subject["statusPurpose"] == "revocation" and subject["ttl"] == 300_000
    assert not bit_at(decode_list(subject["encodedList"]), issued["status_list_index"])

    platform.client.post(f"/credentials/{issued['id']}/revoke", json={"reason": "x"}, headers=asbl["headers"])
    after = platform.client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    bits = decode_list(
        jwt.decode(after.text, options={"verify_signature": False})["credentialSubject"]["encodedList"]
    )
    assert bit_at(bits, issued["status_list_index"])
    assert sum(bin(b).count("1") for b in bits) == 1


def test_unknown_status_lists_are_404(platform: Platform) -> None:
    asbl = platform.register()
    platform.issue(asbl)
    for path in (
        f"/status-lists/{asbl['slug']}/revocation/7",
        f"/status-lists/{asbl['slug']}/refresh/0",
        "/status-lists/nobody/revocation/0",
    ):
        response = platform.client.get(path)
        assert response.status_code == 404
        assert response.json()["error"] in ("status_list_not_found", "association_not_found")


# --- lists published at another address (a CDN), fetched over real HTTP ---


class _ListServer:
    """A local HTTP server standing in for a CDN: it serves whatever body the test sets."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(server.status)
                self.send_header("Content-Type", "application/vc+jwt")
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/status-lists"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def cdn() -> Iterator[_ListServer]:
    server = _ListServer()
    yield server
    server.close()


def _cdn_platform(db: Engine, clock: Clock, tmp_path: Path, base: str) -> TestClient:
    # The stand-in CDN listens on loopback, which the fetch refuses unless its network is allowed.
    settings = make_settings(
        tmp_path,
        status_list_base_url=base,
        status_cache_seconds=0,
        status_fetch_allowed_networks=["127.0.0.0/8"],
    )
    return TestClient(create_app(settings, clock=clock, engine=db))


def test_list_fetched_over_http_from_the_cdn(
    db: Engine, clock: Clock, tmp_path: Path, cdn: _ListServer
) -> None:
    with _cdn_platform(db, clock, tmp_path, cdn.base) as client:
        platform = Platform(client, clock)
        asbl = platform.register()
        issued = platform.issue(asbl)
        own = client.get(f"/status-lists/{asbl['slug']}/revocation/0").content
        suspension = client.get(f"/status-lists/{asbl['slug']}/suspension/0").content
        assert issued["status_lists"]["revocation"].startswith(cdn.base)

        # Genuine list: verified. (Both purposes are served by the one stub: the check of the
        # purpose catches a list served for the wrong purpose.)
        cdn.body = own
        status_check = _status(platform, issued)
        assert (status_check["status"], status_check["code"]) == ("failed", "status_list_invalid")
        assert "not for suspension" in status_check["message"]["en"]

        # Tampered: one character of the signature changed.
        head, body, signature = own.decode().split(".")
        cdn.body = ".".join(
            [head, body, ("A" if signature[5] != "A" else "B").join([signature[:5], signature[6:]])]
        ).encode()
        assert _status(platform, issued)["code"] == "status_list_invalid"

        # A list signed by another association.
        other = platform.register()
        platform.issue(other)
        cdn.body = client.get(f"/status-lists/{other['slug']}/revocation/0").content
        assert _status(platform, issued)["code"] == "status_list_invalid"

        # The CDN fails: not verified, fail closed.
        cdn.body, cdn.status = own, 503
        assert _status(platform, issued)["code"] == "status_unavailable"
        assert suspension  # the suspension list is served too


def test_list_with_both_purposes_served_correctly_verifies(db: Engine, clock: Clock, tmp_path: Path) -> None:
    routes: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = routes.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/status-lists"
    try:
        with _cdn_platform(db, clock, tmp_path, base) as client:
            platform = Platform(client, clock)
            asbl = platform.register()
            issued = platform.issue(asbl)

            def publish() -> None:
                for purpose in ("revocation", "suspension"):
                    path = f"/status-lists/{asbl['slug']}/{purpose}/0"
                    routes[path] = client.get(path).content

            publish()
            assert _status(platform, issued)["code"] == "status_active"
            client.post(f"/credentials/{issued['id']}/revoke", json={"reason": "x"}, headers=asbl["headers"])
            publish()
            assert _status(platform, issued)["code"] == "revoked"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_unreachable_list_fails_closed(db: Engine, clock: Clock, tmp_path: Path) -> None:
    with _cdn_platform(db, clock, tmp_path, "http://127.0.0.1:9/status-lists") as client:
        platform = Platform(client, clock)
        issued = platform.issue(platform.register())
        status, report = platform.verify(issued["jwt"])
    assert status == 400 and report["verified"] is False
    result = check(report, "status")
    assert (result["status"], result["code"]) == ("failed", "status_unavailable")
    assert check(report, "signature")["status"] == "passed"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_verification_waits_for_no_writer(platform: Platform, db: Any) -> None:
    """Verification reads only: while another connection holds SQLite's write lock (a long bulk
    issuance), credentials, presentations and QR texts still verify at once, revoked ones too."""
    association = platform.register()
    active, revoked = platform.issue(association), platform.issue(association)
    platform.client.post(
        f"/credentials/{revoked['id']}/revoke", json={"reason": "x"}, headers=association["headers"]
    )
    # A new list's stored form is absent until someone reads it: verification signs it in memory.
    with db.connect() as writer:
        writer.exec_driver_sql(
            "UPDATE associations SET legal_name = legal_name"
        )  # BEGIN IMMEDIATE, then a write
        assert platform.verify(active["jwt"])[0] == 200
        status, report = platform.verify(revoked["jwt"])
        assert status == 400 and check(report, "status")["code"] == "revoked"
        writer.rollback()
