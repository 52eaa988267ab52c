"""Turns hyperparameters.json into the algorithm's typed Hyperparameters dataclass.

SageMaker delivers every value as a string ("3", "0.1", "True", "[1, 2]"); the SageMaker Python SDK sometimes
JSON-encodes it first ("\\"adam\\""), and a hand-written local file may hold plain JSON numbers. Each value is decoded
as JSON, then as a Python literal, else kept as the text, and then checked against the field's annotation.
Supported annotations: str, int, float, bool, list[T], dict, Literal[...], and `T | None`; an int, float or Literal
may carry a tuning Range in Annotated[...] (framework/training/ranges.py), whose bounds are checked here.
"""

import ast
import dataclasses
import json
import types
import typing
from typing import Any

from framework.errors import ConfigError
from framework.training import ranges

# Names SageMaker and its SDK add next to the algorithm's: sagemaker_program, sagemaker_region, ... from the SDK, and
# _tuning_objective_metric from automatic model tuning (the platform's own names start with an underscore).
PLATFORM_PREFIXES = ("sagemaker_", "_")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse(declared: type, raw: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Return (an instance of `declared`, the platform's own entries (sagemaker_*, _*), set aside untouched)."""
    fields = {f.name: f for f in dataclasses.fields(declared)}
    hints = typing.get_type_hints(declared)
    declared_ranges = ranges.declared(declared)
    values, platform = {}, {}
    for name, value in raw.items():
        if name.startswith(PLATFORM_PREFIXES) and name not in fields:
            platform[name] = value
        elif name not in fields:
            raise ConfigError(
                f"unknown hyperparameter {_quoted(name)} (value {_quoted(value)}); "
                f"this algorithm takes: {', '.join(sorted(fields))}"
            )
        else:
            try:
                values[name] = _coerce(value, hints[name])
            except (TypeError, ValueError):
                raise ConfigError(
                    f"hyperparameter {name!r}: value {_quoted(value)} is not a valid {_type_name(hints[name])}"
                ) from None
            if name in declared_ranges:
                ranges.check(name, value, values[name], declared_ranges[name][1])
    missing = [n for n, f in fields.items() if n not in values and _is_required(f)]
    if missing:
        raise ConfigError(f"missing required hyperparameter(s): {', '.join(missing)}")
    return declared(**values), platform


def _quoted(value: Any, keep: int = 40) -> str:
    """repr(value), its middle left out when long: SageMaker shows only the first 1,024 characters of the failure
    reason, and what follows a value (the names this algorithm takes) must fit in them."""
    text = repr(value)
    if len(text) <= 2 * keep + 20:
        return text
    return f"{text[:keep]}...{text[-keep:]} ({len(text)} characters)"


def _is_required(field: dataclasses.Field) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for decode in (json.loads, ast.literal_eval):
        try:
            return decode(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return value


def _coerce(value: Any, annotation: Any) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        decoded = _decode(value)
        if type(None) in args and (decoded is None or str(decoded).strip().lower() in ("none", "null", "")):
            return None
        for option in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, option)
            except (TypeError, ValueError):
                continue
        raise ValueError(value)
    if origin is typing.Literal:
        for choice in args:
            if _decode(value) == choice or value == choice:
                return choice
        raise ValueError(value)
    decoded = _decode(value)
    if annotation is str:
        return decoded if isinstance(decoded, str) else str(value)
    if annotation is bool:
        return _to_bool(decoded)
    if annotation is int:
        return _to_int(decoded)
    if annotation is float:
        if isinstance(decoded, bool):
            raise TypeError(value)
        return float(decoded)
    if origin is list or annotation is list:
        if not isinstance(decoded, (list, tuple)):
            raise TypeError(value)
        item = args[0] if args else Any
        return [item_value if item is Any else _coerce(item_value, item) for item_value in decoded]
    if origin is dict or annotation is dict:
        if not isinstance(decoded, dict):
            raise TypeError(value)
        return decoded
    raise TypeError(f"unsupported hyperparameter annotation {annotation!r}")


def _to_bool(decoded: Any) -> bool:
    if isinstance(decoded, bool):
        return decoded
    text = str(decoded).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(decoded)


def _to_int(decoded: Any) -> int:
    if isinstance(decoded, bool):
        raise TypeError(decoded)
    if isinstance(decoded, float):
        if not decoded.is_integer():
            raise ValueError(decoded)
        return int(decoded)
    return int(decoded)


def _type_name(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else str(annotation).replace("typing.", "")
