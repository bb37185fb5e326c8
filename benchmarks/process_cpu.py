"""CPU time used by groups of processes: the processes of a session, those of a command name,
or one process, read from /proc/<pid>/stat (utime + stime). Linux only: elsewhere a snapshot
holds NaN for every group, and so do the cores derived from it.

Latencies on a shared machine swing with whatever else runs; the cores each party used while a
scenario ran say whether the server was saturated, and compare across runs.

Differences are taken process by process: a process that starts between two snapshots counts
all its CPU time, and one that exits between them takes the time it used in between with it
(its parent's cutime only gets it once reaped, and the parent may be in no group). Good enough
here: the API processes and the worker live for the whole run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
NAN = float("nan")


@dataclass(frozen=True)
class Members:
    """The processes a group counts: those of a session (its id is the pid of the process
    started with start_new_session), those whose command name (field 2 of stat) is `command`,
    or the process `pid`. A process counts when it matches any of the given ones."""

    session: int | None = None
    command: str | None = None
    pid: int | None = None

    def has(self, process: Process) -> bool:
        return (
            process.session == self.session
            or process.command == self.command
            or process.pid == self.pid
        )


@dataclass(frozen=True)
class CpuSnapshot:
    """Each group's live processes and their CPU seconds so far (pid -> seconds); None where
    CPU times cannot be read."""

    processes: dict[str, dict[int, float]] | None

    def seconds(self, group: str) -> float:
        """The group's CPU seconds so far: 0.0 when it holds no process (or is unknown), NaN
        where CPU times cannot be read."""
        if self.processes is None:
            return NAN
        return sum(self.processes.get(group, {}).values(), 0.0)


@dataclass(frozen=True)
class Process:
    pid: int
    command: str
    session: int
    nice: int
    cpu_s: float


def available() -> bool:
    """Whether CPU times can be read here (Linux's /proc)."""
    return (PROC / "self" / "stat").is_file()


def _parse(stat: str, tick_s: float) -> Process:
    # "pid (comm) state ppid pgrp session ... utime stime ...": the command name may hold
    # spaces and parentheses, so the fields after it are counted from its last ")".
    pid, _, rest = stat.partition(" (")
    command, _, after = rest.rpartition(") ")
    fields = after.split()
    # Fields 3 (state) onwards: session is field 6, utime 14, stime 15, nice 19.
    cpu_s = (int(fields[11]) + int(fields[12])) * tick_s
    return Process(int(pid), command, int(fields[3]), int(fields[16]), cpu_s)


def processes() -> list[Process]:
    """Every process this user can read, as its stat tells it now."""
    tick_s = 1 / os.sysconf("SC_CLK_TCK")
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            found.append(_parse((entry / "stat").read_text(), tick_s))
        except (OSError, ValueError, IndexError):
            # Gone between the listing and the read, or not readable: not counted.
            continue
    return found


def snapshot(groups: Mapping[str, Members]) -> CpuSnapshot:
    """The processes of each group and the CPU seconds each has used so far."""
    if not available():
        return CpuSnapshot(None)
    found = processes()
    return CpuSnapshot(
        {
            name: {p.pid: p.cpu_s for p in found if members.has(p)}
            for name, members in groups.items()
        }
    )


def cores_used(before: CpuSnapshot, after: CpuSnapshot, wall_s: float) -> dict[str, float]:
    """Each group of `after`: its cores on average between the snapshots, `wall_s` apart (CPU
    seconds per second); 0.0 for a group without processes, NaN where CPU times cannot be
    read."""
    if after.processes is None or before.processes is None or wall_s <= 0:
        return dict.fromkeys(after.processes or {}, NAN)
    used = {}
    for group, now in after.processes.items():
        earlier = before.processes.get(group, {})
        spent = 0.0
        for pid, seconds in now.items():
            # Less than before: the pid went to a new process, all of whose time counts.
            since = seconds - earlier.get(pid, 0.0)
            spent += since if since >= 0 else seconds
        used[group] = spent / wall_s
    return used
