"""Interop tests need Node.js and the pinned npm packages (``make test`` installs them).

With ``SKILLS_VC_REQUIRE_INTEROP=1`` (set by .ci/run) a missing tool fails the run instead of
skipping, so CI can never pass without the independent verifiers having run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent


def _unavailable(reason: str) -> None:
    if os.environ.get("SKILLS_VC_REQUIRE_INTEROP") == "1":
        pytest.fail(f"interop verifier unavailable: {reason}")
    pytest.skip(reason)


def run_node(payload: dict[str, Any]) -> dict[str, Any]:
    return run_script("verify.mjs", payload)


def run_script(script: str, payload: dict[str, Any], *, timeout: float = 60) -> dict[str, Any]:
    """Run ``tests/interop/<script>`` with ``payload`` as JSON on stdin; its stdout is JSON.

    Skips (or fails under ``SKILLS_VC_REQUIRE_INTEROP=1``) when Node.js or any npm package of
    package.json is missing.
    """
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed")
    dependencies = json.loads((HERE / "package.json").read_text())["dependencies"]
    missing = [name for name in dependencies if not (HERE / "node_modules" / name / "package.json").is_file()]
    if missing:
        _unavailable(
            f"npm packages {', '.join(missing)} not installed"
            " (run `make test`, which runs npm ci in tests/interop)"
        )
    result = subprocess.run(
        [str(node), str(HERE / script)],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return dict(json.loads(result.stdout))
