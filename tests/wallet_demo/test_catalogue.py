"""Every word the pages show exists in French and Dutch, and every error code has a message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wallet_demo.__main__ import main
from wallet_demo.catalogue import ERRORS, MESSAGES
from wallet_demo.i18n import error_message, translator

PACKAGE = Path(__file__).resolve().parents[2] / "wallet_demo"
# ``_("…")`` in templates, ``translator(lang)("…")`` in Python.
_CALL = re.compile(r"""(?:(?<![\w.])_|translator\(\w+\))\(\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')""")
_CODE = re.compile(r"""(?:WalletError|OfferError|RequestError)\(\s*"(\w+)\"""")


def _sources() -> list[Path]:
    return [*PACKAGE.glob("templates/*.html"), PACKAGE / "pages.py", PACKAGE / "claim_labels.py"]


def test_every_shown_text_is_translated() -> None:
    used = {a or b for path in _sources() for a, b in _CALL.findall(path.read_text())}
    assert used, "no translatable text found: the pattern is wrong"
    missing = sorted(text for text in used if text not in MESSAGES)
    assert not missing
    assert sorted(set(MESSAGES) - used) == []  # no stale entries
    for text in used:
        fr, nl = MESSAGES[text]
        assert fr.strip() and nl.strip()
        assert re.findall(r"%\(\w+\)s", fr) == re.findall(r"%\(\w+\)s", text) == re.findall(r"%\(\w+\)s", nl)


def test_every_error_code_has_a_message_in_three_languages() -> None:
    codes = {code for path in PACKAGE.glob("*.py") for code in _CODE.findall(path.read_text())}
    codes |= {"wrong_tx_code", "offer_expired", "offer_used", "offer_locked", "offer_not_found", "not_found"}
    codes |= {"request_qr_not_found", "request_not_found", "request_refused", "verifier_refused"}
    assert codes - set(ERRORS) == set()
    for code in ERRORS:
        assert len({error_message(code, lang) for lang in ("fr", "nl", "en")}) == 3


def test_parameters_are_filled_in() -> None:
    assert translator("nl")("%(issuer)s offers you:", issuer="X") == "X biedt u aan:"
    assert translator("en")("%(issuer)s offers you:", issuer="X") == "X offers you:"


def test_command_line_stops_on_a_wrong_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WALLET_DEMO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("WALLET_DEMO_SECRET", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    from wallet_demo.app import create_app

    create_app().state.wallet.holder_key()
    monkeypatch.setenv("WALLET_DEMO_SECRET", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE")
    assert main(["--port", "8999"]) == 2
    error = capsys.readouterr().err
    assert "cannot be decrypted with this wallet secret" in error
    assert "AQEBAQEB" not in error  # the secret itself is never printed
