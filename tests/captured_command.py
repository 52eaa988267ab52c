"""One develop/sagemaker command run in-process as its bin/ script runs it, its output captured: shared by the
drivers (tests/sagemaker_driver.py, sagemaker_local_driver.py, release_driver.py), which run in venvs of their own
and so import nothing of each other's but this."""

import io
import sys
from collections.abc import Callable
from pathlib import Path


def captured(main: Callable[..., int], argv: list[str], project: Path, aws) -> dict:
    """{"argv", "code", "stdout", "stderr"} of main(argv, project, aws); stdout has a byte buffer, as a terminal's."""
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(argv, project, aws)
    except SystemExit as exc:  # argparse
        code = exc.code
    finally:
        sys.stdout, sys.stderr = saved
        out.flush()
    return {"argv": argv, "code": code, "stdout": out.buffer.getvalue().decode(), "stderr": err.getvalue()}
