"""Serving, as an endpoint and a batch transform run it: every payload answered in every type the algorithm answers,
the smoke tests' expected answers, one answer per record of transform/input."""

import numpy as np
import pytest

from develop.local.transform import runner
from develop.release import smoke

from .subject import fail
from framework.serving.media_types import CSV, EVENT_STREAM, JSON, JSONLINES, NPY

RECORD_TYPES = (CSV, JSONLINES, NPY)  # built-in answers that need {"predictions": [...]}, one item per record


def answer_types(subject, answer: dict) -> list[str]:
    """The Accept types the algorithm answers this payload in: JSON, the encoders it declares, server-sent events for a
    JSON object, and the built-in ones that write records when predict returns {"predictions": [...]} (.npy only for
    an array that is not of objects)."""
    declared = subject.declarations
    records = answer.get("predictions") if isinstance(answer, dict) else None
    types = []
    for media_type in declared["encoders"]:
        if media_type == JSON or media_type in declared["own_encoders"]:
            types.append(media_type)
        elif media_type == EVENT_STREAM and isinstance(answer, dict):  # the whole answer as one event
            types.append(media_type)
        elif isinstance(records, list) and records and media_type in RECORD_TYPES:
            if media_type != NPY or np.asarray(records).dtype.kind in "biufU":
                types.append(media_type)
    return types


def post(server, payload, accept: str):
    answer = server.post(payload.read_bytes(), smoke.content_type(payload), Accept=accept)
    if answer.status_code != 200:
        shown = answer.text.strip().replace("\n", " ")[:300]
        fail(f"opt/ml/input/{payload.name}", f"answered {answer.status_code} to Accept {accept}: {shown}")
    answered = answer.headers.get("Content-Type", "")
    if not answered.startswith(accept):
        fail(f"opt/ml/input/{payload.name}", f"asked for {accept}, answered Content-Type {answered!r}")
    return answer


def as_json(answer):
    """The answer's JSON value, or None for one that is not a JSON document (a streamed answer: a line per item)."""
    try:
        return answer.json()
    except ValueError:
        return None


def test_every_payload_is_answered_in_every_type_the_algorithm_answers(subject, server):
    payloads = subject.payloads()
    if not payloads:
        fail("opt/ml/input", "no payload* file: add a request body (payload.json, payload.csv, ...) to serve")
    for payload in payloads:
        answer = as_json(post(server, payload, JSON))
        for accept in answer_types(subject, answer):
            if accept != JSON:
                post(server, payload, accept)


def test_every_smoke_test_gets_its_expected_answer(subject, server):
    try:
        cases = smoke.load(subject.folder)
    except smoke.SmokeError as exc:
        fail(str(smoke.FILE), str(exc).replace(f"{subject.folder}/", ""))
    failures = smoke.check(cases, smoke.post_to(server.url))
    if failures:
        fail(str(smoke.FILE), failures[0] + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""))


def test_a_batch_transform_of_transform_input_answers_once_per_record(subject, server, tmp_path):
    folder = subject.folder / "transform" / "input"
    if not folder.is_dir():
        pytest.skip("the project has no transform/input folder")
    try:
        files = [path for path, _ in runner.input_files(folder, tmp_path)]
        content_type = runner.content_type_of([(p, p) for p in files])
    except runner.JobError as exc:
        fail("transform/input", str(exc).replace(str(subject.folder) + "/", ""))
    first = as_json(post(server, files[0], JSON))
    by_line = content_type in (CSV, JSONLINES) and JSONLINES in answer_types(subject, first)
    args = ["--url", server.url, str(folder), str(tmp_path / "out")]
    if by_line:  # each record a line in, each answer a line out
        args += ["--SplitType", "Line", "--AssembleWith", "Line", "--Accept", JSONLINES]
    done = subject.run_tool("local.transform.runner", *args)
    if done.returncode != 0:
        fail("transform/input", (done.stderr.strip().splitlines() or ["failed"])[-1])
    for file in files:
        out = tmp_path / "out" / f"{file.relative_to(folder)}.out"
        name = f"transform/input/{file.relative_to(folder).as_posix()}"
        if not out.is_file():
            fail(name, "the transform wrote no .out for it")
        if by_line:
            records = [line for line in file.read_text().splitlines() if line.strip()]
            answers = [line for line in out.read_text().splitlines() if line.strip()]
            if len(answers) != len(records):
                fail(name, f"{len(records)} records were answered with {len(answers)} lines")
        elif not out.read_bytes().strip():
            fail(name, "the transform's answer is empty")
