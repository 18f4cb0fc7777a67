"""Fixtures of the wallet tests: settings on a temporary var dir, the app on a fake issuer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.wallet_demo.builders import SECRET, FakeIssuer
from wallet_demo.app import create_app
from wallet_demo.config import WalletSettings


def wallet_settings(tmp_path: Path, **overrides: Any) -> WalletSettings:
    values: dict[str, Any] = {"var_dir": tmp_path / "var", "secret": SECRET}
    values.update(overrides)
    return WalletSettings(**values)


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def wallet_client(tmp_path: Path, issuer: FakeIssuer) -> Iterator[TestClient]:
    """The wallet's pages, its HTTP going to the fake issuer."""
    app = create_app(wallet_settings(tmp_path), transport=issuer.transport())
    with TestClient(app, base_url="http://127.0.0.1:8001") as client:
        yield client
