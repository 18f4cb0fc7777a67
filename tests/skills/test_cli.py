"""``skills-vc map`` as a Typer command."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from skills_vc.cli_mapper import map_command
from skills_vc.services import mapping


@pytest.fixture(scope="module")
def app(bundle: mapping.MapperBundle) -> typer.Typer:
    cli = typer.Typer()
    cli.command("map")(map_command)

    @cli.command("noop")
    def _noop() -> None:  # a second command keeps "map" a sub-command
        pass

    return cli


def test_map_prints_a_ranked_list(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["map", "couture de masques en tissu", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert "language: fr" in result.output
    assert "  1. " in result.output
    assert "European Commission" in result.output


def test_map_json(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["map", "helpline calls", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert len(body["suggestions"]) == 3


def test_map_bad_language_is_a_clear_error(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["map", "masks", "--lang", "de"])
    assert result.exit_code == 2
    assert "unsupported_language" in result.output
