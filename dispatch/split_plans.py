"""Plan jobs for big days: the day split per depot (and zone), its parts solved side by side.

One OR-Tools search uses one core, and its local search slows down faster than the day grows:
at 1,000 stops the first descent does not even finish within a minute. Parts of a few hundred
stops solved in parallel finish theirs. The stitched plan is validated against the whole day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import routing
from infra.settings import PlanningSettings
from routing.split_solve import StitchError, solve_split

log = logging.getLogger(__name__)

# Called with the fraction done; answers None to go on, or why the job stops.
StillWanted = Callable[[float], str | None]


@dataclass(frozen=True, slots=True)
class SplitConfig:
    # Days with more visits than this are split; None never splits.
    above_visits: int | None = 500
    # A depot with more visits than this is cut into zones of about this many.
    zone_visits: int = 250
    # Parts solved at once; None: one per core.
    workers: int | None = None

    @classmethod
    def from_settings(cls, planning: PlanningSettings) -> SplitConfig:
        return cls(
            above_visits=planning.split_above_visits if planning.split else None,
            zone_visits=planning.split_zone_visits,
            workers=planning.split_workers,
        )

    def applies(self, problem: routing.Problem) -> bool:
        return self.above_visits is not None and len(problem.visits) > self.above_visits


class _Stopped(Exception):
    """The job is no longer wanted (server stopping, deadline, lease lost)."""


def solve_split_job(
    problem: routing.Problem,
    time_limit_s: float,
    config: SplitConfig,
    still_wanted: StillWanted,
) -> routing.Solution | str:
    """The stitched, validated plan, or why there is none. `still_wanted` is asked with the
    parts' combined progress every half second; parts under way when it says stop run out
    their time limit in the pool's processes, which then end."""

    def progress(fraction: float) -> None:
        reason = still_wanted(fraction)
        if reason is not None:
            raise _Stopped(reason)

    try:
        return solve_split(
            problem,
            time_limit_s=time_limit_s,
            max_visits=config.zone_visits,
            workers=config.workers,
            progress=progress,
        )
    except _Stopped as stopped:
        return str(stopped)
    except routing.NoPlanInTime as exc:
        return f"the solver found no plan in time: {exc}"
    except routing.InvalidProblem as exc:
        return f"the planning problem is malformed: {exc}"
    except StitchError as exc:
        log.error("a split plan did not stitch into a valid plan: %s", exc)
        return f"the parts of the split day did not make a valid plan: {exc}"
