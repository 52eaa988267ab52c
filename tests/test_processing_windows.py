"""bin/process.sh and bin/local.sh process against their Windows twins, under a real cmd (tests/test_windows.py says
how the twins are run and compared)."""

from test_windows import assert_same, cluster_run, dev_run, stand_ins, twins, wine  # noqa: F401 (fixtures)


def test_process_hands_every_argument_to_the_image_and_returns_its_exit_code(twins):  # noqa: F811
    twins.answers["docker-run.rc"] = "3"  # a failed job's exit code is the script's
    twins.env = {"SAGEMAKER_PROGRAM": "x"}
    sh, bat = twins.both("process", "evaluate", "--target", "my label", "--seed=2")
    assert_same(sh, bat)
    assert sh.rc == 3
    assert sh.calls[-1] == [
        "<CWD>",
        "docker",
        "run",
        *dev_run(env="-e SAGEMAKER_PROGRAM"),
        "sagemaker-algorithm:dev",
        "process",
        "evaluate",
        "--target",
        "my label",
        "--seed=2",
    ]
    sh, bat = twins.both("process")
    assert_same(sh, bat)
    assert sh.calls[-1][-2:] == ["sagemaker-algorithm:dev", "process"]


def test_local_process_runs_main_py_process_with_the_arguments(twins):  # noqa: F811
    twins.answers["python-main-process.rc"] = "2"
    sh, bat = twins.both("local", "process", "preprocess", "--validation-fraction", "0.3")
    assert_same(sh, bat)
    assert sh.rc == 2
    assert sh.calls[-1][1:] == [
        "<venv python>",
        "<ROOT>/main.py",
        "process",
        "preprocess",
        "--validation-fraction",
        "0.3",
    ]


def test_process_on_several_instances_runs_the_cluster_tool_with_the_engines_socket(twins):  # noqa: F811
    twins.answers["docker-run.rc"] = "1"
    sh, bat = twins.both("process", "--instances", "2", "--cpus", "1", "preprocess", "--seed", "3")
    assert_same(sh, bat)
    assert sh.rc == 1
    assert sh.calls[-1] == [
        "<CWD>",
        "docker",
        "run",
        *cluster_run("develop.local.processing.cluster"),
        "--instances",
        "2",
        "--cpus",
        "1",
        "preprocess",
        "--seed",
        "3",
    ]
