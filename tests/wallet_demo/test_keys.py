"""The holder key: created on first use, sealed at rest, refused with a clear error under another secret."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from tests.wallet_demo.builders import OTHER_SECRET
from tests.wallet_demo.conftest import wallet_settings
from wallet_demo.config import SECRET_FILE, WalletSecretError, load_wallet_secret
from wallet_demo.keys import WalletKeyError, proof_jwt
from wallet_demo.remote import Remote
from wallet_demo.store import Store
from wallet_demo.wallet import Wallet


def _wallet(tmp_path: Path, **settings: object) -> Wallet:
    config = wallet_settings(tmp_path, **settings)
    remote = Remote(
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404))), allow_http=True
    )
    return Wallet(
        config, Store(config.database_path), load_wallet_secret(config), remote, lambda: datetime.now(UTC)
    )


def _private_bytes(key: Any) -> list[bytes]:
    """The private key's secret in every form it could leak in: raw scalar/seed and PKCS#8 DER."""
    forms = []
    if isinstance(key, ec.EllipticCurvePrivateKey):
        forms.append(key.private_numbers().private_value.to_bytes(32, "big"))
    else:
        raw = (serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        forms.append(key.private_bytes(*raw))
    der = (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    forms.append(key.private_bytes(*der))
    return forms


@pytest.mark.parametrize(("key_type", "kty"), [("P-256", "EC"), ("Ed25519", "OKP")])
def test_key_created_once_and_encrypted_at_rest(tmp_path: Path, key_type: str, kty: str) -> None:
    wallet = _wallet(tmp_path, key_type=key_type)
    holder = wallet.holder_key()
    assert holder.public_jwk["kty"] == kty
    assert wallet.holder_key().kid == holder.kid  # the same key the second time
    db = wallet.settings.database_path.read_bytes()
    for secret_form in _private_bytes(holder.private_key):
        assert secret_form not in db
    assert holder.kid.encode() in db  # the row is there, only the private part is sealed


def test_default_key_type_is_p256(tmp_path: Path) -> None:
    assert _wallet(tmp_path).holder_key().algorithm == "ES256"


def test_wrong_secret_is_a_clear_error(tmp_path: Path) -> None:
    _wallet(tmp_path).holder_key()
    other = _wallet(tmp_path, secret=OTHER_SECRET)
    with pytest.raises(WalletKeyError, match="wallet secret") as caught:
        other.holder_key()
    assert caught.value.code == "wallet_key"
    with pytest.raises(WalletKeyError):
        other.check_secret()


def test_secret_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    settings = wallet_settings(tmp_path, secret=None)
    first = load_wallet_secret(settings)
    path = settings.var_dir / SECRET_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_wallet_secret(settings) == first and len(first) == 32


def test_bad_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WalletSecretError, match="32 bytes"):
        load_wallet_secret(wallet_settings(tmp_path, secret="c2hvcnQ"))


def test_secret_is_not_in_the_settings_repr(tmp_path: Path) -> None:
    settings = wallet_settings(tmp_path)
    assert settings.secret is not None
    assert settings.secret.get_secret_value() not in repr(settings)


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # joserfc follows RFC 9864; OpenID4VCI says EdDSA
@pytest.mark.parametrize("key_type", ["P-256", "Ed25519"])
def test_proof_jwt_verifies_with_an_independent_library(tmp_path: Path, key_type: str) -> None:
    holder = _wallet(tmp_path, key_type=key_type).holder_key()
    token = proof_jwt(holder, audience="https://issuer.test/issuers/a", nonce="n-1", now=1767225600)
    key = (ECKey if key_type == "P-256" else OKPKey).import_key(holder.public_jwk)
    algorithms = ["ES256"] if key_type == "P-256" else ["EdDSA"]
    obj = jws.deserialize_compact(token, key, algorithms=algorithms)  # raises unless r||s / Ed25519 verify
    assert obj.protected["typ"] == "openid4vci-proof+jwt"
    assert obj.protected["jwk"] == holder.public_jwk
    assert b'"nonce":"n-1"' in obj.payload and b'"aud":"https://issuer.test/issuers/a"' in obj.payload
