"""Rotating the master key and the operator key while the service runs.

The master key: processes run with the new key current and the old one previous, every sealed
private key still opens and new ones are sealed under the new key; ``skills-vc keys reseal``
moves every row to the new key in one transaction (all or nothing); then the old key can go.
The operator key: the previous key is accepted while it is listed, and refused once it is not.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from skills_vc.api.app import create_app
from skills_vc.cli import app as cli_app
from skills_vc.config import Settings, get_settings
from skills_vc.core import keys as keylib
from tests.conftest import MASTER_KEY, OPERATOR_KEY, PUBLIC_URL, Clock, Platform, make_settings

KEY_A = MASTER_KEY
KEY_B = base64.urlsafe_b64encode(bytes(range(32, 64))).decode().rstrip("=")
KEY_C = base64.urlsafe_b64encode(bytes(range(64, 96))).decode().rstrip("=")
NEW_OPERATOR_KEY = "the-next-operator-key-0123456789abcdef"


def _sealed_rows(engine: Engine) -> dict[tuple[str, int], tuple[bytes, bytes]]:
    """Every sealed private key as stored: (table, id) -> (nonce, ciphertext)."""
    rows: dict[tuple[str, int], tuple[bytes, bytes]] = {}
    with engine.connect() as conn:
        for table in ("association_keys", "platform_keys"):
            for row_id, nonce, ciphertext in conn.execute(
                text(f"SELECT id, private_nonce, private_ciphertext FROM {table}")
            ):
                rows[table, row_id] = (bytes(nonce), bytes(ciphertext))
    return rows


class Deployment:
    """One database, and the processes started on it with one configuration after another."""

    def __init__(self, db: Engine, clock: Clock, tmp_path: Path) -> None:
        self.db = db
        self.clock = clock
        self.tmp_path = tmp_path
        self.site: Platform | None = None

    @contextmanager
    def process(self, **settings: Any) -> Iterator[Platform]:
        app = create_app(make_settings(self.tmp_path, **settings), clock=self.clock, engine=self.db)
        with TestClient(app) as client:
            # One Platform across processes, so the associations it registers keep distinct numbers.
            if self.site is None:
                self.site = Platform(client, self.clock)
            self.site.client = client
            yield self.site

    def cli(self, monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> Any:
        """``skills-vc`` on the same database, with the given master keys in the environment."""
        monkeypatch.setenv("SKILLS_VC_DATABASE_URL", self.db.url.render_as_string(hide_password=False))
        monkeypatch.setenv("SKILLS_VC_PUBLIC_URL", PUBLIC_URL)
        monkeypatch.setenv("SKILLS_VC_VAR_DIR", str(self.tmp_path / "var"))
        monkeypatch.delenv("SKILLS_VC_PREVIOUS_MASTER_KEYS", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(f"SKILLS_VC_{name.upper()}", value)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli_app, list(args))
        finally:
            get_settings.cache_clear()


@pytest.fixture
def deployment(db: Engine, clock: Clock, tmp_path: Path) -> Deployment:
    return Deployment(db, clock, tmp_path)


def _platform_keys(site: Platform) -> None:
    """Create (under the current master key) and use the platform's own keys."""
    assert site.client.get("/.well-known/did.json").status_code == 200  # the verifier key
    assert site.client.get("/.well-known/skills-vc-trust-list.jwt").status_code == 200  # signs


def _verified(site: Platform, issued: dict[str, Any]) -> bool:
    status, report = site.verify(issued["jwt"])
    return status == 200 and report["verified"] is True


