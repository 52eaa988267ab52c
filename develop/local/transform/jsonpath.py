"""The JSONPath subset that SageMaker's batch transform takes for InputFilter and OutputFilter.

AWS documents these operators (batch-transform-data-processing, "Supported JSONPath Operators"):
    $                    the record itself
    .name                a child of an object                              $.features
    .*  [*]              every child, as a list                            $.id.*
    ['a','b']            one or several children of an object              $['id','SageMakerOutput']
    [n]  [n,m]           one or several items of an array; -1 is the last  $[1]  $[1,3,5]
    [a:b]  [a:]  [:b]    a slice of an array, both ends included           $[1:]  $[0,5:]
A CSV record is the array of its fields, so only index paths apply to it.

Slices include their end, as AWS's examples say: `$[1:4]` is "the second through fifth columns", `[:5]` "the first
column (index 0) through the sixth column". Several children may be picked in the last step only (AWS: "additional
nesting of children within brackets is not supported"). An index or a name the record does not have is an error,
as on SageMaker.
"""

import re
from collections.abc import Callable
from typing import Any

MAX_LENGTH = 63  # the API's length limit for InputFilter and OutputFilter


class JSONPathError(ValueError):
    pass


_NAME = r"[^.\[\]'\"*]+"
_STEP = re.compile(rf"\.({_NAME})|\.?\[([^\]]*)\]|\.(\*)")
_QUOTED = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)")\s*""")
_INDEX = re.compile(r"\s*(-?\d+)?\s*(:)?\s*(-?\d+)?\s*")


def compile_path(path: str) -> Callable[[Any], Any]:
    """A function that applies `path` to a record (a parsed JSON value, or a CSV record's list of fields)."""
    if len(path) > MAX_LENGTH:
        raise JSONPathError(f"{path!r} is longer than {MAX_LENGTH} characters, SageMaker's limit")
    if not path.startswith("$"):
        raise JSONPathError(f"{path!r} must start with $")
    steps, position = [], 1
    while position < len(path):
        match = _STEP.match(path, position)
        if not match:
            raise JSONPathError(f"{path!r}: cannot read {path[position:]!r} (supported: $ .name .* [...] ['a','b'])")
        steps.append(_step(path, match))
        position = match.end()
    if any(many for many, _ in steps[:-1]):
        raise JSONPathError(f"{path!r}: several children may be picked in the last step only")

    def apply(record: Any) -> Any:
        value = record
        for _, pick in steps:
            value = pick(value)
        return value

    return apply


def _step(path: str, match: re.Match) -> tuple[bool, Callable[[Any], Any]]:
    """(picks several, the function of one step)."""
    name, inside, star = match.groups()
    if name is not None:
        return False, lambda value: _child(value, name)
    if star is not None or inside.strip() == "*":
        return True, _every
    if _QUOTED.fullmatch(inside.split(",")[0]):
        names = []
        for part in inside.split(","):
            quoted = _QUOTED.fullmatch(part)
            if not quoted:
                raise JSONPathError(f"{path!r}: {part!r} is not a quoted name")
            names.append(quoted.group(1) if quoted.group(1) is not None else quoted.group(2))
        if len(names) == 1:
            return False, lambda value: _child(value, names[0])
        return True, lambda value: {n: _child(value, n) for n in names}
    items = []
    for part in inside.split(","):
        index = _INDEX.fullmatch(part)
        if not index or index.group(0).strip() == "" or (index.group(2) is None and index.group(1) is None):
            raise JSONPathError(f"{path!r}: {part!r} is not an index, a slice or a quoted name")
        start, colon, end = index.groups()
        items.append((_int(start), colon is not None, _int(end)))
    if len(items) == 1 and not items[0][1]:
        return False, lambda value: _item(value, items[0][0])
    return True, lambda value: [x for start, is_slice, end in items for x in _items(value, start, is_slice, end)]


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


def _child(value: Any, name: str) -> Any:
    if not isinstance(value, dict):
        raise JSONPathError(f"cannot take {name!r} of a {_kind(value)}")
    if name not in value:
        raise JSONPathError(f"the record has no {name!r}")
    return value[name]


def _every(value: Any) -> list:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    raise JSONPathError(f"cannot take the children (*) of a {_kind(value)}")


def _position(value: list, index: int) -> int:
    resolved = index + len(value) if index < 0 else index
    if not 0 <= resolved < len(value):
        raise JSONPathError(f"index {index} is outside the record's {len(value)} item(s)")
    return resolved


def _item(value: Any, index: int) -> Any:
    if not isinstance(value, list):
        raise JSONPathError(f"cannot take item {index} of a {_kind(value)}")
    return value[_position(value, index)]


def _items(value: Any, start: int | None, is_slice: bool, end: int | None) -> list:
    if not is_slice:
        return [_item(value, start)]
    if not isinstance(value, list):
        raise JSONPathError(f"cannot slice a {_kind(value)}")
    first = 0 if start is None else _position(value, start)
    last = len(value) - 1 if end is None else _position(value, end)
    return value[first : last + 1]


def _kind(value: Any) -> str:
    return {dict: "JSON object", list: "array"}.get(type(value), type(value).__name__)
