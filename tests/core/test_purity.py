"""core/ stays pure: no web framework, database, HTTP client or clock reads."""

import ast
from pathlib import Path

import skills_vc.core

FORBIDDEN_MODULES = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "httpx",
    "requests",
    "alembic",
    "uvicorn",
    "skills_vc.store",
    "skills_vc.services",
    "skills_vc.api",
    "skills_vc.config",
)
FORBIDDEN_CALLS = ("datetime.now", "datetime.utcnow", "time.time", "date.today", "os.getenv", "os.environ")


def _modules() -> list[Path]:
    return sorted(Path(skills_vc.core.__file__).parent.rglob("*.py"))


def test_core_imports_nothing_impure() -> None:
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith(FORBIDDEN_MODULES):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_core_reads_no_clock_or_environment() -> None:
    offenders = []
    for path in _modules():
        source = path.read_text("utf-8")
        offenders += [f"{path.name}: {call}" for call in FORBIDDEN_CALLS if call in source]
    assert offenders == []
