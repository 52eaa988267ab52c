"""Hyperparameter conversion: SageMaker sends strings; the algorithm gets its declared types or a clear error."""

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Literal

import pytest

from framework.errors import ConfigError
from framework.training.hyperparameters import parse
from framework.training.ranges import Range


@dataclass
class Declared:
    epochs: int = 10
    rate: float = 0.1
    shuffle: bool = True
    optimizer: str = "sgd"
    layers: list[int] = field(default_factory=lambda: [64])
    names: list[str] = field(default_factory=list)
    depth: int | None = None
    kind: Literal["tree", "forest"] = "tree"
    options: dict = field(default_factory=dict)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("3", 3),
        ("-7", -7),
        ("3.0", 3),
        ('"3"', 3),
        (5, 5),
    ],
)
def test_int(raw, expected):
    assert parse(Declared, {"epochs": raw})[0].epochs == expected


@pytest.mark.parametrize("raw, expected", [("0.1", 0.1), ("1e-3", 0.001), ("2", 2.0), ('"0.5"', 0.5), (0.25, 0.25)])
def test_float(raw, expected):
    value = parse(Declared, {"rate": raw})[0].rate
    assert value == expected and isinstance(value, float)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("True", True),
        ("False", False),
        ("true", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("no", False),
        ('"True"', True),
        (True, True),
        (False, False),
    ],
)
def test_bool(raw, expected):
    assert parse(Declared, {"shuffle": raw})[0].shuffle is expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("adam", "adam"),
        ('"adam"', "adam"),
        ("3", "3"),
        ("[1]", "[1]"),
        ("", ""),
    ],
)
def test_str_keeps_text_and_unwraps_sdk_json(raw, expected):
    assert parse(Declared, {"optimizer": raw})[0].optimizer == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("[1, 2]", [1, 2]),
        ("[1,2,3]", [1, 2, 3]),
        ('["4", "5"]', [4, 5]),
        ("(8, 16)", [8, 16]),
        ("[]", []),
    ],
)
def test_list_of_int(raw, expected):
    assert parse(Declared, {"layers": raw})[0].layers == expected


def test_list_of_str_from_python_repr_as_the_sdk_sends_it():
    assert parse(Declared, {"names": "['a', 'b']"})[0].names == ["a", "b"]


@pytest.mark.parametrize("raw, expected", [("None", None), ("null", None), ("", None), ("4", 4)])
def test_optional(raw, expected):
    assert parse(Declared, {"depth": raw})[0].depth == expected


def test_literal_and_dict():
    values = parse(Declared, {"kind": "forest", "options": '{"a": 1}'})[0]
    assert values.kind == "forest" and values.options == {"a": 1}


def test_defaults_when_absent():
    assert parse(Declared, {})[0] == Declared()


def test_platform_names_are_set_aside_not_rejected():
    values, platform = parse(Declared, {"epochs": "2", "sagemaker_program": '"train.py"', "sagemaker_region": "x"})
    assert values.epochs == 2
    assert platform == {"sagemaker_program": '"train.py"', "sagemaker_region": "x"}


def test_the_tuning_objective_a_tuning_job_adds_is_set_aside_not_rejected():
    values, platform = parse(Declared, {"epochs": "2", "_tuning_objective_metric": "validation:accuracy"})
    assert values.epochs == 2
    assert platform == {"_tuning_objective_metric": "validation:accuracy"}


@pytest.mark.parametrize(
    "name, raw, type_name",
    [
        ("epochs", "three", "int"),
        ("epochs", "3.5", "int"),
        ("epochs", "True", "int"),
        ("epochs", "[1]", "int"),
        ("rate", "fast", "float"),
        ("rate", "True", "float"),
        ("shuffle", "maybe", "bool"),
        ("shuffle", "2", "bool"),
        ("layers", "64", "list[int]"),
        ("layers", "[1, 'x']", "list[int]"),
        ("layers", "1,x", "list[int]"),
        ("depth", "deep", "int | None"),
        ("kind", "bush", "Literal['tree', 'forest']"),
        ("options", "[1]", "dict"),
    ],
)
def test_bad_value_names_hyperparameter_value_and_type(name, raw, type_name):
    with pytest.raises(ConfigError) as error:
        parse(Declared, {name: raw})
    assert str(error.value) == f"hyperparameter {name!r}: value {raw!r} is not a valid {type_name}"


