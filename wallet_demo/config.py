"""Settings of the demo wallet: the only module that reads the environment (prefix ``WALLET_DEMO_``).

The wallet secret (32 bytes, base64url) protects the holder's private key at rest. It comes from
``WALLET_DEMO_SECRET`` or, when that is unset, from ``<var dir>/wallet.secret``, generated once
with mode 0600. It is held as a ``SecretStr`` so that printing the settings never shows it.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SECRET_FILE", "WalletSecretError", "WalletSettings", "load_wallet_secret"]

SECRET_FILE = "wallet.secret"  # noqa: S105 - a file name, not a secret


class WalletSecretError(ValueError):
    """The wallet secret is unusable (wrong length, not base64url); the message says which."""


class WalletSettings(BaseSettings):
    """Everything the wallet can be told; ``python -m wallet_demo`` overrides host, port and scheme."""

    model_config = SettingsConfigDict(env_prefix="WALLET_DEMO_", env_file=None, extra="ignore")

    var_dir: Path = Path("var")
    # The SQLite file; default ``<var_dir>/wallet_demo.db``.
    database: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8001, ge=1, le=65535)
    # P-256 (ES256) is what most wallets and issuers support; Ed25519 (EdDSA) on request.
    key_type: Literal["P-256", "Ed25519"] = "P-256"
    # A local demo service runs on plain http; a real deployment would refuse it.
    allow_http_issuers: bool = True
    # How did:web DIDs are fetched; None means the scheme of the service the offer came from.
    service_scheme: Literal["http", "https"] | None = None
    secret: SecretStr | None = None
    # How long a fetched status list is reused before it is fetched again (the list page reloads often).
    status_cache_seconds: int = Field(default=60, ge=0)
    http_timeout_seconds: float = Field(default=10.0, gt=0)
    # Uploaded pictures of a QR code larger than this are refused before decoding.
    max_upload_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)

    @property
    def database_path(self) -> Path:
        return self.database or self.var_dir / "wallet_demo.db"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise WalletSecretError("the wallet secret is not base64url") from exc


def _secret_from_file(var_dir: Path) -> str:
    """The secret in ``var_dir/wallet.secret``, created (0600, exclusive) on first use."""
    path = var_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_wallet_secret(settings: WalletSettings) -> bytes:
    """The 32-byte wallet secret (environment first, else the var dir's file)."""
    text = settings.secret.get_secret_value() if settings.secret else _secret_from_file(settings.var_dir)
    secret = _decode(text)
    if len(secret) != 32:
        raise WalletSecretError("the wallet secret must be 32 bytes, base64url-encoded")
    return secret
