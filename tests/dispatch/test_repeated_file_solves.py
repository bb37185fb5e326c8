"""Solving the sample day again and again in one process gives a full plan every time."""

from __future__ import annotations

from pathlib import Path

import pytest

import routing
from dispatch.plan_files import read_plan_files

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Solves under a time limit: a first plan needs the CPU to itself.
pytestmark = pytest.mark.alone


def test_repeated_solves_with_breaks_in_one_process_serve_every_order() -> None:
    # Break transits are read by solver index; sized by node they were read out of bounds and
    # later solves in the same process left every order unserved.
    for _ in range(3):
        problem = read_plan_files(EXAMPLES / "orders.csv", EXAMPLES / "vehicles.csv").problem
        # Time enough for a first plan on a busy machine: the point is the repetition.
        solution = routing.solve(problem, time_limit_s=2.0, explain=False)
        assert routing.validate(problem, solution) == []
        assert not solution.unassigned