def test_unknown_name_is_rejected_with_the_known_ones():
    with pytest.raises(
        ConfigError,
        match=r"unknown hyperparameter 'epoch' \(value '3'\); this algorithm takes: "
        r"depth, epochs, kind, layers, names, optimizer, options, rate, shuffle",
    ):
        parse(Declared, {"epoch": "3"})


def test_required_hyperparameter_without_default():
    @dataclass
    class Needs:
        target: str

    with pytest.raises(ConfigError, match="missing required hyperparameter.*target"):
        parse(Needs, {})
    assert parse(Needs, {"target": "y"})[0].target == "y"


# --- tuning ranges ----------------------------------------------------------------------------------------------------


@dataclass
class Ranged:
    trees: Annotated[int, Range(10, 500, scale="log")] = 100
    rate: Annotated[float, Range(1e-4, 1.0, scale="log")] = 0.1
    momentum: Annotated[float, Range(0.0, 0.99, scale="reverse_log")] = 0.9
    kind: Annotated[Literal["tree", "forest"], Range()] = "tree"
    leaf: Annotated[int, Range(1, 20, tunable=False)] = 1


@pytest.mark.parametrize("name, raw, value", [("trees", "10", 10), ("trees", "500", 500), ("rate", "1e-4", 1e-4)])
def test_values_inside_their_range_and_on_its_bounds(name, raw, value):
    assert getattr(parse(Ranged, {name: raw})[0], name) == value


@pytest.mark.parametrize(
    "name, raw, shown",
    [
        ("trees", "9", "[10, 500]"),
        ("trees", "501", "[10, 500]"),
        ("rate", "2.5", "[0.0001, 1.0]"),
        ("leaf", "0", "[1, 20]"),
    ],
)
def test_a_value_outside_its_range_names_hyperparameter_value_and_range(name, raw, shown):
    with pytest.raises(ConfigError) as error:
        parse(Ranged, {name: raw})
    assert str(error.value) == f"hyperparameter {name!r}: value {raw!r} is outside its range {shown}"


def bad(annotation, default):
    return dataclasses.make_dataclass("Bad", [("x", annotation, dataclasses.field(default=default))])


@pytest.mark.parametrize(
    "annotation, default, reason",
    [
        (Annotated[str, Range(1, 2)], "a", "ranges are for int, float and Literal[...] hyperparameters"),
        (Annotated[int | None, Range(1, 2)], None, "ranges are for int, float and Literal[...] hyperparameters"),
        (Annotated[int, Range(0, 10, scale="log")], 1, "has a log scale, which needs min > 0"),
        (Annotated[int, Range(10, 1)], 5, "has min above max"),
        (Annotated[int, Range(1.5, 3)], 2, "has bounds that are not integers, on an int"),
        (Annotated[int, Range(1)], 2, "needs finite numbers as min and max"),
        (Annotated[float, Range(0.0, 1.0, scale="reverse_log")], 0.5, "which is for a float in [0, 1)"),
        (Annotated[float, Range(0.0, 1.0, scale="exp")], 0.5, "has scale 'exp'; use one of: auto, linear, log"),
        (Annotated[Literal["a", "b"], Range(1, 2)], "a", "gives bounds to a Literal"),
        (Annotated[int, Range(1, 10)], 20, "its default 20 is outside its range [1, 10]"),
    ],
)
def test_a_wrong_range_declaration_says_what_is_wrong(annotation, default, reason):
    with pytest.raises(ConfigError) as error:
        parse(bad(annotation, default), {})
    assert str(error.value).startswith("hyperparameter 'x': ") and reason in str(error.value)


def test_long_values_are_shortened_so_the_reason_fits_sagemakers_1024_characters():
    with pytest.raises(ConfigError) as unknown:
        parse(Declared, {"x" * 300: "v" * 5000})
    reason = f"ConfigError: {unknown.value}"
    assert len(reason) < 400 and reason.endswith("this algorithm takes: " + ", ".join(sorted(Declared.__annotations__)))
    assert "vvvv...vvvv" in reason and "(5002 characters)" in reason
    with pytest.raises(ConfigError) as bad:
        parse(Declared, {"epochs": "9" * 5000})
    assert len(str(bad.value)) < 200 and str(bad.value).endswith("is not a valid int")
