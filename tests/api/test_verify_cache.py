"""Verification reads the registry and the status lists from each process's memory.

In steady state a verification sends no SQL statement; a change made by the same process is seen
by its next verification, and one made by another process within ``verify_cache_seconds``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from skills_vc.api.app import create_app
from tests.conftest import MASTER_KEY, OPERATOR_KEY, PUBLIC_URL, Clock, Platform, check, make_settings
from tests.web.conftest import free_socket

SKILLS_VC = Path(sys.executable).parent / "skills-vc"
BOUND_SECONDS = 1.0


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _revocation(report: dict[str, Any]) -> str:
    return str(check(report, "status")["code"])


def test_steady_state_verification_sends_no_statement(platform: Platform, db: Engine) -> None:
    association = platform.register()
    issued = platform.issue(association)
    assert platform.verify(issued["jwt"])[0] == 200  # fills the cache
    with _statements(db) as seen:
        status, report = platform.verify(issued["jwt"])
        again, _ = platform.verify(issued["jwt"])
    assert (status, again, report["verified"]) == (200, 200, True)
    assert seen == []


def test_a_change_in_this_process_is_seen_by_the_next_verification(platform: Platform, db: Engine) -> None:
    association = platform.register()
    issued = platform.issue(association)
    assert platform.verify(issued["jwt"])[1]["verified"] is True
    revoked = platform.client.post(
        f"/credentials/{issued['id']}/revoke",
        json={"reason": "issued in error"},
        headers=association["headers"],
    )
    assert revoked.status_code == 200
    status, report = platform.verify(issued["jwt"])
    assert (status, report["verified"], _revocation(report)) == (400, False, "revoked")

    # A new key (rotation) and a new association are seen at once too, by the DID document too.
    document = f"/issuers/{association['slug']}/did.json"
    assert len(platform.client.get(document).json()["verificationMethod"]) == 1
    platform.client.post(
        f"/associations/{association['slug']}/keys/rotate", json={}, headers=association["headers"]
    ).raise_for_status()
    assert len(platform.client.get(document).json()["verificationMethod"]) == 2
    fresh = platform.issue(association)
    assert platform.verify(fresh["jwt"])[1]["verified"] is True
    other = platform.register()
    assert platform.verify(platform.issue(other)["jwt"])[1]["verified"] is True


def test_a_failed_change_leaves_the_cache_as_it_was(platform: Platform, db: Engine) -> None:
    association = platform.register()
    issued = platform.issue(association)
    assert platform.verify(issued["jwt"])[1]["verified"] is True
    # Refused (an empty reason): rolled back, nothing changed, the cache still answers alone.
    refused = platform.client.post(
        f"/credentials/{issued['id']}/revoke", json={"reason": "  "}, headers=association["headers"]
    )
    assert refused.status_code == 422
    with _statements(db) as seen:
        assert platform.verify(issued["jwt"])[1]["verified"] is True
    assert seen == []


def test_with_no_delay_each_verification_reads_only_the_counter(
    db: Engine, clock: Clock, tmp_path: Path
) -> None:
    app = create_app(make_settings(tmp_path, verify_cache_seconds=0), clock=clock, engine=db)
    with TestClient(app) as client:
        platform = Platform(client, clock)
        issued = platform.issue(platform.register())
        assert platform.verify(issued["jwt"])[1]["verified"] is True
        with _statements(db) as seen:
            assert platform.verify(issued["jwt"])[1]["verified"] is True
    queries = [statement for statement in seen if statement != "BEGIN"]  # SQLite's own
    assert len(queries) == 1 and "change_counters" in queries[0]


def _database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@contextmanager
def _other_process(engine: Engine, tmp_path: Path) -> Iterator[str]:
    """``skills-vc serve`` in its own process on the same database, its cache bound 1 s."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_VC_")}
    env.update(
        SKILLS_VC_DATABASE_URL=_database_url(engine),
        SKILLS_VC_PUBLIC_URL=PUBLIC_URL,
        SKILLS_VC_MASTER_KEY=MASTER_KEY,
        SKILLS_VC_OPERATOR_KEY=OPERATOR_KEY,
        SKILLS_VC_VAR_DIR=str(tmp_path / "other"),
        SKILLS_VC_VERIFY_CACHE_SECONDS=str(BOUND_SECONDS),
    )
    process = subprocess.Popen(
        [str(SKILLS_VC), "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the other process did not become ready"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_revocation_in_one_process_is_seen_by_another_within_the_bound(
    platform: Platform, db: Engine, tmp_path: Path
) -> None:
    association = platform.register()
    issued = platform.issue(association)
    kept = platform.issue(association)
    with _other_process(db, tmp_path) as other, httpx.Client(base_url=other, timeout=10) as client:

        def verify(jwt: str) -> dict[str, Any]:
            response = client.post("/credentials/verify", json={"verifiableCredential": jwt})
            assert response.status_code in (200, 400), response.text
            return dict(response.json())

        assert verify(issued["jwt"])["verified"] is True  # the other process now holds the list
        revoked = platform.client.post(
            f"/credentials/{issued['id']}/revoke", json={"reason": "x"}, headers=association["headers"]
        )
        assert revoked.status_code == 200
        changed_at = time.monotonic()
        while True:
            report = verify(issued["jwt"])
            if report["verified"] is False:
                break
            assert time.monotonic() - changed_at < BOUND_SECONDS + 2, "still valid after the bound"
            time.sleep(0.05)
        seen_after = time.monotonic() - changed_at
        assert _revocation(report) == "revoked"
        assert verify(kept["jwt"])["verified"] is True
        # The same bound holds for the registry: a key made by a rotation in the first process.
        platform.client.post(
            f"/associations/{association['slug']}/keys/rotate", json={}, headers=association["headers"]
        ).raise_for_status()
        fresh = platform.issue(association)
        rotated_at = time.monotonic()
        while (report := verify(fresh["jwt"]))["verified"] is False:
            assert check(report, "signature")["code"] == "unknown_key", report
            assert time.monotonic() - rotated_at < BOUND_SECONDS + 2, "new key unknown after the bound"
            time.sleep(0.05)
    assert seen_after <= BOUND_SECONDS + 2


def test_a_verification_all_in_memory_is_answered_without_a_session(platform: Platform, db: Engine) -> None:
    """``verify_in_memory`` (the verify route's path on the event loop) gives the report the
    thread's path gives, and gives up (None) whenever the database would be needed."""
    from skills_vc.services import verification

    state = platform.client.app.state  # type: ignore[attr-defined]

    def in_memory(presented: Any) -> Any:
        return verification.verify_in_memory(
            state.engine, state.settings, state.clock, presented, state.remote_lists
        )

    association = platform.register()
    issued, other = platform.issue(association), platform.issue(association)
    platform.client.post(
        f"/credentials/{other['id']}/revoke", json={"reason": "x"}, headers=association["headers"]
    ).raise_for_status()
    assert in_memory(issued["jwt"]) is None  # the revocation emptied the cache: not in memory
    _, through_thread = platform.verify(issued["jwt"])
    _, revoked_report = platform.verify(other["jwt"])
    with _statements(db) as seen:
        warm, revoked = in_memory(issued["jwt"]), in_memory(other["jwt"])
    assert seen == []
    assert warm is not None and warm.as_dict() == through_thread
    report_only = {k: v for k, v in revoked_report.items() if k not in ("error", "detail")}
    assert revoked is not None and revoked.as_dict() == report_only and revoked_report["error"] == "revoked"
    # A key of an association this process has not read: the database is needed, so no answer.
    stranger = platform.register()
    platform.verify(issued["jwt"])  # the registration emptied the cache; fill it again
    assert in_memory(platform.issue(stranger)["jwt"]) is None
