"""feature_matrix: any request shape the built-in decoders make, as the 2-D float array a model takes."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from framework.errors import InputError


def feature_matrix(data: Any, features: int | Sequence[str]) -> np.ndarray:
    """`data["instances"]` as a 2-D float array, one row per record and one column per feature.

    `features` is the number of features, or their names in column order: with names, records may also be JSON
    objects keyed by feature name (extra keys are ignored). Takes what JSON, CSV, JSON Lines and .npy bodies
    decode to. Raises InputError, with the reason, for anything else, and for values that are not finite numbers.
    """
    names = None if isinstance(features, int) else list(features)
    width = features if names is None else len(names)
    instances = data.get("instances") if isinstance(data, dict) else None
    listed = isinstance(instances, list) or (isinstance(instances, np.ndarray) and instances.ndim > 0)
    if not listed or len(instances) == 0:
        raise InputError('expected {"instances": [...]} with at least one record')
    if isinstance(instances, np.ndarray) and instances.dtype.kind == "c":
        raise InputError("records must be real numbers, not complex ones")
    if isinstance(instances[0], dict):
        instances = _by_name(instances, names)
    try:
        rows = np.asarray(instances, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"records must be lists of {width} numbers: {exc}") from None
    if rows.ndim != 2 or rows.shape[1] != width:
        named = f" {names}" if names else ""
        raise InputError(f"each record must have {width} features{named}, got shape {list(rows.shape)}")
    finite = np.isfinite(rows)
    if not finite.all():
        number, column = np.argwhere(~finite)[0]
        value = instances[number][column] if isinstance(instances, list) else rows[number, column]
        feature = repr(names[column]) if names else column
        value = "null" if value is None else value  # JSON's null, which NumPy reads as NaN
        raise InputError(f"record {number}, feature {feature}: {value} is not a finite number")
    return rows


def _by_name(records: list, names: list[str] | None) -> list[list]:
    if names is None:
        raise InputError("records must be lists of numbers; objects need the model's feature names")
    rows = []
    for number, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputError(f"record {number} is a {type(record).__name__}; mix no lists with objects keyed by name")
        missing = [name for name in names if name not in record]
        if missing:
            raise InputError(f"record {number} lacks feature(s) {missing}; expected {names}")
        rows.append([record[name] for name in names])
    return rows
