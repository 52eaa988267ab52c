"""Validates request documents against botocore's service models, offline; run with the AWS tools' Python.

    python botocore_validate.py OPERATION FILE [OPERATION FILE ...]    prints {FILE: [error, ...]} as JSON

OPERATION is SageMaker's (CreateTrainingJob) or another service's after its name (application-autoscaling:
RegisterScalableTarget, s3:PutObject).

botocore's own ParamValidator checks required members, types, lengths and numeric ranges; it leaves enums and
patterns to the service, so those are checked here against the same model (patterns Python's re cannot read, such
as \\p{L}, are skipped).
"""

import json
import re
import sys

import botocore.session
from botocore.validate import ParamValidator


def enums_and_patterns(value, shape, path: str, errors: list[str]) -> None:
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in value.items():
            if name in shape.members:
                enums_and_patterns(member, shape.members[name], f"{path}.{name}", errors)
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            enums_and_patterns(item, shape.member, f"{path}[{index}]", errors)
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            enums_and_patterns(item, shape.value, f"{path}.{key}", errors)
    elif shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} is not one of the {len(shape.enum)} values of {shape.name}")
        pattern = shape.metadata.get("pattern")
        if pattern and "\\p" not in pattern:
            try:
                compiled = re.compile(pattern)
            except re.error:
                return
            if not compiled.fullmatch(value):
                errors.append(f"{path}: {value!r} does not match {shape.name}'s pattern {pattern}")


def main(args: list[str]) -> None:
    session = botocore.session.get_session()
    report = {}
    for operation, path in zip(args[::2], args[1::2], strict=True):
        service, _, operation = operation.rpartition(":")
        document = json.loads(open(path).read())
        shape = session.get_service_model(service or "sagemaker").operation_model(operation).input_shape
        found = ParamValidator().validate(document, shape)
        errors = [line.strip() for line in found.generate_report().splitlines()] if found.has_errors() else []
        enums_and_patterns(document, shape, operation, errors)
        report[path] = errors
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
