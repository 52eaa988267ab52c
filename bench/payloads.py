"""The request bodies of the benchmark, made from the iris sample: 28 records as CSV and JSON, and a ~5 MB CSV.

The sample is examples/iris's, whatever algorithm the project root holds.
"""

import json
from pathlib import Path

from load import Payload
from stacks import EXAMPLE_DIR

SMALL_RECORDS = 28  # the record count of the reference measurement (the contract's last section)
LARGE_BYTES = 5 * 1024 * 1024  # ~5 MB, below SageMaker's 6 MB (and the server's default limit)
CONNECTIONS = 8  # wrk's concurrency on small payloads: saturates 2 workers of every stack
LARGE_CONNECTIONS = 4  # each request takes long; more would only queue, and fewer requests finish per run


def iris_rows() -> list[str]:
    """The 150 iris records' 4 feature columns, as text, without the header and the label."""
    rows = []
    for name in ("training", "validation"):
        lines = (EXAMPLE_DIR / "opt" / "ml" / "input" / "data" / name / "iris.csv").read_text().splitlines()[1:]
        rows += [",".join(line.split(",")[:4]) for line in lines if line.strip()]
    return rows


def build_payloads(folder: Path, duration: int) -> dict[str, Payload]:
    folder.mkdir(parents=True)
    rows = iris_rows()
    small = rows[:SMALL_RECORDS]
    (folder / "small.csv").write_text("\n".join(small) + "\n")
    instances = [[float(x) for x in row.split(",")] for row in small]
    (folder / "small.json").write_text(json.dumps({"instances": instances}))
    large, size = [], 0
    while size < LARGE_BYTES:  # bounded: every row adds at least 8 bytes
        row = rows[len(large) % len(rows)]
        large.append(row)
        size += len(row) + 1
    large.pop()  # stay below LARGE_BYTES
    (folder / "large.csv").write_text("\n".join(large) + "\n")
    mb = (folder / "large.csv").stat().st_size / 1e6
    return {
        "csv": Payload(
            f"CSV {len(small)} rec", folder / "small.csv", "text/csv", "text/csv", len(small), CONNECTIONS, duration
        ),
        "json": Payload(
            f"JSON {len(small)} rec",
            folder / "small.json",
            "application/json",
            "application/json",
            len(small),
            CONNECTIONS,
            duration,
        ),
        "large": Payload(
            f"CSV {mb:.1f} MB",
            folder / "large.csv",
            "text/csv",
            "text/csv",
            len(large),
            LARGE_CONNECTIONS,
            round(duration * 1.5),
        ),
    }
