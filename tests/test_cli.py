"""The command line, run as the README shows it, on a fresh SQLite database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from skills_vc.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_demo_issue_verify_revoke(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    demo = json.loads((tmp_path / "var" / "demo-credentials.json").read_text())
    assert (tmp_path / "var" / "demo-credentials.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "var" / "master.key").stat().st_mode & 0o777 == 0o600
    assert {a["slug"] for a in demo["associations"]} == {
        "couturieres-solidaires",
        "voedselhulp-gent",
        "digital-for-all",
    }
    assert all(
        a["api_key"].startswith("svc_") and a["did"].startswith("did:web:") for a in demo["associations"]
    )
    assert len(demo["credentials"]) == 3

    issued = cli.invoke(
        app,
        ["issue", "--association", "couturieres-solidaires", "--credential", "docs/examples/credential.json"],
    )
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip()
    assert token.count(".") == 2

    verified = cli.invoke(app, ["verify", token, "--lang", "nl"])
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("GEVERIFIEERD")

    payload = json.loads(cli.invoke(app, ["verify", token, "--json"]).output)
    credential_id = payload["credential"]["id"]
    revoked = cli.invoke(
        app,
        ["revoke", credential_id, "--association", "couturieres-solidaires", "--reason", "issued in error"],
    )
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output.strip().endswith("revoked")

    after = cli.invoke(app, ["verify", token, "--lang", "fr"])
    assert after.exit_code == 1
    assert after.output.startswith("NON VÉRIFIÉE")
    assert re.search(r"status: L'association a révoqué cette attestation", after.output)

    # Running the demo again is safe: the same associations, fresh API keys.
    again = cli.invoke(app, ["demo"])
    assert again.exit_code == 0, again.output
    renewed = json.loads((tmp_path / "var" / "demo-credentials.json").read_text())
    assert renewed["associations"][0]["slug"] == demo["associations"][0]["slug"]
    assert renewed["associations"][0]["api_key"] != demo["associations"][0]["api_key"]


def test_cli_errors_are_clear(cli: CliRunner) -> None:
    assert cli.invoke(app, ["demo"]).exit_code == 0
    unknown = cli.invoke(
        app, ["revoke", "urn:uuid:nope", "--association", "couturieres-solidaires", "--reason", "x"]
    )
    assert unknown.exit_code == 2
    assert "credential_not_found" in unknown.output
    both = cli.invoke(app, ["issue", "--association", "couturieres-solidaires"])
    assert both.exit_code == 2
    garbage = cli.invoke(app, ["verify", "not-a-credential"])
    assert garbage.exit_code == 1
    assert "malformed_credential" in garbage.output or "unsupported_format" in garbage.output


def test_production_mode_refuses_missing_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from skills_vc.config import Settings

    monkeypatch.setenv("SKILLS_VC_MODE", "production")
    with pytest.raises(ValidationError, match="SKILLS_VC_MASTER_KEY"):
        Settings()
    monkeypatch.setenv("SKILLS_VC_MASTER_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY")
    monkeypatch.setenv("SKILLS_VC_OPERATOR_KEY", "short")
    monkeypatch.setenv("SKILLS_VC_DATABASE_URL", "postgresql+psycopg://x@localhost/y")
    with pytest.raises(ValidationError, match="at least 24"):
        Settings()
    monkeypatch.setenv("SKILLS_VC_OPERATOR_KEY", "a-long-enough-operator-key-123")
    assert Settings().mode == "production"


def _readme_cli_lines() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    block = text.split("The same from the command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def test_readme_command_lines_work_as_written(cli: CliRunner, tmp_path: Path) -> None:
    """Runs the README's command-line example line by line (only the output file is moved)."""
    import shlex

    lines = _readme_cli_lines()
    assert [shlex.split(line)[1] for line in lines] == ["demo", "issue", "verify", "revoke"]
    out_file = tmp_path / "vc.jwt"
    credential_id = ""
    for line in lines:
        line = line.replace("/tmp/vc.jwt", str(out_file)).replace("urn:uuid:<id>", credential_id)
        words = shlex.split(line.split(" > ")[0])
        assert words[0] == ".venv/bin/skills-vc"
        result = cli.invoke(app, words[1:])
        assert result.exit_code == 0, (line, result.output)
        if " > " in line:
            out_file.write_text(result.output)
            payload = json.loads(cli.invoke(app, ["verify", str(out_file), "--json"]).output)
            credential_id = payload["credential"]["id"]
    final = cli.invoke(app, ["verify", str(out_file)])
    assert final.exit_code == 1 and "revoked" in final.output


def test_verify_reads_an_sd_jwt_vc_from_a_wallet(cli: CliRunner, tmp_path: Path) -> None:
    """An SD-JWT VC issued to a wallet (OpenID4VCI services on the CLI's database) verifies on the
    command line with the disclosures check; one with a disclosure it never signed does not."""
    from skills_vc.cli_support import service_context
    from skills_vc.services import associations, wallet_issuance, wallet_offers
    from skills_vc.store.credentials import list_of
    from tests.api.wallet_support import Holder

    assert cli.invoke(app, ["demo"]).exit_code == 0
    holder = Holder()
    with service_context() as ctx:
        association = associations.get(ctx, "couturieres-solidaires")
        credential = list_of(ctx.session, association.id, limit=1, offset=0)[0]
        offer = wallet_offers.create_offer(ctx, association, credential.id, actor="test")
        code = wallet_offers.offer_document(ctx, association.slug, offer.offer_id)["grants"][
            wallet_offers.PRE_AUTHORIZED_GRANT
        ]["pre-authorized_code"]
        access = wallet_offers.token(
            ctx,
            association.slug,
            grant_type=wallet_offers.PRE_AUTHORIZED_GRANT,
            code=code,
            tx_code=offer.tx_code,
        )["access_token"]
        nonce = wallet_offers.new_nonce(ctx, association.slug)["c_nonce"]
        proof = holder.proof(
            aud=associations.issuer_url(ctx, association), nonce=nonce, iat=int(ctx.now().timestamp())
        )
        answer = wallet_issuance.issue_to_wallet(
            ctx,
            association.slug,
            access,
            {"credential_configuration_id": wallet_offers.CONFIG_SD_JWT, "proofs": {"jwt": [proof]}},
        )
    sd_jwt = answer["credentials"][0]["credential"]
    path = tmp_path / "vc.sd-jwt"
    path.write_text(sd_jwt)
    result = cli.invoke(app, ["verify", str(path), "--lang", "nl", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["format"] == "dc+sd-jwt"
    assert [c["check"] for c in report["checks"]][:2] == ["signature", "disclosures"]
    forged = sd_jwt + "WyJzYWx0c2FsdHNhbHQiLCAiYWRtaW4iLCB0cnVlXQ~"
    path.write_text(forged)
    refused = cli.invoke(app, ["verify", str(path), "--lang", "en"])
    assert refused.exit_code == 1 and "not signed by the issuer" in refused.output
