"""Batch transform without Docker: develop/local/transform/runner.py drives a real `main.py serve` as a SageMaker
transform job does.

The pieces first (the JSONPath subset on every example of AWS's documentation, splitting and assembling), then whole
jobs against a real gunicorn with tests/algorithms/echoes_each_record.py, which answers each record with itself.
"""

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from develop.local.transform.jsonpath import JSONPathError, compile_path
from develop.local.transform.records import Batch, DataError, Processing, assembler, count_records, split

from projects import develop_path, develop_tool

# --- the JSONPath subset ------------------------------------------------------------------------------------------

ROW = ["id7", "5.1", "3.5", "1.4", "0.2", "setosa"]  # a CSV record is the array of its fields
DOC = {"id": 7, "features": [5.1, 3.5], "SageMakerOutput": {"label": 1}, "meta": {"a": 1, "b": 2}}


@pytest.mark.parametrize(
    "path, record, expected",
    [
        # The operator table of "Supported JSONPath Operators".
        ("$", DOC, DOC),
        ("$.id", DOC, 7),
        ("$.meta.*", DOC, [1, 2]),
        ("$['id','SageMakerOutput']", DOC, {"id": 7, "SageMakerOutput": {"label": 1}}),
        ("$[1]", ROW, "5.1"),
        ("$[1,3,5]", ROW, ["5.1", "1.4", "setosa"]),
        ("$[-1]", ROW, "setosa"),
        ("$[2:5]", ROW, ["3.5", "1.4", "0.2", "setosa"]),
        ("$[:5]", ROW, ROW),
        ("$[2:]", ROW, ["3.5", "1.4", "0.2", "setosa"]),
        # The examples of the guide and of the DataProcessing API reference.
        ("$[1:]", ROW, ROW[1:]),  # "exclude the first column"
        ("$[1:4]", ROW, ROW[1:5]),  # "the second through fifth columns": both ends included
        ("$[5:]", ROW, ["setosa"]),  # "from the 6th column through the last column"
        ("$.features", DOC, [5.1, 3.5]),
        ("$[0,5:]", ROW, ["id7", "setosa"]),
        ("$.meta.['a','b']", DOC, {"a": 1, "b": 2}),  # "$.field1.['child1','child2'] is supported"
        ('$["id"]', DOC, 7),
        ("$[*]", ROW, ROW),
    ],
)
def test_jsonpath_examples(path, record, expected):
    assert compile_path(path)(record) == expected


