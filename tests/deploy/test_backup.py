"""Backups: ``pg_dump --format=custom`` of a live database, ``pg_restore`` into a new one, and
skills-vc serving the restored database as it was at the dump (docs/deploy.md, "Backups")."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.deploy import api
from tests.deploy.databases import ScratchDatabases
from tests.deploy.processes import Replica, free_port, migrate, service_env

pytestmark = pytest.mark.postgres


def test_a_restored_dump_verifies_and_keeps_revocations(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> None:
    original = scratch_databases.create()
    # The restored service keeps the public URL (it is in every did:web and status list URL) and
    # the master key (it decrypts the associations' private keys); its address may change.
    public_url = f"http://127.0.0.1:{free_port()}"
    env = service_env(original, public_url, tmp_path / "var")
    migrate(env)
    live = Replica("live", env, free_port(), tmp_path / "live.log")
    live.start()
    try:
        live.wait_ready()
        with httpx.Client(base_url=live.url, timeout=10.0) as client:
            association = api.register(client, 1)
            kept = api.issue(client, association)
            revoked = api.issue(client, association)
            api.revoke(client, association, revoked)
            revoked_after_dump = api.issue(client, association)

            dump = tmp_path / "skills_vc.dump"
            dumped = scratch_databases.run_client("pg_dump", original, "--format=custom", f"--file={dump}")
            assert dumped.returncode == 0, dumped.stderr
            assert dump.read_bytes().startswith(b"PGDMP")  # the custom format

            # A change after the dump: a restore goes back to the dump, so it loses it.
            api.revoke(client, association, revoked_after_dump)
    finally:
        live.stop()
    # The original is gone: whatever the restored service answers comes from the dump.
    scratch_databases.drop(original)

    restored = scratch_databases.create()
    loaded = scratch_databases.run_client(
        "pg_restore",
        restored,
        "--exit-on-error",
        "--single-transaction",
        "--no-owner",
        f"--dbname={restored.database}",
        str(dump),
    )
    assert loaded.returncode == 0, loaded.stderr
    again = Replica(
        "restored",
        service_env(restored, public_url, tmp_path / "var"),
        free_port(),
        tmp_path / "restored.log",
    )
    again.start()
    try:
        # Ready: the restored database answers and is at the head of the migrations.
        again.wait_ready()
        with httpx.Client(base_url=again.url, timeout=10.0) as client:
            assert api.verify(client, kept.jwt)["verified"]
            report = api.verify(client, revoked.jwt)
            assert not report["verified"]
            assert api.check(report, "status")["code"] == "revoked"
            assert api.verify(client, revoked_after_dump.jwt)["verified"]
            # It issues on: keys decrypt with the same master key, the sequences were restored.
            new = api.issue(client, association)
            assert api.verify(client, new.jwt)["verified"]
    finally:
        again.stop()
