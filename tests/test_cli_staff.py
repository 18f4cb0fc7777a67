"""``skills-vc staff`` and the demo's portal accounts: created on the command line, then signed in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from skills_vc.api.app import create_app
from skills_vc.cli import app
from skills_vc.config import get_settings

PASSWORD = "a long enough pass phrase"


@pytest.fixture
def web(cli: CliRunner) -> Iterator[TestClient]:
    """The application on the command line's database, once the demo is loaded."""
    loaded = cli.invoke(app, ["demo"])
    assert loaded.exit_code == 0, loaded.output
    with TestClient(create_app(get_settings())) as client:
        yield client


def _sign_in(client: TestClient, email: str, password: str) -> int:
    client.cookies.clear()
    response = client.post(
        "/portal/login", data={"email": email, "password": password}, follow_redirects=False
    )
    return response.status_code


def test_staff_add_list_and_disable(cli: CliRunner, web: TestClient) -> None:
    added = cli.invoke(
        app,
        [
            "staff",
            "add",
            "voedselhulp-gent",
            "--email",
            "Jan@Voedselhulp.example",
            "--name",
            "Jan Peeters",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "jan@voedselhulp.example (Jan Peeters) for voedselhulp-gent" in added.output
    assert PASSWORD not in added.output
    assert _sign_in(web, "jan@voedselhulp.example", PASSWORD) == 303
    assert _sign_in(web, "jan@voedselhulp.example", PASSWORD + "x") == 403

    prompted = cli.invoke(
        app,
        ["staff", "add", "voedselhulp-gent", "--email", "an@voedselhulp.example", "--name", "An"],
        input=f"{PASSWORD}2\n{PASSWORD}2\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert f"{PASSWORD}2" not in prompted.output  # the prompt does not echo
    assert _sign_in(web, "an@voedselhulp.example", PASSWORD + "2") == 303

    listed = cli.invoke(app, ["staff", "list", "voedselhulp-gent"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [
        "an@voedselhulp.example",
        "coordinator@voedselhulp-gent.example",
        "jan@voedselhulp.example",
    ]
    assert all("\tactive\t" in line for line in lines)
    assert "last sign-in: never" not in lines[2]

    disabled = cli.invoke(app, ["staff", "disable", "JAN@voedselhulp.example"])
    assert disabled.exit_code == 0, disabled.output
    assert _sign_in(web, "jan@voedselhulp.example", PASSWORD) == 403
    after = cli.invoke(app, ["staff", "list", "voedselhulp-gent"]).output
    assert "jan@voedselhulp.example\tJan Peeters\tdisabled" in after


def test_staff_errors_are_clear(cli: CliRunner, web: TestClient) -> None:
    weak = cli.invoke(
        app,
        [
            "staff",
            "add",
            "voedselhulp-gent",
            "--email",
            "x@voedselhulp.example",
            "--name",
            "X",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert weak.exit_code == 2 and "weak_password" in weak.output
    taken = cli.invoke(
        app,
        [
            "staff",
            "add",
            "digital-for-all",
            "--email",
            "coordinator@voedselhulp-gent.example",
            "--name",
            "X",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert taken.exit_code == 2 and "staff_email_taken" in taken.output
    unknown = cli.invoke(
        app,
        ["staff", "add", "nobody-here", "--email", "y@example.org", "--name", "Y", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert unknown.exit_code == 2 and "association_not_found" in unknown.output
    missing = cli.invoke(app, ["staff", "disable", "nobody@example.org"])
    assert missing.exit_code == 2 and "staff_not_found" in missing.output
    mismatch = cli.invoke(
        app,
        ["staff", "add", "voedselhulp-gent", "--email", "z@voedselhulp.example", "--name", "Z"],
        input=f"{PASSWORD}\n{PASSWORD}x\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert mismatch.exit_code == 0, mismatch.output  # asked again until both entries match
    assert _sign_in(web, "z@voedselhulp.example", PASSWORD) == 303


def test_the_demo_accounts_sign_in(cli: CliRunner, tmp_path: Path, web: TestClient) -> None:
    demo = json.loads((tmp_path / "var" / "demo-credentials.json").read_text())
    slugs = {a["slug"] for a in demo["associations"]}
    accounts = demo["staff_accounts"]
    assert {a["association"] for a in accounts} == slugs
    for account in accounts:
        slug = account["association"]
        assert account["email"] == f"coordinator@{slug}.example"
        assert account["password"] == f"demo-{slug}-2020"
        assert _sign_in(web, account["email"], account["password"]) == 303
    # Running the demo again keeps the accounts (and prints how to sign in).
    again = cli.invoke(app, ["demo"])
    assert again.exit_code == 0, again.output
    for account in accounts:
        assert f"portal sign-in (demo only): {account['email']} / {account['password']}" in again.output
        assert _sign_in(web, account["email"], account["password"]) == 303
    listed = cli.invoke(app, ["staff", "list", "digital-for-all"]).output.strip().splitlines()
    assert len(listed) == 1


def test_demo_accounts_are_refused_in_production(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLS_VC_MODE", "production")
    monkeypatch.setenv("SKILLS_VC_MASTER_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
    monkeypatch.setenv("SKILLS_VC_OPERATOR_KEY", "a-production-operator-key-of-some-length")
    monkeypatch.setenv("SKILLS_VC_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    get_settings.cache_clear()
    refused = cli.invoke(app, ["demo"])
    assert refused.exit_code == 2
    assert "demo_in_production" in refused.output
    assert not (tmp_path / "prod.db").exists()  # not even migrated
