"""Whether algorithm.py is written for several hosts: whether it, or its helpers in lib/, ever looks at the job's hosts.

An algorithm that never does (no job.dask(), job.cluster, job.is_leader, ...) computes the same model on every host,
and every host but the leader would fail for writing it: on several hosts only the leader runs its train, and the
others wait for it (job.py). Read from the source, never run: a name this scan sees but the code never reaches only
keeps the way every host runs train.
"""

import ast
from pathlib import Path
from types import ModuleType

# What a TrainingJob tells about the hosts (job.py, cluster.py), and what a program reads them from.
HOST_NAMES = frozenset(
    {"dask", "cluster", "is_leader", "leader", "current_host", "hosts", "network_interface", "resource_config"}
)
RESOURCE_CONFIG = "resourceconfig"


def uses_the_hosts(algorithm: ModuleType) -> bool:
    """True when algorithm.py or a file of lib/ beside it names one of HOST_NAMES (as an attribute, or a string:
    getattr(job, "dask")), mentions resourceconfig.json, or sets EVERY_HOST_WRITES; or cannot be read."""
    if getattr(algorithm, "EVERY_HOST_WRITES", False):
        return True
    source = Path(getattr(algorithm, "__file__", "") or "")
    if not source.is_file():
        return True
    for path in [source, *sorted((source.parent / "lib").rglob("*.py"))]:
        try:
            tree = ast.parse(path.read_text(), str(path))
        except (OSError, SyntaxError, ValueError):
            return True
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in HOST_NAMES:
                return True
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in HOST_NAMES or RESOURCE_CONFIG in node.value:
                    return True
    return False
