"""``skills_vc.core.skills`` stays pure: no web framework, database, HTTP client or clock."""

from __future__ import annotations

import ast
from pathlib import Path

import skills_vc.core.skills as package

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "httpx", "os", "time", "datetime", "pathlib")


def test_core_skills_imports_nothing_impure() -> None:
    root = Path(package.__file__).parent
    offending = []
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offending += [(path.name, n) for n in names if n.split(".")[0] in FORBIDDEN]
    assert offending == []
