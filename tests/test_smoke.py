"""develop/release/smoke.py: smoke-tests.json's two forms, and answers compared with the file's tolerance. The release's
smoke stage (tests/test_release.py), the contract suite and `bin/local.sh smoke` all go through it."""

import json
import subprocess
import sys

import pytest

from develop.release import smoke

from projects import EXAMPLE_DIR, develop_path

EXACT = smoke.Tolerance()
LOOSE = smoke.Tolerance(absolute=1e-6, relative=1e-6)


def write(project, document) -> None:
    folder = project / "opt/ml/input"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "payload.json").write_text('{"instances": [[1, 2]]}')
    (folder / "smoke-tests.json").write_text(json.dumps(document))


def test_the_plain_list_is_exact_and_the_object_carries_a_tolerance(tmp_path):
    case = {"payload": "payload.json", "accept": "application/json", "expect": {"predictions": [0.5]}}
    write(tmp_path, [case])
    assert smoke.load(tmp_path).tolerance == EXACT
    write(tmp_path, {"tolerance": {"absolute": 1e-6, "relative": 1e-6}, "cases": [case]})
    loaded = smoke.load(tmp_path)
    assert loaded.tolerance == LOOSE and loaded.cases == [
        smoke.Case("payload.json", "application/json", case["expect"])
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"cases": []}, "must be a list of"),
        ([{"accept": "text/csv", "expect": ""}], 'case 0 needs "payload" (a file name) and "expect"'),
        ([{"payload": "gone.json", "expect": 1}], "case 0: payload file"),
        ({"tolerance": {"absolute": -1}, "cases": [{"payload": "payload.json", "expect": 1}]}, "must be a number >= 0"),
        ({"tolerance": {"abs": 1}, "cases": [{"payload": "payload.json", "expect": 1}]}, '"tolerance" must be'),
    ],
)
def test_a_malformed_file_is_one_line_naming_it(tmp_path, document, message):
    write(tmp_path, document)
    with pytest.raises(smoke.SmokeError) as error:
        smoke.load(tmp_path)
    assert str(error.value).startswith(str(tmp_path / smoke.FILE)) and message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("answer", "accept", "expected"),
    [
        (b'{"predictions": [0.30000000000000004, "a"]}', "application/json", {"predictions": [0.3, "a"]}),
        (b"0.30000000000000004\n1e-20\n", "text/csv", "0.3\n0\n"),
        (b"0.30000000000000004,x\n", "text/csv", "0.3,x\n"),
        (b"[0.30000000000000004]\n[2]\n", "application/jsonlines", [[0.3], [2.0]]),
    ],
)
def test_numbers_within_the_tolerance_are_the_same_answer(answer, accept, expected):
    assert smoke.difference(answer, accept, expected, LOOSE) is None
    assert smoke.difference(answer, accept, expected, EXACT) is not None


@pytest.mark.parametrize(
    ("answer", "accept", "expected", "said"),
    [
        (
            b'{"predictions": [0.31]}',
            "application/json",
            {"predictions": [0.3]},
            "0.31 at .predictions[0], expected 0.3",
        ),
        (b'{"predictions": ["1"]}', "application/json", {"predictions": [1]}, "'1' at .predictions[0], expected 1"),
        (b'{"labels": [1]}', "application/json", {"predictions": [1]}, "keys are ['labels'], expected ['predictions']"),
        (b"a\nb\n", "text/csv", "a\n", "2 items, expected 1"),
        (b"a,2\n", "text/csv", "a,3\n", "2.0 at [0][1], expected 3.0"),
        (b"not json", "application/json", {}, "the answer is not application/json"),
    ],
)
def test_a_different_answer_says_where_and_how(answer, accept, expected, said):
    assert smoke.difference(answer, accept, expected, LOOSE).startswith(said)


def test_bin_local_smoke_runs_the_file_against_a_server(make_project, start_server, tmp_path):
    """`python -P -m develop.release.smoke URL`, what bin/local.sh smoke runs: the iris example's own file passes
    against its own server, and a case made wrong fails with its one line."""
    project = make_project("example")
    assert project.train().returncode == 0
    server = start_server(project, SAGEMAKER_MODEL_SERVER_WORKERS="1")

    def run(folder):
        return subprocess.run(
            [sys.executable, "-P", "-m", "develop.release.smoke", server.url],
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": develop_path(), "PROJECT_DIR": str(folder)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = run(EXAMPLE_DIR)
    assert done.returncode == 0 and done.stderr.endswith(f"answered as expected by {server.url}\n"), done.stderr
    cases = json.loads((EXAMPLE_DIR / smoke.FILE).read_text())
    cases[0]["expect"] = {"predictions": ["none", "of", "these"]}
    write(tmp_path, cases[:1])
    (tmp_path / "opt/ml/input/payload.json").write_bytes((EXAMPLE_DIR / "opt/ml/input/payload.json").read_bytes())
    done = run(tmp_path)
    assert done.returncode == 1
    first, last = done.stderr.splitlines()
    assert first.startswith("smoke: payload.json (application/json): answered ")
    assert first.endswith(" at .predictions[0], expected 'none'"), first
    assert last == f"error: 1 of 1 smoke test(s) failed against {server.url}"
