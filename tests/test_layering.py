"""Imports flow one way: api -> domains -> infra; routing imports no project code.

Parses every module with `ast` (nothing is imported), so a wrong arrow fails here with the
file and line that draws it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = frozenset({"orders", "dispatch", "warehouse", "tracking", "customers", "reports"})
PROJECT = DOMAINS | {"api", "cli", "infra", "routing", "simulator"}
WEB = frozenset({"fastapi", "starlette", "uvicorn"})

# For each package: the project packages it may import (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "routing": frozenset(),
    "infra": frozenset(),
    "api": DOMAINS | {"infra"},
    "cli": PROJECT,
    # Like the CLI it may use project code (the planner's speed rules, the demo's logins), but
    # it plays the day over HTTP only, never through the database or the app's internals.
    "simulator": PROJECT - {"api", "cli"},
    **{domain: (DOMAINS - {domain}) | {"infra"} for domain in DOMAINS},
}
ALLOWED["dispatch"] |= {"routing"}
ALLOWED["tracking"] |= {"routing"}

# Outside libraries a package must not reach for.
FORBIDDEN_LIBRARIES: dict[str, frozenset[str]] = {
    "routing": WEB | {"sqlalchemy", "alembic", "pydantic", "pydantic_settings", "psycopg"},
    "infra": WEB,
    **dict.fromkeys(DOMAINS, WEB),
    "simulator": WEB | {"sqlalchemy", "alembic", "psycopg"},
}


def imported_top_levels(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def wrong_arrows(package: str) -> list[str]:
    allowed = ALLOWED[package] | {package}
    forbidden = FORBIDDEN_LIBRARIES.get(package, frozenset())
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, name in imported_top_levels(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if name in PROJECT and name not in allowed:
                problems.append(f"{where} imports {name}")
            if name in forbidden:
                problems.append(f"{where} imports the library {name}")
    return problems


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_only_down_the_layers(package):
    assert wrong_arrows(package) == []


def test_the_checker_sees_a_wrong_arrow(tmp_path, monkeypatch):
    (tmp_path / "routing").mkdir()
    (tmp_path / "routing" / "bad.py").write_text("import sqlalchemy\nfrom infra import db\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)

    assert wrong_arrows("routing") == [
        "routing/bad.py:1 imports the library sqlalchemy",
        "routing/bad.py:2 imports infra",
    ]
