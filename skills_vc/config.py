"""Settings: the only module that reads the environment (prefix ``SKILLS_VC_``).

Development mode generates what it needs (a master key in ``var/`` with mode 0600, the SQLite
database in ``var/``). Production mode refuses to start without an explicit master key and
operator key, so a deployment never runs on generated or default secrets.

Both secrets can be rotated without stopping the service: the keys they replace stay accepted
while they are listed in ``SKILLS_VC_PREVIOUS_MASTER_KEYS`` and ``SKILLS_VC_PREVIOUS_OPERATOR_KEYS``
(private keys sealed under a previous master key still open; new ones are sealed under the current).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, IPvAnyNetwork, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings", "get_settings", "load_master_key", "load_operator_key"]

_MASTER_KEY_FILE = "master.key"
_OPERATOR_KEY_FILE = "operator.key"


class Settings(BaseSettings):
    # Validation errors never echo their input: it holds the secrets, and errors end up in logs.
    model_config = SettingsConfigDict(
        env_prefix="SKILLS_VC_", env_file=None, extra="ignore", hide_input_in_errors=True
    )

    mode: Literal["development", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str | None = None
    # The public base URL; the host (and port) become part of every association's did:web.
    public_url: str = "http://127.0.0.1:8000"
    # Where status lists are published, when a CDN serves them (default: <public_url>/status-lists).
    status_list_base_url: str | None = None
    # 32 bytes, base64url; production must set it.
    master_key: str | None = None
    operator_key: str | None = None
    # During a rotation, the keys being replaced (newest first): a JSON list or comma-separated.
    # Private keys sealed under one of these still open; every new seal uses the current key.
    # The operator API accepts the previous operator keys as well as the current one.
    previous_master_keys: Annotated[list[str], NoDecode] = []
    previous_operator_keys: Annotated[list[str], NoDecode] = []
    default_key_type: Literal["Ed25519", "P-256"] = "Ed25519"
    status_list_size: int = Field(default=131_072, ge=131_072)
    status_list_ttl_ms: int = Field(default=300_000, ge=0)
    # Open Badges 3.0 allows one credentialStatus; both purposes make it a VC 2.0 set of two.
    status_purposes: list[Literal["revocation", "suspension"]] = ["revocation", "suspension"]
    credential_validity_days: int | None = None
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    # How long a fetched status list may be reused by the verifier before it is fetched again.
    status_cache_seconds: int = Field(default=300, ge=0)
    # How long a process may go on verifying with the registry and this platform's status lists
    # it holds in memory before it checks whether another process changed them (a revocation made
    # by another worker is seen within this bound; one made by the same process at once).
    verify_cache_seconds: float = Field(default=2.0, ge=0, le=300)
    # Fetching a status list hosted elsewhere: one deadline for the whole fetch (DNS, connect, TLS,
    # every read) and a cap on the body, counted while it streams. Only public addresses on ports
    # 80 and 443 are fetched, so a credential cannot make the service call into its own network.
    # Networks listed here (CIDRs, JSON in the environment: '["10.20.0.0/16"]') are trusted with
    # any address kind and port: a list of networks rather than an on/off switch, so opening an
    # internal CDN does not open the whole internal network (tests list 127.0.0.0/8).
    status_fetch_deadline_seconds: float = Field(default=5.0, gt=0, le=60)
    status_fetch_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    status_fetch_allowed_networks: list[IPvAnyNetwork] = []
    # OpenID4VCI: how long a credential offer, an access token and a c_nonce live, and how many
    # wrong transaction codes burn an offer.
    offer_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    access_token_ttl_seconds: int = Field(default=600, ge=30)
    nonce_ttl_seconds: int = Field(default=300, ge=30)
    tx_code_attempts: int = Field(default=5, ge=1, le=20)
    # OpenID4VP: how long a counsellor's request waits for the wallet, and how long after it was
    # made the request and the answer are kept before they are forgotten.
    presentation_request_ttl_seconds: int = Field(default=600, ge=60)
    presentation_keep_seconds: int = Field(default=1800, ge=60)
    # The demo wallet (``make wallet``), when pages should link to it for a wallet on the same
    # device: it registers no openid4vp:// or openid-credential-offer:// handler. ``make run`` sets it.
    demo_wallet_url: str | None = None
    # Log lines as JSON objects (one a line) or plain text; default: JSON in production, plain
    # text in development. No line carries a path, a query string, a body or a header but the
    # request id (skills_vc/api/logs.py).
    log_format: Literal["json", "plain"] | None = None
    # GET /metrics asks for ``Authorization: Bearer <token>`` when this is set; without it the
    # metrics are open in development and not served at all in production.
    metrics_token: str | None = Field(default=None, min_length=24)
    # prometheus-client's own variable (no SKILLS_VC_ prefix): the directory where each worker
    # process writes its counts, so that /metrics adds up every worker's.
    prometheus_multiproc_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")
    )

    @field_validator("previous_master_keys", "previous_operator_keys", mode="before")
    @classmethod
    def _key_list(cls, value: Any) -> Any:
        """A JSON list, or keys separated by commas (base64url keys hold none)."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]

    @model_validator(mode="after")
    def _check_previous_keys(self) -> Settings:
        # A key is named by its position, never shown.
        current = _decode_key(self.master_key) if self.master_key else None
        for position, text in enumerate(self.previous_master_keys, start=1):
            key = _decode_key(text)
            if key is None or len(key) != 32:
                raise ValueError(
                    f"SKILLS_VC_PREVIOUS_MASTER_KEYS: key {position} must be 32 bytes, base64url-encoded"
                )
            if key == current:
                # Most likely the new key pasted twice: the key being replaced would be missing.
                raise ValueError(f"SKILLS_VC_PREVIOUS_MASTER_KEYS: key {position} is the current master key")
        for position, text in enumerate(self.previous_operator_keys, start=1):
            if text == self.operator_key:
                raise ValueError(
                    f"SKILLS_VC_PREVIOUS_OPERATOR_KEYS: key {position} is the current operator key"
                )
        return self

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.mode == "production":
            missing = [
                name
                for name, value in (
                    ("SKILLS_VC_MASTER_KEY", self.master_key),
                    ("SKILLS_VC_OPERATOR_KEY", self.operator_key),
                    ("SKILLS_VC_DATABASE_URL", self.database_url),
                )
                if not value
            ]
            if missing:
                raise ValueError("production mode refuses to start without " + ", ".join(missing))
            if self.operator_key is not None and len(self.operator_key) < 24:
                raise ValueError("SKILLS_VC_OPERATOR_KEY must be at least 24 characters")
            # A key still accepted is as good as the current one: the same rule applies to it.
            for position, text in enumerate(self.previous_operator_keys, start=1):
                if len(text) < 24:
                    raise ValueError(
                        f"SKILLS_VC_PREVIOUS_OPERATOR_KEYS: key {position} must be at least 24 characters"
                    )
        return self

    @property
    def previous_master_key_bytes(self) -> tuple[bytes, ...]:
        """The previous master keys, decoded (each checked to be 32 bytes when the settings loaded)."""
        return tuple(_b64decode(text) for text in self.previous_master_keys)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'skills_vc.db').as_posix()}"

    @property
    def resolved_status_list_base_url(self) -> str:
        return (self.status_list_base_url or self.public_url.rstrip("/") + "/status-lists").rstrip("/")

    @property
    def public_host(self) -> str:
        """``host`` or ``host:port`` of the public URL."""
        rest = self.public_url.split("://", 1)[-1]
        return rest.split("/", 1)[0]


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode_key(text: str) -> bytes | None:
    try:
        return _b64decode(text)
    except (binascii.Error, ValueError):
        return None


def _development_secret(settings: Settings, filename: str) -> str:
    """A secret generated once into ``var/`` (mode 0600) for development; production never uses it."""
    if settings.mode == "production":  # pragma: no cover - the validator already refused it
        raise ValueError(f"production mode needs an explicit secret instead of var/{filename}")
    path = settings.var_dir / filename
    if path.exists():
        return path.read_text().strip()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_master_key(settings: Settings) -> bytes:
    """The 32-byte key that encrypts private keys at rest (generated into var/ in development)."""
    key = _b64decode(settings.master_key or _development_secret(settings, _MASTER_KEY_FILE))
    if len(key) != 32:
        raise ValueError("SKILLS_VC_MASTER_KEY must be 32 bytes, base64url-encoded")
    return key


def load_operator_key(settings: Settings) -> str:
    """The platform operator's API key (generated into var/ in development)."""
    return settings.operator_key or _development_secret(settings, _OPERATOR_KEY_FILE)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
