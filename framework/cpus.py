"""The CPUs this process may use, and the native thread pools (OpenMP, BLAS) sized to them.

Standard library only: main.py sizes the thread pools before NumPy, SciPy or scikit-learn load, since their
libraries read their variables once, when they load.
"""

import os
from pathlib import Path

# What threadpoolctl's libraries read: GNU and LLVM OpenMP, OpenBLAS, MKL, BLIS, FlexiBLAS.
THREAD_POOL_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "FLEXIBLAS_NUM_THREADS",
)
WORKERS_VARIABLE = "SAGEMAKER_MODEL_SERVER_WORKERS"


def size_thread_pools_per_worker() -> dict[str, str]:
    """Sets each unset variable of THREAD_POOL_VARIABLES to the CPUs each serving worker may use (the CPUs over
    SAGEMAKER_MODEL_SERVER_WORKERS, at least 1); returns what it set. Left alone, every worker's OpenMP and BLAS pools
    would take every CPU, N workers x N threads on N CPUs; and scikit-learn, with no OMP_NUM_THREADS, counts the
    physical cores with a subprocess that gevent's worker refuses (loky's warning and traceback at the first predict).
    """
    total = cpus()
    text = os.environ.get(WORKERS_VARIABLE, "").strip()
    # A wrong value is ServingSettings' to refuse, in one line, a moment later.
    workers = int(text) if text.isdigit() and int(text) > 0 else total
    per_worker = str(max(1, total // workers))
    chosen = {name: per_worker for name in THREAD_POOL_VARIABLES if not os.environ.get(name, "").strip()}
    os.environ.update(chosen)
    return chosen


def cpus() -> int:
    """The CPUs this process may use: its CPU affinity (a container's cpuset), lowered to its CPU quota when it has one
    (`docker run --cpus 1`, ECS and Kubernetes CPU limits), so that workers never outnumber the CPU time they get."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cpu_quota()
    # Rounded down: a worker beyond the quota would get the cgroup throttled, and /ping stalled with it.
    return max(1, min(available, int(quota))) if quota else available


def cpu_quota(cgroup: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The CPUs' worth of time the container's cgroup may use per period, or None when it is not limited."""
    for quota_file, period_file in (
        ("cpu.max", None),  # cgroup v2: "<quota> <period>", or "max <period>"
        ("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us"),  # cgroup v1: a quota of -1 is no limit
        ("cpu,cpuacct/cpu.cfs_quota_us", "cpu,cpuacct/cpu.cfs_period_us"),
    ):
        try:
            fields = (cgroup / quota_file).read_text().split()
            if period_file:
                fields.append((cgroup / period_file).read_text().strip())
            quota, period = fields[0], int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
        return None if quota in ("max", "-1") else int(quota) / period
    return None
