"""CPU time of process groups, read from /proc: a busy child's seconds show up in the group
that holds it, by pid or by session; a group that matches nothing used nothing."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import process_cpu
from benchmarks.process_cpu import CpuSnapshot, Members

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="CPU times are read from Linux's /proc"
)

BUSY_S = 0.5
# Spins for BUSY_S of CPU (not of wall time: the machine may be shared), then says so on
# stdout and sleeps, alive, until it is stopped.
BUSY = f"""
import sys, time
start = time.process_time()
while time.process_time() - start < {BUSY_S}:
    pass
print("done", flush=True)
time.sleep(60)
"""


# Starts BUSY in a process of its own (as `sameday serve` starts the API processes), in a
# process group of its own but the same session, says its pid, and waits.
SPAWNER = f"""
import subprocess, sys, time
spun = subprocess.Popen([sys.executable, "-c", {BUSY!r}], process_group=0)
print(spun.pid, flush=True)
time.sleep(60)
"""


def _started(script: str) -> subprocess.Popen[str]:
    """`script` in a session of its own."""
    return subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True
    )


def _spun(child: subprocess.Popen[str]) -> None:
    """Once a process of `child` has spun for BUSY_S seconds of CPU (and is still alive)."""
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "done"


def _stop(child: subprocess.Popen[str], *groups: int) -> None:
    for group in (child.pid, *groups):
        os.killpg(group, signal.SIGKILL)
    child.wait(10)
    assert child.stdout is not None
    child.stdout.close()


@pytest.fixture
def busy() -> Iterator[subprocess.Popen[str]]:
    child = _started(BUSY)
    try:
        _spun(child)
        yield child
    finally:
        _stop(child)


@pytest.fixture
def spawner() -> Iterator[subprocess.Popen[str]]:
    child = _started(SPAWNER)
    assert child.stdout is not None
    spun = int(child.stdout.readline())
    try:
        _spun(child)
        yield child
    finally:
        _stop(child, spun)


def test_a_busy_process_shows_its_cpu_seconds(busy: subprocess.Popen[str]) -> None:
    found = process_cpu.snapshot({"child": Members(pid=busy.pid)})

    # Its spin plus the interpreter's start-up; clock ticks are 10 ms.
    assert 0.3 <= found.seconds("child") < 5


def test_a_session_group_holds_the_processes_started_in_it(
    spawner: subprocess.Popen[str],
) -> None:
    groups = {"session": Members(session=spawner.pid), "leader": Members(pid=spawner.pid)}

    found = process_cpu.snapshot(groups)

    # The spin was the spawned process's (another process group), not the session leader's.
    assert found.seconds("leader") < 0.3
    assert found.seconds("session") >= found.seconds("leader") + 0.3


def test_a_process_found_by_its_command_name() -> None:
    command = (process_cpu.PROC / "self" / "comm").read_text().strip()
    spin_until = time.process_time() + 0.2
    while time.process_time() < spin_until:
        pass

    found = process_cpu.snapshot({"named": Members(command=command)})

    assert found.seconds("named") >= 0.2


def test_unknown_pids_and_groups_used_nothing() -> None:
    # Beyond the largest pid Linux hands out (2**22), and a session nobody has.
    groups = {"pid": Members(pid=2**23), "session": Members(session=2**23), "none": Members()}

    found = process_cpu.snapshot(groups)

    assert [found.seconds(g) for g in (*groups, "not a group")] == [0.0, 0.0, 0.0, 0.0]
    assert process_cpu.cores_used(found, found, 1.0) == {"pid": 0.0, "session": 0.0, "none": 0.0}


def test_cores_are_cpu_seconds_per_second_process_by_process() -> None:
    before = CpuSnapshot({"api": {10: 1.0, 11: 2.0}, "postgresql": {20: 50.0, 21: 3.0}})
    after = CpuSnapshot({"api": {10: 4.0, 11: 3.0}, "postgresql": {21: 4.0, 22: 0.5}, "new": {}})

    cores = process_cpu.cores_used(before, after, 2.0)

    assert cores["api"] == pytest.approx((3.0 + 1.0) / 2)
    # 20 exited (what it used since is lost, what it used before is not subtracted); 22 is new.
    assert cores["postgresql"] == pytest.approx((1.0 + 0.5) / 2)
    assert cores["new"] == 0.0


def test_a_reused_pid_counts_as_a_new_process() -> None:
    cores = process_cpu.cores_used(CpuSnapshot({"g": {7: 9.0}}), CpuSnapshot({"g": {7: 1.0}}), 1.0)

    assert cores["g"] == pytest.approx(1.0)


def test_without_proc_the_figures_are_absent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(process_cpu, "PROC", tmp_path)

    found = process_cpu.snapshot({"api": Members(pid=os.getpid())})

    assert math.isnan(found.seconds("api"))
    assert process_cpu.cores_used(found, found, 1.0) == {}
