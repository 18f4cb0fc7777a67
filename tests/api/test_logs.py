"""Log lines: JSON objects with the request id, one access line per request naming its route
template, and never a secret (keys, passwords, link tokens, codes, emails) — SQLite and PostgreSQL;
then ``skills-vc serve`` writing JSON lines for real."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from skills_vc.api.logs import JsonFormatter, PlainFormatter, RequestContext, log_format, uvicorn_log_config
from tests.api.wallet_support import OB3, Holder, make_offer, receive, token
from tests.conftest import OPERATOR_KEY, Platform, make_settings
from tests.test_cli_serve import _serving, _terminate, _wait_for
from tests.web.helpers import Elements

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


class Captured:
    """Every line the root logger writes while a test runs, through the production formatter."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stream.getvalue().splitlines() if line]

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def access(self) -> list[dict[str, Any]]:
        return [record for record in self.records() if record["logger"] == "skills_vc.access"]


@pytest.fixture
def captured(tmp_path: Path) -> Iterator[Captured]:
    """A JSON handler on the root logger, with the logger levels ``skills-vc serve`` configures."""
    capture = Captured()
    handler = logging.StreamHandler(capture.stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContext())
    config = uvicorn_log_config(make_settings(tmp_path, log_format="json"), access_log=True)
    levels = {name: logging.getLogger(name).level for name in [*config["loggers"], ""]}
    for name, logger_config in config["loggers"].items():
        logging.getLogger(name).setLevel(logger_config["level"])
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield capture
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name or None).setLevel(level)


class Exchanges:
    """Every request the test client made, as the client saw it (an httpx response hook)."""

    def __init__(self, client: TestClient) -> None:
        self.seen: list[tuple[str, str, int, str]] = []
        client.event_hooks["response"].append(self._record)

    def _record(self, response: httpx.Response) -> None:
        request = response.request
        self.seen.append(
            (request.method, request.url.path, response.status_code, response.headers["x-request-id"])
        )


