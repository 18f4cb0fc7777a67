"""``skills-vc trust-list export``, ``certificate`` and ``verify-qr`` on the demo database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from skills_vc.cli import app
from skills_vc.core import keys

ROOT = Path(__file__).resolve().parents[2]


def test_export_print_and_verify_offline(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["demo"]).exit_code == 0
    demo = json.loads((tmp_path / "var" / "demo-credentials.json").read_text())
    trust_file, operator_file = tmp_path / "trust.jwt", tmp_path / "operator.json"
    exported = cli.invoke(
        app, ["trust-list", "export", "-o", str(trust_file), "--operator-key-output", str(operator_file)]
    )
    assert exported.exit_code == 0, exported.output
    assert trust_file.read_text().count(".") == 2

    credential_id = demo["credentials"][0]
    pdf, png, svg = tmp_path / "c.pdf", tmp_path / "q.png", tmp_path / "q.svg"
    printed = [
        cli.invoke(
            app,
            [
                *("certificate", credential_id, "--association", a["slug"], "--lang", "nl", "-o", str(pdf)),
                *("--qr-png", str(png), "--qr-svg", str(svg)),
            ],
        )
        for a in demo["associations"]
    ]
    assert [r.exit_code for r in printed].count(0) == 1, [r.output for r in printed]
    assert "credential_not_found" in next(r.output for r in printed if r.exit_code == 2)
    assert pdf.read_bytes().startswith(b"%PDF-") and svg.read_bytes().lstrip().startswith(b"<?xml")

    for source in (png, pdf):
        result = cli.invoke(
            app,
            [
                *("verify-qr", "--image", str(source), "--trust-list", str(trust_file)),
                *("--operator-key", str(operator_file), "--lang", "nl"),
            ],
        )
        assert result.exit_code == 1, result.output  # status not checked offline: not "verified"
        assert "verdict: verified_status_not_checked" in result.output
        assert "Status offline niet gecontroleerd" in result.output

    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(keys.public_jwk(keys.generate_private_key("Ed25519"))))
    refused = cli.invoke(
        app,
        ["verify-qr", "--image", str(png), "--trust-list", str(trust_file), "--operator-key", str(foreign)],
    )
    assert refused.exit_code == 2
    assert "error: trust_list_foreign_signature" in refused.output