def test_a_master_key_rotation_keeps_issuing_and_verifying(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    with deployment.process(master_key=KEY_A) as site:
        old = site.register("sealed-under-a")
        first = site.issue(old)
        _platform_keys(site)
    under_a = _sealed_rows(deployment.db)
    assert len(under_a) == 3  # the association's key, the verifier key, the trust list key

    # Step 1: every process runs with the new key current and the old one previous.
    with deployment.process(master_key=KEY_B, previous_master_keys=[KEY_A]) as site:
        second = site.issue(old)  # signed with the key sealed under A
        new = site.register("sealed-under-b")
        third = site.issue(new)
        _platform_keys(site)
        assert all(_verified(site, issued) for issued in (first, second, third))
    check = deployment.cli(monkeypatch, "keys", "check", master_key=KEY_B, previous_master_keys=KEY_A)
    assert check.exit_code == 0, check.output
    assert check.output.count("\tprevious 1\n") == 3 and check.output.count("\tcurrent\n") == 1
    assert (
        "4 stored keys: 1 under the current master key, 3 under a previous one, 0 under none" in check.output
    )
    assert KEY_A not in check.output and KEY_B not in check.output
    early = deployment.cli(
        monkeypatch, "keys", "check", "--require-current", master_key=KEY_B, previous_master_keys=KEY_A
    )
    assert early.exit_code == 2 and "error: keys_not_resealed:" in early.output

    # Step 2: re-seal every row under the new key.
    resealed = deployment.cli(monkeypatch, "keys", "reseal", master_key=KEY_B, previous_master_keys=KEY_A)
    assert resealed.exit_code == 0, resealed.output
    assert "re-sealed 3 stored keys under the current master key (1 already were)" in resealed.output
    after = _sealed_rows(deployment.db)
    assert len(after) == 4 and after.keys() >= under_a.keys()
    assert all(after[row] != under_a[row] for row in under_a)
    again = deployment.cli(monkeypatch, "keys", "reseal", master_key=KEY_B, previous_master_keys=KEY_A)
    assert "re-sealed 0 stored keys under the current master key (4 already were)" in again.output
    done = deployment.cli(monkeypatch, "keys", "check", "--require-current", master_key=KEY_B)
    assert done.exit_code == 0 and done.output.count("\tcurrent\n") == 4, done.output

    # Step 3: the old key is gone from the configuration; issuance and verification go on.
    with deployment.process(master_key=KEY_B) as site:
        fourth = site.issue(old)
        fifth = site.issue(new)
        _platform_keys(site)
        assert all(_verified(site, issued) for issued in (first, second, third, fourth, fifth))

    # A process still on the old key alone (one that missed step 1) can no longer sign.
    with deployment.process(master_key=KEY_A) as site:
        activity = site.activity(old)
        refused = site.client.post(f"/activities/{activity['id']}/credentials", headers=old["headers"])
        assert refused.status_code == 500 and refused.json()["error"] == "master_key_mismatch"


def test_reseal_changes_nothing_when_a_key_opens_with_no_master_key(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    with deployment.process(master_key=KEY_A) as site:
        site.issue(site.register("under-a"))
        _platform_keys(site)
    with deployment.process(master_key=KEY_C) as site:
        site.issue(site.register("under-c"))  # sealed under a key the next step does not list
    with deployment.process(master_key=KEY_B, previous_master_keys=[KEY_A]) as site:
        site.issue(site.register("under-b"))
    before = _sealed_rows(deployment.db)

    refused = deployment.cli(monkeypatch, "keys", "reseal", master_key=KEY_B, previous_master_keys=KEY_A)
    assert refused.exit_code == 2
    assert "error: master_key_mismatch: 1 stored key(s) open with no configured master key" in refused.output
    assert re.search(r"association_keys \d+ \(did:web:skills-vc.test:issuers:under-c#", refused.output)
    assert _sealed_rows(deployment.db) == before  # all or nothing: the rows under A were not moved

    check = deployment.cli(monkeypatch, "keys", "check", master_key=KEY_B, previous_master_keys=KEY_A)
    assert check.exit_code == 2 and "error: master_key_mismatch:" in check.output
    assert check.output.count("\tnone\n") == 1 and check.output.count("\tprevious 1\n") == 3
    assert _sealed_rows(deployment.db) == before

    # With the missing key listed too, everything moves in one go.
    both = f"{KEY_A},{KEY_C}"
    moved = deployment.cli(monkeypatch, "keys", "reseal", master_key=KEY_B, previous_master_keys=both)
    assert moved.exit_code == 0, moved.output
    assert "re-sealed 4 stored keys under the current master key (1 already were)" in moved.output


def test_the_previous_operator_key_works_during_the_rotation_only(deployment: Deployment) -> None:
    def operator_call(site: Platform, slug: str, key: str, status: str) -> Any:
        return site.client.post(
            f"/associations/{slug}/accreditation", json={"status": status}, headers=site.auth(key)
        )

    with deployment.process(operator_key=NEW_OPERATOR_KEY, previous_operator_keys=[OPERATOR_KEY]) as site:
        slug = site.register("rotating", accredit=False)["slug"]
        assert operator_call(site, slug, OPERATOR_KEY, "accredited").status_code == 200
        assert operator_call(site, slug, NEW_OPERATOR_KEY, "suspended").status_code == 200
        assert operator_call(site, slug, NEW_OPERATOR_KEY + "x", "accredited").status_code == 403
        # The staff account API and the operator's sign-in page take it too.
        assert (
            site.client.get(f"/associations/{slug}/staff", headers=site.auth(OPERATOR_KEY)).status_code == 200
        )
        signed_in = site.client.post(
            "/operator/login", data={"operator_key": OPERATOR_KEY}, follow_redirects=False
        )
        assert signed_in.status_code == 303
    with deployment.process(operator_key=NEW_OPERATOR_KEY) as site:
        assert operator_call(site, slug, NEW_OPERATOR_KEY, "accredited").status_code == 200
        refused = operator_call(site, slug, OPERATOR_KEY, "suspended")
        assert refused.status_code == 403 and refused.json()["error"] == "operator_only"
        assert (
            site.client.get(f"/associations/{slug}/staff", headers=site.auth(OPERATOR_KEY)).status_code == 401
        )
        site.client.cookies.clear()
        login = site.client.post(
            "/operator/login", data={"operator_key": OPERATOR_KEY}, follow_redirects=False
        )
        assert login.status_code == 403


def test_open_sealed_any_names_the_master_key_that_opened() -> None:
    a, b = keylib.b64url_decode(KEY_A), keylib.b64url_decode(KEY_B)
    private = keylib.generate_private_key("Ed25519")
    sealed = keylib.seal(private, a, "did:web:example#k")
    assert keylib.open_sealed_any(sealed, [a, b], "did:web:example#k")[1] == 0
    opened, position = keylib.open_sealed_any(sealed, [b, a], "did:web:example#k")
    assert position == 1 and keylib.public_jwk(opened) == keylib.public_jwk(private)
    with pytest.raises(InvalidTag):
        keylib.open_sealed_any(sealed, [b], "did:web:example#k")
    with pytest.raises(InvalidTag):  # still bound to its key id
        keylib.open_sealed_any(sealed, [b, a], "did:web:example#other")


def test_previous_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLS_VC_PREVIOUS_MASTER_KEYS", f" {KEY_A} , {KEY_C} ")
    monkeypatch.setenv("SKILLS_VC_PREVIOUS_OPERATOR_KEYS", json.dumps([OPERATOR_KEY]))
    settings = Settings(master_key=KEY_B)
    assert settings.previous_master_keys == [KEY_A, KEY_C]
    assert settings.previous_master_key_bytes == (
        b"0123456789abcdef0123456789abcdef",
        bytes(range(64, 96)),
    )
    assert settings.previous_operator_keys == [OPERATOR_KEY]
    monkeypatch.setenv("SKILLS_VC_PREVIOUS_MASTER_KEYS", "")
    assert Settings().previous_master_keys == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"previous_master_keys": ["c2hvcnQ"]}, "PREVIOUS_MASTER_KEYS: key 1 must be 32 bytes"),
        ({"previous_master_keys": [KEY_A, "not base64 !"]}, "PREVIOUS_MASTER_KEYS: key 2 must be 32 bytes"),
        ({"master_key": KEY_B, "previous_master_keys": [KEY_B + "="]}, "key 1 is the current master key"),
        (
            {"operator_key": NEW_OPERATOR_KEY, "previous_operator_keys": [NEW_OPERATOR_KEY]},
            "key 1 is the current operator key",
        ),
    ],
)
def test_previous_keys_are_checked(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        Settings(**settings)
    for secret in (*settings.get("previous_master_keys", []), *settings.get("previous_operator_keys", [])):
        assert secret not in str(raised.value)  # the error never echoes a key


def test_production_applies_its_rules_to_the_previous_keys() -> None:
    production = {
        "mode": "production",
        "master_key": KEY_B,
        "operator_key": NEW_OPERATOR_KEY,
        "database_url": "postgresql+psycopg://x@localhost/y",
    }
    assert Settings(**production, previous_operator_keys=[OPERATOR_KEY]).mode == "production"
    with pytest.raises(ValidationError, match="PREVIOUS_OPERATOR_KEYS: key 2 must be at least 24") as raised:
        Settings(**production, previous_operator_keys=[OPERATOR_KEY, "short-old-key"])
    assert "short-old-key" not in str(raised.value)
    with pytest.raises(ValidationError, match="PREVIOUS_MASTER_KEYS: key 1 must be 32 bytes"):
        Settings(**production, previous_master_keys=["dG9vLXNob3J0"])