def _matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{path\\\}$", ".*", re.escape(template))
    return re.fullmatch(re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", pattern), path) is not None


def test_no_secret_reaches_a_log_line(platform: Platform, captured: Captured) -> None:
    # Over https, so that the client keeps the portal's Secure session cookie.
    platform = Platform(TestClient(platform.client.app, base_url="https://testserver"), platform.clock)
    client = platform.client
    exchanges = Exchanges(client)
    asbl = platform.register("logs-asbl")  # the operator's key accredits it
    email = f"aicha.{uuid.uuid4().hex[:8]}@example.org"
    password = "staff-password-" + uuid.uuid4().hex
    wrong_password = "wrong-password-" + uuid.uuid4().hex
    staff_email = f"coordination.{uuid.uuid4().hex[:8]}@logs-asbl.example"

    # An API key in Authorization, an email in a body and in a query string.
    volunteer = client.post(
        "/volunteers", json={"name": "Aïcha Benali", "email": email}, headers=asbl["headers"]
    )
    assert volunteer.status_code == 201, volunteer.text
    credential = platform.issue(asbl, volunteer_id=volunteer.json()["id"])
    listed = client.get(f"/credentials?limit=5&q={email}", headers=asbl["headers"])
    assert listed.status_code in (200, 422)

    # A staff password to the sign-in form, a wrong one first.
    staff = client.post(
        f"/associations/{asbl['slug']}/staff",
        json={"email": staff_email, "name": "Sophie Claes", "password": password},
        headers=asbl["headers"],
    )
    assert staff.status_code == 201, staff.text
    login = {"email": staff_email, "password": wrong_password}
    assert client.post("/portal/login", data=login, follow_redirects=False).status_code == 403
    login["password"] = password
    assert client.post("/portal/login", data=login, follow_redirects=False).status_code == 303

    # The volunteer's link, opened with a query string.
    page = client.get(f"/portal/credentials/{credential['id']}?lang=en")
    assert page.status_code == 200
    link = urlsplit(Elements(page.text).by_id("share-url")["value"] or "").path
    link_token = link.removeprefix("/c/")
    client.cookies.clear()
    assert client.get(link + "?lang=nl").status_code == 200
    assert client.get(link + "/credential.json").status_code == 200

    # The pre-authorized code and the tx_code to the token endpoint, then the access token.
    offer = make_offer(platform, asbl, configurations=[OB3])
    assert (
        token(platform, offer, tx_code="000000" if offer.tx_code != "000000" else "111111").status_code == 400
    )
    answer = token(platform, offer)
    assert answer.status_code == 200, answer.text
    access_token = answer.json()["access_token"]
    receive(platform, offer, Holder(), OB3, access_token)

    # A request id that is not a safe token is replaced, not written.
    unsafe_id = f"Bearer {asbl['key']}"
    assert client.get("/healthz", headers={"X-Request-ID": unsafe_id}).headers["x-request-id"] != unsafe_id

    secrets = {
        "API key": asbl["key"],
        "operator key": OPERATOR_KEY,
        "password": password,
        "wrong password": wrong_password,
        "volunteer email": email,
        "staff email": staff_email,
        "link token": link_token,
        "pre-authorized code": offer.code,
        "tx_code": offer.tx_code,
        "access token": access_token,
        "credential id": credential["id"].removeprefix("urn:uuid:"),
    }
    text = "\n".join(captured.lines)
    leaked = [name for name, secret in secrets.items() if secret in text]
    assert leaked == []
    # No name and no query string either: access lines name the route, not the path.
    assert "Aïcha" not in text
    assert not any("?" in line["message"] for line in captured.access())

    # Every line is a JSON object with the same fields; every request has exactly one access line.
    records = captured.records()
    assert all({"time", "level", "logger", "message", "request_id"} <= record.keys() for record in records)
    access = {record["request_id"]: record for record in captured.access()}
    assert len(access) == len(captured.access()) == len(exchanges.seen) > 20
    for method, path, status, request_id in exchanges.seen:
        line = access[request_id]
        assert (line["method"], line["status"]) == (method, status)
        assert _matches(line["route"], path), (line["route"], path)
        assert line["message"] == f"{method} {line['route']} HTTP/1.1 {status}"
        assert isinstance(line["duration_ms"], float)
    routes = {line["route"] for line in access.values()}
    assert {
        "/c/{token}",
        "/c/{token}/credential.json",
        "/portal/login",
        "/issuers/{slug}/oid4vci/token",
    } <= routes
    assert "/portal/credentials/{credential_id}" in routes


def test_request_id_kept_when_it_is_a_short_safe_token(platform: Platform, captured: Captured) -> None:
    kept = platform.client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2_x"})
    assert kept.headers["x-request-id"] == "lb-7f3a.2_x"
    for unsafe in ("two words", "x" * 65, "naïve".encode("latin-1"), "-starts-with-dash", "a\tb"):
        replaced = platform.client.get("/healthz", headers={"X-Request-ID": unsafe})
        assert GENERATED_ID.fullmatch(replaced.headers["x-request-id"]), unsafe
    # Answers that no route gave carry it too: a 404, and a body refused before routing.
    assert GENERATED_ID.fullmatch(platform.client.get("/no/such/path").headers["x-request-id"])
    refused = platform.client.post(
        "/credentials/verify", content=b"x" * (300 * 1024), headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 413 and GENERATED_ID.fullmatch(refused.headers["x-request-id"])
    assert [line["route"] for line in captured.access()[-2:]] == ["unmatched", "unmatched"]
    assert captured.access()[0]["request_id"] == "lb-7f3a.2_x"


def test_an_unexpected_error_is_logged_with_the_request_id_and_without_its_message(
    platform: Platform, captured: Captured
) -> None:
    app: FastAPI = platform.client.app  # type: ignore[assignment]

    def boom() -> None:
        raise RuntimeError("duplicate key: email=aicha@example.org password=hunter2")

    app.add_api_route("/test-only/boom/{item}", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test-only/boom/42", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500 and response.json()["error"] == "internal_error"
    lines = [record for record in captured.records() if record["request_id"] == "boom-1"]
    access = next(line for line in lines if line["logger"] == "skills_vc.access")
    assert (access["route"], access["status"]) == ("/test-only/boom/{item}", 500)
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["exception"]["type"] == "builtins.RuntimeError"
    assert any("in boom" in frame for frame in error["exception"]["frames"])
    text = "\n".join(captured.lines)
    assert "aicha@example.org" not in text and "hunter2" not in text


def test_plain_lines_keep_the_fields_and_drop_exception_messages() -> None:
    record = logging.LogRecord(
        "skills_vc.access", logging.INFO, __file__, 1, "GET /c/{token} HTTP/1.1 200", (), None
    )
    record.request_id = "req-1"
    record.duration_ms = 1.5
    assert (
        PlainFormatter()
        .format(record)
        .endswith("INFO skills_vc.access GET /c/{token} HTTP/1.1 200 request_id=req-1 duration_ms=1.5")
    )
    try:
        raise ValueError("token=secret-value")
    except ValueError:
        failed = logging.LogRecord("skills_vc.api", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    for formatter in (PlainFormatter(), JsonFormatter()):
        text = formatter.format(failed)
        assert "ValueError" in text and "secret-value" not in text


def test_json_in_production_plain_in_development_unless_chosen(tmp_path: Path) -> None:
    assert log_format(make_settings(tmp_path)) == "plain"
    assert log_format(make_settings(tmp_path, mode="production")) == "json"
    assert log_format(make_settings(tmp_path, mode="production", log_format="plain")) == "plain"
    assert log_format(make_settings(tmp_path, log_format="json")) == "json"
    config = uvicorn_log_config(make_settings(tmp_path), access_log=False)
    assert config["loggers"]["skills_vc.access"]["level"] == "WARNING"
    assert config["formatters"]["default"]["()"].endswith("PlainFormatter")


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_VC_")}
    env["SKILLS_VC_VAR_DIR"] = str(tmp_path / "var")
    env["SKILLS_VC_LOG_FORMAT"] = "json"
    return env


def test_serve_writes_json_lines_with_route_templates(server_env: dict[str, str], tmp_path: Path) -> None:
    link_token = "volunteer-link-token-" + uuid.uuid4().hex
    with _serving(server_env, tmp_path) as (server, port):
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/readyz", server, time.monotonic() + 30)
        response = httpx.get(f"{base}/c/{link_token}?lang=fr", headers={"X-Request-ID": "serve-1"}, timeout=5)
        assert response.headers["x-request-id"] == "serve-1"
        _terminate(server)
    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    messages = [line["message"] for line in lines]
    assert any(message.startswith("Started server process [") for message in messages)
    assert "Application startup complete." in messages
    access = [line for line in lines if line["logger"] == "skills_vc.access"]
    link = next(line for line in access if line["request_id"] == "serve-1")
    assert (link["route"], link["method"], link["status"]) == ("/c/{token}", "GET", response.status_code)
    assert any(line["route"] == "/readyz" for line in access)
    assert link_token not in server.output()
    # uvicorn's own access line (with the path and the client's address) is not written.
    assert not any(line["logger"] == "uvicorn.access" for line in lines)
