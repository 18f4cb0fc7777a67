"""Fixtures of the deployment tests: scratch PostgreSQL databases, a TLS certificate, nginx.

They need ``SKILLS_VC_TEST_DATABASE_URL`` (a PostgreSQL server where they may create databases;
the database it names is left alone) and skip with a message without it. The topology needs
Debian's nginx (``/usr/sbin/nginx``): without it the test skips, unless ``SKILLS_VC_REQUIRE_NGINX=1``
(set by .ci/run) makes it fail.
"""

from __future__ import annotations

import importlib.util
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from tests.deploy.databases import ScratchDatabases
from tests.deploy.processes import NGINX, ROOT

PG_URL = os.environ.get("SKILLS_VC_TEST_DATABASE_URL")
CERT_SCRIPT = ROOT / "deploy" / "tls" / "self_signed_cert.py"


@pytest.fixture(scope="module")
def scratch_databases() -> Iterator[ScratchDatabases]:
    """Databases of their own on the test server, dropped when the module is done."""
    if not PG_URL:
        pytest.skip(
            "the deployment tests need SKILLS_VC_TEST_DATABASE_URL (a PostgreSQL server; set by .ci/run)"
        )
    if not PG_URL.startswith("postgresql"):
        pytest.skip(f"the deployment tests need PostgreSQL, not {PG_URL.split(':', 1)[0]}")
    databases = ScratchDatabases(PG_URL)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="module")
def nginx() -> Path:
    if not NGINX.exists():
        reason = f"{NGINX} is missing"
        if os.environ.get("SKILLS_VC_REQUIRE_NGINX") == "1":
            pytest.fail(f"{reason}, and SKILLS_VC_REQUIRE_NGINX=1 requires the topology test to run")
        pytest.skip(f"{reason}: the proxy topology test skipped (install Debian's nginx-light to run it)")
    return NGINX


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context whose only trust anchor is this certificate."""
        return ssl.create_default_context(cafile=str(self.cert))


def _cert_script() -> ModuleType:
    # deploy/ is not a package: the script that compose runs is loaded from its file.
    spec = importlib.util.spec_from_file_location("self_signed_cert", CERT_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for 127.0.0.1, made by deploy/tls/self_signed_cert.py."""
    cert_pem, key_pem = _cert_script().self_signed(["127.0.0.1"], now=datetime.now(UTC))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key_pem)
    (folder / "key.pem").chmod(0o600)
    return Tls(folder / "cert.pem", folder / "key.pem")
