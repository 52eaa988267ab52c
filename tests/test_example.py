"""bin/example.sh's logic (develop/local/example.py), run as bin/local.sh example runs it, in a copy of the project."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from projects import ROOT

EXAMPLES = ROOT / "examples"
NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "algorithm.py").is_file())


@pytest.fixture
def project(tmp_path):
    """The project's develop/ and examples/, with examples/iris at the root, as a fresh clone has it."""
    folder = tmp_path / "project"
    shutil.copytree(ROOT / "develop", folder / "develop", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(EXAMPLES, folder / "examples")
    shutil.copytree(EXAMPLES / "iris", folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    (folder / "lib").mkdir()
    shutil.copy(ROOT / "lib" / "README.md", folder / "lib")
    for kept in ("model", "checkpoints"):
        (folder / "opt" / "ml" / kept).mkdir()
        (folder / "opt" / "ml" / kept / ".gitkeep").touch()
    return folder


def example(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-P", "-m", "develop.local.example", *args],
        cwd=project.parent,  # from any folder
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def holds(project: Path, name: str) -> bool:
    """The root's algorithm.py, lib/ (the template's note aside), opt/ml/input and transform/input are the example's."""
    source = EXAMPLES / name
    for part in ("opt/ml/input", "transform/input"):
        if tree(project / part) != tree(source / part):
            return False
    lib = {k: v for k, v in tree(project / "lib").items() if k != "README.md"}
    expected_lib = tree(source / "lib") if (source / "lib").is_dir() else {}
    return (project / "algorithm.py").read_bytes() == (source / "algorithm.py").read_bytes() and lib == expected_lib


def test_the_root_holds_an_example_whole_or_its_own_algorithm():
    """A fresh clone trains iris: its root's algorithm.py is examples/iris's, and so is every other file of the example,
    byte for byte (an edit to one copy of iris and not the other fails here). Once the user's, the root may hold another
    example, whole, or an algorithm of their own, which no example describes."""
    algorithm = (ROOT / "algorithm.py").read_bytes()
    for name in NAMES:
        if (EXAMPLES / name / "algorithm.py").read_bytes() == algorithm:
            assert holds(ROOT, name), f"the root's algorithm.py is examples/{name}'s, but not all of its files are"


def test_there_are_examples_of_more_than_one_shape():
    assert {"iris", "diabetes", "topics"} <= set(NAMES)
    for name in NAMES:
        folder = EXAMPLES / name
        assert (folder / "README.md").read_text().startswith(f"# {name}: "), name
        for path in ("opt/ml/input/config/hyperparameters.json", "opt/ml/input/smoke-tests.json"):
            assert (folder / path).is_file(), f"examples/{name}/{path}"
        assert list((folder / "opt" / "ml" / "input").glob("payload*")), name
        assert list((folder / "opt" / "ml" / "input" / "data" / "training").iterdir()), name
        assert list((folder / "transform" / "input").iterdir()), name
        size = sum(len(data) for data in tree(folder).values())
        assert size < 400_000, f"examples/{name} holds {size} bytes: keep an example small"


def test_no_argument_lists_the_examples_and_which_is_in_place(project):
    done = example(project)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "examples (bin/example.sh NAME switches the project to one):"
    assert [line.split()[0] for line in lines[1:-1]] == NAMES
    assert "  iris      a random forest that answers labels  (in place)" in lines
    assert lines[-1] == "the project holds the example iris"


@pytest.mark.parametrize("name", [n for n in NAMES if n != "iris"])
def test_switching_there_and_back(project, name):
    done = example(project, name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"the project now holds the example {name} (examples/{name}/README.md")
    assert holds(project, name)
    assert (project / "lib" / "README.md").read_bytes() == (ROOT / "lib" / "README.md").read_bytes()
    assert (project / "opt" / "ml" / "model" / ".gitkeep").is_file()
    assert example(project).stdout.splitlines()[-1] == f"the project holds the example {name}"

    done = example(project, "iris")
    assert done.returncode == 0, done.stderr
    assert holds(project, "iris")
    # No folder of the other example's is left behind (channels, lib/ modules)
    for part in ("opt/ml/input", "transform/input", "lib"):
        folders = {p.relative_to(project) for p in (project / part).rglob("*") if p.is_dir()}
        expected = {p.relative_to(EXAMPLES / "iris") for p in (EXAMPLES / "iris" / part).rglob("*") if p.is_dir()}
        assert folders == expected, part


def test_the_last_examples_outputs_are_set_aside_not_deleted(project):
    model = project / "opt" / "ml" / "model"
    (model / "model.joblib").write_bytes(b"the iris forest")
    (project / "opt" / "ml" / "output").mkdir()
    (project / "opt" / "ml" / "output" / "failure").write_text("an old failure")
    (project / "transform" / "output").mkdir()
    (project / "transform" / "output" / "iris.csv.out").write_text("setosa\n")
    # bin/train.sh writes these when missing: the switch takes them for neither the user's work nor the example's
    config = project / "opt" / "ml" / "input" / "config"
    (config / "inputdataconfig.json").write_text('{"training": {"ContentType": "text/csv"}}')
    (config / "resourceconfig.json").write_text('{"current_host": "algo-1"}')

    done = example(project, "diabetes")
    assert done.returncode == 0, done.stderr
    [aside] = (project / "set-aside").iterdir()
    assert aside.name.endswith("-iris")
    assert example(project).stdout.splitlines()[-1] == "the project holds the example diabetes"
    assert tree(aside) == {
        "opt/ml/input/config/inputdataconfig.json": b'{"training": {"ContentType": "text/csv"}}',
        "opt/ml/input/config/resourceconfig.json": b'{"current_host": "algo-1"}',
        "opt/ml/model/model.joblib": b"the iris forest",
        "opt/ml/output/failure": b"an old failure",
        "transform/output/iris.csv.out": b"setosa\n",
    }
    assert done.stdout.rstrip().endswith(
        f"set aside in set-aside/{aside.name}/: opt/ml/input/config/inputdataconfig.json, "
        "opt/ml/input/config/resourceconfig.json, opt/ml/model/model.joblib, opt/ml/output/failure, "
        "transform/output/iris.csv.out"
    )
    assert [p.name for p in model.iterdir()] == [".gitkeep"]


@pytest.mark.parametrize(
    "edit, named",
    [
        (lambda p: (p / "algorithm.py").write_text("# mine\n"), "algorithm.py"),
        (lambda p: (p / "opt/ml/input/config/hyperparameters.json").write_text("{}"), "config/hyperparameters.json"),
        (lambda p: (p / "opt/ml/input/data/training/mine.csv").write_text("a,b\n"), "training/mine.csv"),
        (lambda p: (p / "lib" / "features.py").write_text("X = 1\n"), "lib/features.py"),
        (lambda p: (p / "transform/input/iris.csv").unlink(), "transform/input/iris.csv"),
    ],
)
def test_work_that_is_no_examples_is_never_overwritten(project, edit, named):
    edit(project)
    before = tree(project)
    done = example(project, "diabetes")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: the project's algorithm is not one of the examples (")
    assert named in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "pass --force" in done.stderr
    assert tree(project) == before
    assert example(project).stdout.splitlines()[-1] == "the project holds an algorithm of its own"


def test_force_sets_the_work_aside_first(project):
    (project / "algorithm.py").write_text("# mine\n")
    (project / "lib" / "features.py").write_text("X = 1\n")
    parts = ("algorithm.py", "lib/f", "opt/", "transform/", "tests/algorithm/test")
    before = {k: v for k, v in tree(project).items() if k.startswith(parts)}
    before = {k: v for k, v in before.items() if not k.endswith(".gitkeep")}
    done = example(project, "diabetes", "--force")
    assert done.returncode == 0, done.stderr
    assert holds(project, "diabetes")
    [aside] = (project / "set-aside").iterdir()
    assert aside.name.endswith("-your-work")
    assert tree(aside) == before
    assert "algorithm.py" in done.stdout and "lib/features.py" in done.stdout


def test_an_unknown_example_or_argument_is_refused(project):
    done = example(project, "mnist")
    assert (done.returncode, done.stderr) == (
        1,
        f"error: no example 'mnist' in examples/: the examples are {', '.join(NAMES)}\n",
    )
    done = example(project, "iris", "--overwrite")
    assert done.returncode == 2 and "unrecognized arguments: --overwrite" in done.stderr
    assert holds(project, "iris")


def test_switches_in_the_same_second_set_aside_into_folders_of_their_own(project):
    for number, name in enumerate(["diabetes", "iris", "diabetes"]):
        (project / "opt" / "ml" / "model" / "model.joblib").write_text(f"model {number}")
        assert example(project, name).returncode == 0
    kept = sorted(p.read_text() for p in (project / "set-aside").rglob("model.joblib"))
    assert kept == ["model 0", "model 1", "model 2"]


def test_the_example_in_place_is_left_alone(project):
    (project / "opt" / "ml" / "model" / "model.joblib").write_bytes(b"trained")
    done = example(project, "iris")
    assert (done.returncode, done.stdout) == (0, "the project already holds the example iris: nothing to do\n")
    assert (project / "opt" / "ml" / "model" / "model.joblib").read_bytes() == b"trained"
