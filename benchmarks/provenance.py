"""Where benchmark results go and what they record about the machine and code that made them."""

from __future__ import annotations

import csv
import dataclasses
import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ortools

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
# The benchmark data lives next to the repository, not in it.
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "benchmarks"


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def machine() -> dict[str, str | int | None]:
    return {
        "python": platform.python_version(),
        "ortools": ortools.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "commit": _git_commit(),
    }


def write_csv(path: Path, rows: Sequence[Any]) -> None:
    """One line per dataclass instance of `rows` (at least one), its fields as the header."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(dataclasses.asdict(rows[0])))
        writer.writeheader()
        writer.writerows(dataclasses.asdict(row) for row in rows)


def shown(path: Path) -> str:
    """A path relative to the repository when it is inside it, so no machine path is printed."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return result.stdout.strip() + ("+dirty" if dirty else "")
