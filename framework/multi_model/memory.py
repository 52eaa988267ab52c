"""How much memory the server uses, and how much it may use: the multi-model memory budget.

Used: the proportional set size (Pss, from /proc/<pid>/smaps_rollup) of the gunicorn master and all its workers,
added up. Pss splits each page shared by several processes between them, so the code and libraries the workers
inherit from the master count once, not once per worker, and the sum is what the server really holds.
Available: the container's memory limit (cgroup v2 memory.max or v1 memory.limit_in_bytes), else the machine's
memory (MemTotal). Linux only; elsewhere used() is None and the budget is not enforced.
"""

import os
from pathlib import Path

MB = 1024 * 1024
# The share of the container's memory the models' server may fill before a load answers 507. The rest is headroom:
# a model's memory is only known once it is loaded, and a request's decoding and answer need room too.
DEFAULT_SHARE = 0.9


def used(master_pid: int) -> int | None:
    """Bytes held by `master_pid` and its child processes; None where /proc cannot tell."""
    total, found = 0, False
    for pid in [master_pid, *_children(master_pid)]:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    found = True
                    break
        except (OSError, ValueError):  # the process just ended, or this is not Linux
            continue
    return total if found else None


def limit() -> int | None:
    """The memory this container may use, in bytes; None where it cannot be read."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        # "max" (v2) and a number near 2**63 (v1) both mean no limit: fall through to the machine's memory.
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def default_budget_mb() -> int | None:
    available = limit()
    return int(available * DEFAULT_SHARE) // MB if available else None


def _children(parent: int) -> list[int]:
    children = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return children
    for name in names:
        if name.isdigit():
            try:
                # The fields after the command's closing parenthesis: state, then the parent's pid.
                stat = Path(f"/proc/{name}/stat").read_text()
                if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
                    children.append(int(name))
            except (OSError, ValueError):
                continue
    return children
