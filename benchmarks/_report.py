"""What every benchmark report shares: number formatting and the machine it ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fmt(value: float | None, unit: str = "") -> str:
    """A figure with as many digits as it needs, and its unit."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 0.1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".rstrip()


def load_average() -> str:
    """The 1/5/15-minute load average, or why there is none."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unavailable"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def pin_to_one_core() -> str:
    """Pin this process to one usable CPU; returns what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity on this platform)"
    usable = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {usable[-1]})
    return f"pinned to CPU {usable[-1]} (of {len(usable)} usable)"


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "lifecycle"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" (lifecycle/ has uncommitted changes)" if dirty else "")


def environment(libraries: str, extra: Sequence[str] = ()) -> list[str]:
    """Python, library and machine details for the top of a report."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"python     {platform.python_implementation()} {sys.version.split()[0]} "
        f"({sys.executable})",
        f"platform   {platform.platform()}",
        f"cpu        {cpu}; cpu_count={os.cpu_count()}, usable now={usable}",
        f"libraries  {libraries}",
        f"leadflow   git {_git_revision()}",
        *extra,
        f"load avg   {load_average()} (1/5/15 min; other work on the machine skews timings)",
    ]
