"""Private keys never leave the platform: not in responses, not in logs, and encrypted at rest."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from skills_vc.core.keys import SealedKey, b64url, open_sealed
from tests.conftest import MASTER_KEY, Platform


def _private_material(platform: Platform, slug: str) -> list[str]:
    """Every text form the association's private key could leak in."""
    key = platform.signer(slug).key
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    forms = [b64url(der), base64.b64encode(der).decode(), der.hex(), pem.splitlines()[1]]
    try:
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        forms += [b64url(raw), raw.hex()]
    except ValueError:  # EC keys have no raw form; their scalar is the JWK "d"
        numbers = key.private_numbers()  # type: ignore[union-attr]
        forms.append(b64url(numbers.private_value.to_bytes(32, "big")))
    return forms


def test_private_keys_never_in_responses_or_logs(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    secrets: list[str] = []
    ed = platform.register("keys-ed")
    es = platform.register("keys-es", key_type="P-256")
    for asbl in (ed, es):
        secrets += _private_material(platform, asbl["slug"])
        issued = platform.issue(asbl)
        bodies.append(json.dumps(issued))
        for url in (
            f"/associations/{asbl['slug']}",
            f"/issuers/{asbl['slug']}/did.json",
            "/associations",
            "/credentials",
            "/openapi.json",
        ):
            bodies.append(platform.client.get(url, headers=asbl["headers"]).text)
        bodies.append(
            platform.client.post(
                f"/associations/{asbl['slug']}/keys/rotate", json={}, headers=asbl["headers"]
            ).text
        )
        secrets += _private_material(platform, asbl["slug"])
        bodies.append(json.dumps(platform.issue(asbl)))
        bodies.append(
            platform.client.get(
                issued["status_lists"]["revocation"].removeprefix("https://skills-vc.test")
            ).text
        )
        bodies.append(json.dumps(platform.verify(issued["jwt"])[1]))
    everything = "\n".join(bodies) + "\n" + caplog.text
    assert len(secrets) >= 20
    for form in secrets:
        assert form not in everything
    for document in (json.loads(b) for b in bodies if b.startswith("{")):
        assert '"d":' not in json.dumps(document)


def test_private_keys_are_encrypted_in_the_database(platform: Platform) -> None:
    asbl = platform.register("at-rest")
    signer = platform.signer("at-rest")
    der = signer.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    raw = signer.key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    engine = platform.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows: list[Any] = conn.execute(
            text("SELECT fragment, private_nonce, private_ciphertext FROM association_keys")
        ).all()
    assert len(rows) == 1
    fragment, nonce, ciphertext = rows[0]
    ciphertext = bytes(ciphertext)
    assert der not in ciphertext and raw not in ciphertext
    assert len(ciphertext) == len(der) + 16  # AES-GCM: same length plus the tag
    master = base64.urlsafe_b64decode(MASTER_KEY + "=")
    kid = f"{asbl['did']}#{fragment}"
    assert (
        open_sealed(SealedKey(bytes(nonce), ciphertext), master, kid).private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        == raw
    )
    with pytest.raises(InvalidTag):
        open_sealed(SealedKey(bytes(nonce), ciphertext), bytes(32), kid)
    with pytest.raises(InvalidTag):  # bound to its key id: it cannot be moved to another key
        open_sealed(SealedKey(bytes(nonce), ciphertext), master, kid + "x")


def test_wrong_master_key_is_a_clear_error(platform: Platform) -> None:
    asbl = platform.register()
    activity = platform.activity(asbl)
    platform.client.app.state.master_key = bytes(32)  # type: ignore[attr-defined]
    response = platform.client.post(f"/activities/{activity['id']}/credentials", headers=asbl["headers"])
    assert response.status_code == 500
    assert response.json()["error"] == "master_key_mismatch"
    platform.client.app.state.master_key = base64.urlsafe_b64decode(MASTER_KEY + "=")  # type: ignore[attr-defined]
    assert platform.client.get("/credentials", headers=asbl["headers"]).json() == []