@pytest.mark.parametrize(
    "path, record, message",
    [
        ("$[6]", ROW, "index 6 is outside the record's 6 item(s)"),
        ("$[1:9]", ROW, "index 9 is outside"),
        ("$.missing", DOC, "the record has no 'missing'"),
        ("$.id", ROW, "cannot take 'id' of a array"),
        ("$[0]", DOC, "cannot take item 0 of a JSON object"),
    ],
)
def test_jsonpath_outside_the_record(path, record, message):
    with pytest.raises(JSONPathError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_path(path)(record)


@pytest.mark.parametrize(
    "path, message",
    [
        ("features", "must start with \\$"),
        ("$..id", "cannot read"),
        ("$[a]", "is not an index"),
        ("$['a','b'].c", "last step only"),
        ("$.field1.['child1','child2.grandchild']", None),  # accepted as a name with a dot, as SageMaker's parser
        ("$." + "x" * 62, "longer than 63"),
    ],
)
def test_jsonpath_refused(path, message):
    if message is None:
        compile_path(path)
        return
    with pytest.raises(JSONPathError, match=message):
        compile_path(path)


# --- splitting and assembling -----------------------------------------------------------------------------------

CSV_PROCESSING = Processing("text/csv")


def batches(data: bytes, limit: int, split_type="Line", single=False, processing=CSV_PROCESSING) -> list[Batch]:
    return list(split(io.BytesIO(data), split_type, single, limit, processing))


@pytest.mark.parametrize(
    "data",
    [
        b"1,2\n3,4\n5,6\n7,8\n",  # trailing newline
        b"1,2\n3,4\n5,6\n7,8",  # the final record without one
        b"1,2\r\n3,4\r\n5,6\r\n7,8\r\n",  # CRLF
        b"\n1,2\n\n3,4\n \n5,6\r\n\r\n7,8\n\n",  # blank lines are no records
    ],
)
@pytest.mark.parametrize("limit", [5, 8, 9, 100])
def test_split_keeps_whole_records_in_order(data, limit):
    got = batches(data, limit)
    assert all(len(b.body) <= limit for b in got)
    assert b"".join(b.body for b in got).replace(b"\r", b"").split() == [b"1,2", b"3,4", b"5,6", b"7,8"]
    assert [b.first for b in got] == [1 + sum(b.count for b in got[:i]) for i in range(len(got))]
    assert sum(b.count for b in got) == 4


def test_split_never_cuts_a_multibyte_character():
    record = "é€😀,x\n".encode()  # 2-, 3- and 4-byte UTF-8 characters
    data = record * 50
    for limit in range(len(record), 3 * len(record)):
        for batch in batches(data, limit):
            batch.body.decode("utf-8")  # a cut character would not decode
            assert batch.body == record * batch.count


def test_single_record_and_size_limit():
    got = batches(b"1,2\n3,4\n5,6", 100, single=True)
    assert [(b.body, b.first, b.count) for b in got] == [(b"1,2\n", 1, 1), (b"3,4\n", 2, 1), (b"5,6\n", 3, 1)]
    with pytest.raises(DataError, match="record 2 is larger than MaxPayloadInMB"):
        batches(b"1,2\n3,4,5,6,7\n", 6)
    with pytest.raises(DataError, match="more than MaxPayloadInMB"):
        batches(b"1,2\n3,4\n", 4, split_type="None")


def test_split_none_sends_the_file_as_it_is():
    assert [(b.body, b.count) for b in batches(b"1,2\r\n\n3,4", 100, split_type="None")] == [(b"1,2\r\n\n3,4", 1)]
    assert batches(b"", 100, split_type="None") == []


def test_count_records():
    assert [count_records(b) for b in (b"", b"a", b"a\n", b"a\nb", b"\n\na\n \n", b"a\r\nb\r\n")] == [0, 1, 1, 2, 1, 2]


def test_input_filter_csv_and_join():
    processing = Processing("text/csv", "$[1:]", "Input", "$")
    got = batches(b'7,5.1,"a,b"\n8,6.2,c\n', 100, processing=processing)
    assert [(b.body, b.originals) for b in got] == [(b'5.1,"a,b"\n6.2,c\n', [b'7,5.1,"a,b"', b"8,6.2,c"])]
    assemble = assembler(processing, "Line", True, "text/csv")
    # AWS's example: the record [1,2,3] and the label [1] give [1,2,3,1]; here each input row gets its answer's columns.
    assert assemble(got[0], b"setosa\nversicolor\n") == b'7,5.1,"a,b",setosa\n8,6.2,c,versicolor\n'


def test_assembly_checks_the_count():
    assemble = assembler(CSV_PROCESSING, "Line", True, None)
    batch = Batch(b"1\n2\n3\n", 4, 3)
    assert assemble(batch, b"a\nb\nc") == b"a\nb\nc\n"
    with pytest.raises(DataError, match=r"answered 1 record\(s\) for 3 input record\(s\).*application/json"):
        assemble(batch, b'{"predictions": [1, 2, 3]}')
    # AssembleWith None: the answers as they come, back to back.
    assert assembler(CSV_PROCESSING, "None", False, None)(batch, b"x") == b"x"


# --- whole jobs against a real server ----------------------------------------------------------------------------


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Transform:
    """develop/local/transform/runner.py on a project copy with its own input and output folders."""

    def __init__(self, project, folder: Path):
        self.project, self.input, self.output = project, folder / "in", folder / "out"
        self.input.mkdir()

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.input / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def run(self, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
        before = tree_hash(self.input)
        done = subprocess.run(
            [
                *develop_tool("local.transform.runner"),
                str(self.input),
                str(self.output),
                "--serve-command",
                f"{sys.executable} {self.project.folder / 'main.py'} serve",
                *args,
            ],
            env=self.project.env(SAGEMAKER_MODEL_SERVER_WORKERS="2", PYTHONPATH=develop_path(), **env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert tree_hash(self.input) == before, "the input folder changed"
        return done

    def out(self, name: str) -> bytes:
        return (self.output / f"{name}.out").read_bytes()

    def outputs(self) -> list[str]:
        return sorted(str(p.relative_to(self.output)) for p in self.output.rglob("*") if p.is_file())


@pytest.fixture
def transform(make_project, tmp_path):
    return Transform(make_project("echoes_each_record"), tmp_path)


LINE = ("--SplitType", "Line", "--AssembleWith", "Line")


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_csv_round_trip_over_many_mini_batches(transform):
    # 1.3 MB per file with MaxPayloadInMB 1: several mini-batches, 4 in flight; each file keeps its place.
    rows = [f"{i}.5,{i % 7}.25,é€😀" for i in range(60_000)]
    transform.write("a.csv", "\n".join(rows) + "\n")
    transform.write("sub/dir/b.csv", "\r\n".join(rows))  # CRLF, no final newline, in a sub-folder
    transform.write("empty.csv", "")
    log = ok(transform.run(*LINE, "--Accept", "text/csv", "--MaxPayloadInMB", "1", "--MaxConcurrentTransforms", "4"))
    expected = ("\n".join(rows) + "\n").encode()
    assert transform.out("a.csv") == expected
    assert transform.out("sub/dir/b.csv") == expected
    assert transform.out("empty.csv") == b""
    assert transform.outputs() == ["a.csv.out", "empty.csv.out", "sub/dir/b.csv.out"]
    assert "MaxPayloadInMB 1, MaxConcurrentTransforms 4" in log
    assert "done: 3 file(s), 120,000 records" in log


def test_jsonlines_round_trip_both_strategies(transform):
    records = [{"i": i, "text": "ü" * (i % 5)} for i in range(40)]
    transform.write("r.jsonl", "\n\n".join(json.dumps(r) for r in records))
    for strategy in ("MultiRecord", "SingleRecord"):
        log = ok(transform.run(*LINE, "--Accept", "application/jsonlines", "--BatchStrategy", strategy))
        assert [json.loads(line) for line in transform.out("r.jsonl").splitlines()] == records
        assert f"BatchStrategy {strategy}" in log


def test_defaults_send_each_file_whole(transform):
    transform.write("iris.csv", "5.1,3.5\n6.2,2.9\n")
    log = ok(transform.run())
    # SplitType None, no Accept: one request per file, the container's default answer (JSON), AssembleWith None.
    assert json.loads(transform.out("iris.csv")) == {"predictions": [[5.1, 3.5], [6.2, 2.9]]}
    assert "SplitType None, BatchStrategy MultiRecord, MaxPayloadInMB 6" in log


# Every example of AWS's "Batch Transform Examples" and the DataProcessing reference, on the echo algorithm.


def test_example_output_only_inferences(transform):
    transform.write("d.csv", "1.5,2.5,3.5\n")
    args = (*LINE, "--Accept", "text/csv", "--InputFilter", "$", "--JoinSource", "None", "--OutputFilter", "$")
    ok(transform.run(*args))
    assert transform.out("d.csv") == b"1.5,2.5,3.5\n"


def test_example_output_input_and_inferences_csv(transform):
    # "if the record is [1,2,3], and the label result is [1], then the output file would contain [1,2,3,1]"
    transform.write("d.csv", "1.5,2.5,3.5\n")
    ok(transform.run(*LINE, "--Accept", "text/csv", "--InputFilter", "$[2]", "--JoinSource", "Input"))
    assert transform.out("d.csv") == b"1.5,2.5,3.5,3.5\n"


def test_example_output_input_and_inferences_json(transform):
    # {"key":1} joined with its answer: the answer under SageMakerOutput; an input that is no object goes under
    # SageMakerInput.
    transform.write("d.jsonl", '{"key": 1}\n[1, 2]\n')
    ok(transform.run(*LINE, "--Accept", "application/jsonlines", "--JoinSource", "Input"))
    assert [json.loads(line) for line in transform.out("d.jsonl").splitlines()] == [
        {"key": 1, "SageMakerOutput": {"key": 1}},
        {"SageMakerInput": [1, 2], "SageMakerOutput": [1, 2]},
    ]


def test_example_id_column_csv(transform):
    # Five columns, the first an ID: InputFilter $[1:], JoinSource Input, OutputFilter $; then $[0,5:] keeps the ID
    # and the answer only.
    transform.write("d.csv", "id1,1.5,2.5,3.5,4.5\nid2,5.5,6.5,7.5,8.5\n")
    args = (*LINE, "--Accept", "text/csv", "--InputFilter", "$[1:]", "--JoinSource", "Input")
    ok(transform.run(*args, "--OutputFilter", "$"))
    assert transform.out("d.csv") == b"id1,1.5,2.5,3.5,4.5,1.5,2.5,3.5,4.5\nid2,5.5,6.5,7.5,8.5,5.5,6.5,7.5,8.5\n"
    ok(transform.run(*args, "--OutputFilter", "$[0,5:]"))
    assert transform.out("d.csv") == b"id1,1.5,2.5,3.5,4.5\nid2,5.5,6.5,7.5,8.5\n"
    ok(transform.run(*args, "--OutputFilter", "$[0,-1]"))
    assert transform.out("d.csv") == b"id1,4.5\nid2,8.5\n"


def test_example_id_attribute_json(transform):
    transform.write("d.jsonl", '{"id": "a", "features": [1, 2]}\n{"id": "b", "features": [3, 4]}\n')
    args = ("--InputFilter", "$.features", "--JoinSource", "Input", "--OutputFilter", "$['id','SageMakerOutput']")
    ok(transform.run(*LINE, "--Accept", "application/jsonlines", *args))
    assert [json.loads(line) for line in transform.out("d.jsonl").splitlines()] == [
        {"id": "a", "SageMakerOutput": [1, 2]},
        {"id": "b", "SageMakerOutput": [3, 4]},
    ]


def test_json_document_with_split_none(transform):
    transform.write("d.json", '{"id": "a", "instances": [[1, 2]]}')
    args = ("--InputFilter", "$['instances']", "--JoinSource", "Input", "--OutputFilter", "$['id','SageMakerOutput']")
    ok(transform.run("--Accept", "application/json", *args))
    assert json.loads(transform.out("d.json")) == {"id": "a", "SageMakerOutput": {"predictions": [[1, 2]]}}


# --- the environment of a transform job, and /execution-parameters ---------------------------------------------


def test_the_server_gets_a_transform_jobs_environment(transform):
    transform.write("d.jsonl", '"env"\n')
    args = ("--MaxPayloadInMB", "50", "--BatchStrategy", "SingleRecord", "--MaxConcurrentTransforms", "2")
    ok(transform.run(*LINE, "--Accept", "application/jsonlines", *args))
    env = json.loads(transform.out("d.jsonl"))
    assert {k: v for k, v in env.items() if k != "SAGEMAKER_BIND_TO_PORT"} == {
        "SAGEMAKER_BATCH": "true",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB": "50",
        "SAGEMAKER_BATCH_STRATEGY": "SINGLE_RECORD",
        "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS": "2",
        "SAGEMAKER_MODEL_SERVER_WORKERS": "2",
    }


def test_settings_not_given_come_from_execution_parameters(transform):
    transform.write("d.csv", "1.5\n")
    # The server's /execution-parameters: MaxConcurrentTransforms its workers, MaxPayloadInMB its limit.
    log = ok(transform.run(*LINE, SAGEMAKER_MAX_PAYLOAD_IN_MB="20"))
    assert "BatchStrategy MultiRecord, MaxPayloadInMB 20, MaxConcurrentTransforms 2" in log
    log = ok(transform.run(*LINE, "--MaxConcurrentTransforms", "3"))
    assert "MaxPayloadInMB 6, MaxConcurrentTransforms 3" in log


def test_the_server_takes_what_it_reports(make_project, start_server):
    # In a transform job with MaxPayloadInMB 100: /execution-parameters says 100, and a 60 MB body is taken.
    server = start_server(
        make_project("describes_its_input"), SAGEMAKER_BATCH="true", SAGEMAKER_MAX_PAYLOAD_IN_MB="100"
    )
    assert requests.get(server.url + "/execution-parameters", timeout=5).json() == {
        "MaxConcurrentTransforms": 1,  # SageMaker: MaxConcurrentTransforms x MaxPayloadInMB <= 100
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 100,
    }
    body = b"1.5,2.5\n" * (60 * 1024 * 1024 // 8)
    answer = requests.post(server.url + "/invocations", data=body, headers={"Content-Type": "text/csv"}, timeout=120)
    assert answer.status_code == 200 and answer.json()["rows"] == len(body) // 8
    assert server.post("x" * (100 * 1024 * 1024 + 1)).status_code == 413


def test_execution_parameters_follow_the_jobs_environment(make_project, start_server):
    server = start_server(
        make_project("echoes_each_record"),
        SAGEMAKER_BATCH_STRATEGY="SINGLE_RECORD",
        SAGEMAKER_MAX_CONCURRENT_TRANSFORMS="4",
        SAGEMAKER_MAX_PAYLOAD_IN_MB="20",
    )
    assert requests.get(server.url + "/execution-parameters", timeout=5).json() == {
        "MaxConcurrentTransforms": 4,
        "BatchStrategy": "SINGLE_RECORD",
        "MaxPayloadInMB": 20,
    }


def test_a_wrong_batch_strategy_stops_serve(make_project):
    project = make_project("echoes_each_record")
    done = subprocess.run(
        project.command("serve"),
        env=project.env(SAGEMAKER_BATCH_STRATEGY="EVERYTHING"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "SAGEMAKER_BATCH_STRATEGY='EVERYTHING' is not MULTI_RECORD or SINGLE_RECORD" in done.stderr


# --- failures ------------------------------------------------------------------------------------------------------


def error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0
    return done.stderr.strip().splitlines()[-1]


def test_a_failing_request_stops_the_job_with_file_records_and_message(transform):
    transform.write("a.csv", "1.5\n2.5\n")
    transform.write("b.csv", "".join(f"{i}.5\n" for i in range(10)) + "boom\n" + "3.5\n")
    transform.write("c.csv", "4.5\n")
    line = error_line(transform.run(*LINE, "--Accept", "text/csv", "--BatchStrategy", "SingleRecord"))
    assert line.startswith("error: b.csv, records 11-11: the container answered 500: ")
    assert "the model failed on this request" in line
    # The file finished before stays; the failed one has no .out, and nothing half-written is left.
    assert transform.outputs() == ["a.csv.out"]


def test_a_refused_record_and_a_short_answer(transform):
    transform.write("a.csv", "1.5\nbad\n")
    line = error_line(transform.run(*LINE, "--Accept", "text/csv"))
    assert line == (
        'error: a.csv, records 1-2: the container answered 400: {"error": "the echo algorithm refuses the record '
        "'bad'\"}"
    )
    transform.write("a.csv", "1.5\nshort\n2.5\n")
    line = error_line(transform.run(*LINE, "--Accept", "text/csv"))
    assert line == (
        "error: a.csv, records 1-3: the container answered 2 record(s) for 3 input record(s); with AssembleWith "
        "Line or JoinSource Input it must answer one line per record"
    )
    assert transform.outputs() == []


def test_a_file_failing_midway_leaves_nothing_half_written(transform):
    # Three 1 MB mini-batches are answered and written before the record that does not fit stops the job.
    rows = "".join(f"{i}.5,{'7' * 990}\n" for i in range(3000))
    transform.write("a.csv", "1.5\n")
    transform.write("b.csv", rows + "9" * (2 << 20) + "\n")
    line = error_line(transform.run(*LINE, "--Accept", "text/csv", "--MaxPayloadInMB", "1"))
    assert line.startswith("error: b.csv: record 3001 is larger than MaxPayloadInMB"), line
    assert transform.outputs() == ["a.csv.out"]  # no .b.csv.out.*.partial either


def test_a_long_job_shows_progress(transform):
    transform.write("d.jsonl", '{"sleep": 0.45}\n' * 13)
    args = ("--Accept", "application/jsonlines", "--BatchStrategy", "SingleRecord", "--MaxConcurrentTransforms", "1")
    log = ok(transform.run(*LINE, *args))
    assert re.search(r"transform: 0/1 files, \d+ records, [\d.]+ records/s, ETA \d+ s", log), log
    assert re.search(r"transform: done: 1 file\(s\), 13 records in [\d.]+ s \([\d.]+ records/s\)", log), log


@pytest.mark.parametrize(
    "files, args, message",
    [
        ({}, (), "input folder <IN> has no files: put the files to transform in it"),
        ({".gitkeep": ""}, (), "input folder <IN> has no files: put the files to transform in it"),
        ({"a.dat": "x"}, (), "cannot tell one content type from the files' extensions (.dat): pass --ContentType"),
        ({"a.txt": "x"}, ("--ContentType", "text/plain"), "a.txt, records 1-1: the container answered 415: "),
        ({"a.csv": "1\n" + "2" * (1 << 20) + "\n"}, ("--SplitType", "Line", "--MaxPayloadInMB", "1"), None),
        ({"a.csv": "1\n"}, ("--InputFilter", "$[1"), "InputFilter/OutputFilter: '$[1': cannot read"),
        ({"a.csv": "1\n"}, ("--JoinSource", "Input"), "InputFilter, JoinSource and OutputFilter on CSV need SplitType"),
        ({"a.csv": "1\n"}, ("--MaxPayloadInMB", "101"), "MaxPayloadInMB 101: give 1 to 100"),
        (
            {"a.csv": "1\n"},
            ("--MaxPayloadInMB", "60", "--MaxConcurrentTransforms", "2"),
            "MaxConcurrentTransforms x MaxPayloadInMB = 2 x 60 is over 100",
        ),
    ],
)
def test_one_line_errors(transform, files, args, message):
    for name, text in files.items():
        transform.write(name, text)
    line = error_line(transform.run(*args))
    if message is None:
        assert line == "error: a.csv: record 2 is larger than MaxPayloadInMB (1,048,576 bytes): raise MaxPayloadInMB"
    else:
        assert line.startswith("error: " + message.replace("<IN>", str(transform.input))), line
    assert transform.outputs() == []


def test_missing_input_folder(transform, tmp_path):
    transform.input = tmp_path / "nowhere"
    done = subprocess.run(
        develop_tool("local.transform.runner", str(transform.input)),
        env={**os.environ, "PYTHONPATH": develop_path()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == f"error: input folder {transform.input} does not exist: put the files to transform in it\n"


def test_the_server_failing_to_start(transform):
    transform.write("a.csv", "1\n")
    (transform.project.folder / "algorithm.py").write_text("def initialize(d):\n    raise OSError('no model')\n")
    line = error_line(transform.run())
    assert line.startswith("error: the server exited with code ")


def servers_of(project) -> list[str]:
    """The processes still running this project's main.py (read from /proc: Linux, like the server)."""
    main = str(project.folder / "main.py")
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if main in cmdline.read_bytes().decode(errors="replace"):
                found.append(cmdline.parent.name)
        except OSError:  # the process ended meanwhile
            pass
    return found


def test_sigterm_stops_the_job_and_its_server(transform):
    transform.write("d.jsonl", '{"sleep": 0.3}\n' * 60)
    args = [*LINE, "--Accept", "application/jsonlines", "--BatchStrategy", "SingleRecord"]
    command = develop_tool("local.transform.runner", str(transform.input))
    command += [str(transform.output), "--serve-command"]
    command += [f"{sys.executable} {transform.project.folder / 'main.py'} serve", *args]
    log = transform.project.folder / "runner.log"
    with open(log, "w") as out:
        env = transform.project.env(PYTHONPATH=develop_path())
        runner = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "transform: 1 file(s)" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # a few records answered and written aside
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=60) == 130
    finally:
        if runner.poll() is None:
            runner.kill()
    assert log.read_text().strip().splitlines()[-1] == (
        "error: stopped; finished files stay, the file in progress was not written"
    )
    assert transform.outputs() == [] and servers_of(transform.project) == []


# --- concurrency -----------------------------------------------------------------------------------------------


def test_concurrent_requests_reach_both_workers(transform):
    # CPU-bound records, as a model's are: the busy worker's event loop then waits for the GIL, and the idle worker
    # accepts the connection the busy one hands off.
    transform.write("d.jsonl", '{"busy": 0.3}\n' * 12)
    args = ("--Accept", "application/jsonlines", "--BatchStrategy", "SingleRecord", "--MaxConcurrentTransforms", "2")
    ok(transform.run(*LINE, *args))
    calls = [json.loads(line) for line in transform.out("d.jsonl").splitlines()]
    assert len(calls) == 12
    pids = {c["pid"] for c in calls}
    assert len(pids) == 2, f"every request went to one worker: {calls}"
    # Two requests in flight at once on two workers: predictions overlap in time (at least two pairs, each counted
    # both ways; the first pair may queue on one worker before the hand-off).
    overlapping = sum(
        1 for a in calls for b in calls if a["pid"] != b["pid"] and a["start"] < b["end"] and b["start"] < a["end"]
    )
    assert overlapping >= 4, calls
