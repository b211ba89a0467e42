"""Start-up cost of `yicam --help` against a bare `python -c pass`.

Runs both commands in interleaved rounds and measures the CPU time (user + system) of each
child process, which a busy shared machine disturbs less than wall time. Prints the median
of each and the ratio yicam / bare (goal: at most 3). Uses wall time where the `resource`
module is missing (Windows). The children may write bytecode (PYTHONDONTWRITEBYTECODE is
dropped for them), as an installed yicam has: a warm-up run compiles it first.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROUNDS = 30


def yicam_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m`."""
    folder = Path(sys.executable).parent
    script = shutil.which("yicam", path=str(folder))
    if script is not None:
        return [script, "--help"]
    return [sys.executable, "-m", "yicam.cli.main", "--help"]


def cpu_clock() -> Callable[[], float]:
    """Seconds of CPU used by finished children so far (wall time without `resource`)."""
    if sys.platform == "win32":  # no `resource` module there
        return time.perf_counter
    import resource

    def children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    return children


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cost(command: list[str], clock: Callable[[], float]) -> float:
    """The CPU seconds of one run of `command`."""
    before = clock()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return clock() - before


def main() -> None:
    """Measure, print the medians and the ratio."""
    clock = cpu_clock()
    bare_cmd = [sys.executable, "-c", "pass"]
    yicam_cmd = yicam_command()
    cost(yicam_cmd, clock)  # warm the file cache and the bytecode
    bare, yicam = [], []
    for _ in range(ROUNDS):
        bare.append(cost(bare_cmd, clock))
        yicam.append(cost(yicam_cmd, clock))
    bare_ms = statistics.median(bare) * 1000
    yicam_ms = statistics.median(yicam) * 1000
    print(f"python -c pass: {bare_ms:.1f} ms CPU (median of {ROUNDS})")
    print(f"yicam --help:   {yicam_ms:.1f} ms CPU")
    print(f"ratio yicam --help / python -c pass: {yicam_ms / bare_ms:.2f} (goal <= 3)")


if __name__ == "__main__":
    main()
