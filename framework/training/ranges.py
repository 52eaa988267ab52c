"""Tuning ranges: a hyperparameter declares its range, scale and whether a tuning job may tune it, in its annotation.

    n_estimators: Annotated[int, Range(10, 500, scale="log")] = 100         # tunable integer, sampled on a log scale
    max_features: Annotated[float, Range(0.1, 1.0)] = 0.5                   # tunable continuous
    criterion: Annotated[Literal["gini", "entropy"], Range()] = "gini"      # tunable categorical: the Literal's values
    min_samples_leaf: Annotated[int, Range(1, 50, tunable=False)] = 1       # bounds checked, never tuned

Bounds are inclusive. A value outside them fails the job, naming the hyperparameter, the value and the range.
Without a Range, a hyperparameter is not tunable: an int or float takes any value, a Literal its values, `str` any text.
"""

import dataclasses
import math
import typing
from typing import Any, Literal

from framework.errors import ConfigError

# algorithm.py's word -> SageMaker's ScalingType
SCALES = {"auto": "Auto", "linear": "Linear", "log": "Logarithmic", "reverse_log": "ReverseLogarithmic"}


@dataclasses.dataclass(frozen=True)
class Range:
    min: float | None = None
    max: float | None = None
    scale: Literal["auto", "linear", "log", "reverse_log"] = "auto"
    tunable: bool = True

    def contains(self, value: Any) -> bool:
        return self.min is None or self.min <= value <= self.max

    def __str__(self) -> str:
        return f"[{self.min}, {self.max}]"


def declared(hyperparameters: type) -> dict[str, tuple[Any, Range]]:
    """name -> (its type, its Range) for every hyperparameter that declares one, each declaration checked."""
    found = {}
    for name, hint in typing.get_type_hints(hyperparameters, include_extras=True).items():
        if typing.get_origin(hint) is not typing.Annotated:
            continue
        declared_range = next((m for m in hint.__metadata__ if isinstance(m, Range)), None)
        if declared_range is not None:
            _check_declaration(name, hint.__origin__, declared_range)
            found[name] = (hint.__origin__, declared_range)
    defaults = {f.name: f.default for f in dataclasses.fields(hyperparameters)}
    for name, (_, declared_range) in found.items():
        default = defaults.get(name, dataclasses.MISSING)
        if default is not dataclasses.MISSING and not declared_range.contains(default):
            raise ConfigError(f"hyperparameter {name!r}: its default {default!r} is outside its range {declared_range}")
    return found


def _check_declaration(name: str, annotation: Any, declared_range: Range) -> None:
    def wrong(reason: str) -> ConfigError:
        return ConfigError(f"hyperparameter {name!r}: {declared_range!r} {reason}")

    if declared_range.scale not in SCALES:
        raise wrong(f"has scale {declared_range.scale!r}; use one of: {', '.join(SCALES)}")
    if typing.get_origin(annotation) is Literal:
        if declared_range.min is not None or declared_range.max is not None:
            raise wrong("gives bounds to a Literal: its values are its range; write Range()")
        return
    if annotation not in (int, float):
        raise wrong(f"is on a {annotation!r}: ranges are for int, float and Literal[...] hyperparameters")
    low, high = declared_range.min, declared_range.max
    if not all(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) for b in (low, high)):
        raise wrong("needs finite numbers as min and max: Range(min, max)")
    if annotation is int and not all(float(b).is_integer() for b in (low, high)):
        raise wrong("has bounds that are not integers, on an int")
    if low > high:
        raise wrong("has min above max")
    if declared_range.scale == "log" and low <= 0:
        raise wrong("has a log scale, which needs min > 0")
    if declared_range.scale == "reverse_log" and (annotation is int or not 0 <= low <= high < 1):
        raise wrong("has a reverse_log scale, which is for a float in [0, 1)")


def check(name: str, raw: Any, value: Any, declared_range: Range) -> None:
    """Fail when a converted value lies outside its declared bounds."""
    if value is not None and not declared_range.contains(value):
        raise ConfigError(f"hyperparameter {name!r}: value {raw!r} is outside its range {declared_range}")
