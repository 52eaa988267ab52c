"""develop/sagemaker/algorithm_spec.py (bin/algorithm-spec.sh): the create-algorithm input and the tuning job, derived
from algorithm.py and validated offline against botocore's SageMaker service model with botocore's own parameter
validator. Run here as the tests' Python without Docker, the fast loop; tests/test_tools_docker.py runs
bin/algorithm-spec.sh in the :dev image.

botocore lives in the AWS tools' venv that .ci/registry-up.sh makes (it clashes with pandas' python-dateutil pin);
without it the validation tests are skipped with a line that says so.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from framework.serving.decoders import DECODERS
from framework.serving.encoders import ENCODERS
from framework.training import metrics
from projects import EXAMPLE_DIR, develop_path, develop_tool

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-algorithm:1.2.0"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
DATA = "s3://my-bucket/iris"
VALIDATE = Path(__file__).resolve().parent / "botocore_validate.py"
USER_UID = 12345  # stands for the host user who owns the project, when the tests run as root


def aws_python() -> tuple[str | None, str]:
    """The AWS tools' Python (.ci/registry-up.sh's venv), where botocore is; or None and why not."""
    for folder in (os.environ.get("TEMPLATE_AWS_TOOLS"), Path.home() / ".cache" / "sagemaker-template" / "aws-tools"):
        python = Path(folder or "") / "bin" / "python"
        if folder and python.exists():
            if subprocess.run([str(python), "-c", "import botocore"], capture_output=True).returncode == 0:
                return str(python), ""
    return None, "botocore validation skipped: the AWS tools' venv is not installed (.ci/registry-up.sh makes it)"


AWS_PYTHON, NO_AWS_PYTHON = aws_python()
needs_botocore = pytest.mark.skipif(AWS_PYTHON is None, reason=NO_AWS_PYTHON)


def botocore_errors(*pairs: tuple[str, Path]) -> dict[str, list[str]]:
    args = [str(a) for pair in pairs for a in pair]
    done = subprocess.run([AWS_PYTHON, str(VALIDATE), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def spec(project: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """What bin/algorithm-spec.sh runs, with `project` on PYTHONPATH (its algorithm.py is the one described)."""
    return subprocess.run(
        develop_tool("sagemaker.algorithm_spec", *args),
        cwd=cwd or project,
        env={**os.environ, "PYTHONPATH": develop_path(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def written(out: Path) -> tuple[dict, dict]:
    return tuple(json.loads((out / name).read_text()) for name in ("create-algorithm.json", "create-tuning-job.json"))


def test_both_documents_for_the_example(tmp_path):
    out = tmp_path / "spec"
    done = spec(EXAMPLE_DIR, IMAGE, "--role", ROLE, "--data", DATA, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(out / "create-algorithm.json"), str(out / "create-tuning-job.json")]
    algorithm, tuning = written(out)
    training = algorithm["TrainingSpecification"]
    assert algorithm["AlgorithmName"] == "sagemaker-algorithm-1-2-0"
    assert training["TrainingImage"] == IMAGE and algorithm["InferenceSpecification"]["Containers"] == [
        {"Image": IMAGE}
    ]
    assert [h["Name"] for h in training["SupportedHyperParameters"]] == [
        "target",
        "n_estimators",
        "max_depth",
        "min_samples_leaf",
        "max_features",
        "criterion",
        "random_state",
    ]
    assert training["SupportedHyperParameters"][1] == {
        "Name": "n_estimators",
        "Type": "Integer",
        "Description": "trees in the forest",
        "Range": {"IntegerParameterRangeSpecification": {"MinValue": "10", "MaxValue": "500"}},
        "IsTunable": True,
        "IsRequired": False,
        "DefaultValue": "100",
    }
    assert training["MetricDefinitions"] == [
        {"Name": name, "Regex": metrics.regex(name)} for name in ("validation:accuracy", "train:accuracy")
    ]
    assert [(c["Name"], c["IsRequired"]) for c in training["TrainingChannels"]] == [
        ("training", True),
        ("validation", False),
    ]
    # The content types serve reads and answers, from the framework's own tables.
    assert algorithm["InferenceSpecification"]["SupportedContentTypes"] == list(DECODERS)
    assert algorithm["InferenceSpecification"]["SupportedResponseMIMETypes"] == list(ENCODERS)

    config = tuning["HyperParameterTuningJobConfig"]
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "validation:accuracy"}
    assert config["ParameterRanges"] == {
        "IntegerParameterRanges": [
            {"Name": "n_estimators", "MinValue": "10", "MaxValue": "500", "ScalingType": "Logarithmic"},
            {"Name": "min_samples_leaf", "MinValue": "1", "MaxValue": "20", "ScalingType": "Auto"},
        ],
        "ContinuousParameterRanges": [
            {"Name": "max_features", "MinValue": "0.1", "MaxValue": "1.0", "ScalingType": "Auto"}
        ],
        "CategoricalParameterRanges": [{"Name": "criterion", "Values": ["gini", "entropy", "log_loss"]}],
    }
    definition = tuning["TrainingJobDefinition"]
    assert definition["AlgorithmSpecification"]["MetricDefinitions"] == training["MetricDefinitions"]
    assert definition["RoleArn"] == ROLE
    assert [c["DataSource"]["S3DataSource"]["S3Uri"] for c in definition["InputDataConfig"]] == [
        "s3://my-bucket/iris/training/",
        "s3://my-bucket/iris/validation/",
    ]


@needs_botocore
def test_the_examples_documents_pass_botocores_validation(tmp_path):
    done = spec(EXAMPLE_DIR, IMAGE, "--role", ROLE, "--data", DATA, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    errors = botocore_errors(
        ("CreateAlgorithm", tmp_path / "create-algorithm.json"),
        ("CreateHyperParameterTuningJob", tmp_path / "create-tuning-job.json"),
    )
    assert errors == {str(tmp_path / "create-algorithm.json"): [], str(tmp_path / "create-tuning-job.json"): []}


@needs_botocore
def test_every_kind_of_hyperparameter_passes_botocores_validation(make_project):
    project = make_project("declares_every_kind")
    out = project.folder / "spec"
    done = spec(project.folder, "--name", "every kind", "--out", str(out))  # the image from image-uri.txt: none yet
    assert done.returncode == 2 and done.stderr.startswith("error: no image: give the URI bin/docker-push.sh printed")
    # As PowerShell's `bin\docker-push.bat 1.2.0 > image-uri.txt` writes it: UTF-16 with a byte-order mark.
    (project.folder / "image-uri.txt").write_text(IMAGE + "\r\n", encoding="utf-16")
    done = spec(project.folder, "--name", "every kind", "--objective", "train:rmse", "--out", str(out))
    assert done.returncode == 0, done.stderr
    # The path as the user finds it: relative to the project.
    assert (
        done.stderr == "note: give --role and --data, or edit RoleArn and the S3 URIs in spec/create-tuning-job.json\n"
    )
    algorithm, tuning = written(out)
    by_name = {h["Name"]: h for h in algorithm["TrainingSpecification"]["SupportedHyperParameters"]}
    assert by_name["label"] == {
        "Name": "label",
        "Type": "FreeText",
        "Description": "required: no default",
        "IsTunable": False,
        "IsRequired": True,
    }
    assert by_name["shuffle"]["Range"] == {"CategoricalParameterRangeSpecification": {"Values": ["True", "False"]}}
    assert by_name["loss"]["IsTunable"] is False and by_name["patience"]["IsTunable"] is False
    assert by_name["sizes"]["DefaultValue"] == "[64, 32]" and by_name["depth"]["DefaultValue"] == "None"
    assert algorithm["TrainingSpecification"]["TrainingChannels"][0]["SupportedContentTypes"] == [
        "application/x-parquet",
        "text/csv",
    ]
    # Its own DECODERS and ENCODERS join the built-in media types, as content_types.codecs(algorithm) has them.
    inference = algorithm["InferenceSpecification"]
    assert inference["SupportedContentTypes"] == [*DECODERS, "image/png"]
    assert inference["SupportedResponseMIMETypes"] == [*ENCODERS, "text/plain"]
    config = tuning["HyperParameterTuningJobConfig"]
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Minimize", "MetricName": "train:rmse"}
    assert [r["ScalingType"] for r in config["ParameterRanges"]["ContinuousParameterRanges"]] == [
        "Logarithmic",
        "ReverseLogarithmic",
    ]
    assert tuning["HyperParameterTuningJobName"] == "every-kind-tuning"
    errors = botocore_errors(
        ("CreateAlgorithm", out / "create-algorithm.json"),
        ("CreateHyperParameterTuningJob", out / "create-tuning-job.json"),
    )
    assert all(found == [] for found in errors.values()), errors


@needs_botocore
def test_the_validation_catches_what_sagemaker_would_refuse(tmp_path):
    done = spec(EXAMPLE_DIR, IMAGE, "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    algorithm, tuning = written(tmp_path)
    del algorithm["TrainingSpecification"]["TrainingChannels"]
    algorithm["TrainingSpecification"]["SupportedHyperParameters"][0]["Type"] = "Text"
    tuning["HyperParameterTuningJobConfig"]["ParameterRanges"]["IntegerParameterRanges"][0]["ScalingType"] = "Log"
    tuning["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxParallelTrainingJobs"] = 0
    (tmp_path / "bad-algorithm.json").write_text(json.dumps(algorithm))
    (tmp_path / "bad-tuning.json").write_text(json.dumps(tuning))
    errors = botocore_errors(
        ("CreateAlgorithm", tmp_path / "bad-algorithm.json"),
        ("CreateHyperParameterTuningJob", tmp_path / "bad-tuning.json"),
    )
    bad_algorithm, bad_tuning = errors[str(tmp_path / "bad-algorithm.json")], errors[str(tmp_path / "bad-tuning.json")]
    assert any("Missing required parameter" in e and "TrainingChannels" in e for e in bad_algorithm), bad_algorithm
    assert any("'Text' is not one of" in e for e in bad_algorithm), bad_algorithm
    assert any("'Log' is not one of" in e for e in bad_tuning), bad_tuning
    assert any("MaxParallelTrainingJobs" in e for e in bad_tuning), bad_tuning


@pytest.mark.parametrize(
    "args, message",
    [
        (["--objective", "loss"], "error: objective 'loss' is not in METRICS: validation:accuracy, train:accuracy"),
        (["has space"], "error: 'has space' is not an image URI"),
        (
            ["--role", "SageMakerRole"],
            "error: --role 'SageMakerRole' is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)",
        ),
        (["--data", "my-bucket/iris"], "error: --data 'my-bucket/iris' is not an S3 URI (s3://bucket/prefix)"),
    ],
)
def test_wrong_arguments_stop_with_one_line(tmp_path, args, message):
    done = spec(EXAMPLE_DIR, *([IMAGE] if args[0].startswith("--") else []), *args, "--out", str(tmp_path))
    assert done.returncode == 2 and done.stderr == message + "\n"


@pytest.mark.parametrize(
    "remove, message",
    [
        ("METRICS", "error: algorithm.py declares no METRICS: a tuning job needs an objective metric"),
        ("TRAINING_CONTENT_TYPES", 'error: algorithm.py declares no TRAINING_CONTENT_TYPES (e.g. ["text/csv"])'),
    ],
)
def test_what_algorithm_py_lacks_is_named(make_project, remove, message):
    project = make_project("declares_every_kind")
    source = project.folder / "algorithm.py"
    source.write_text("\n".join(line for line in source.read_text().splitlines() if not line.startswith(remove)))
    done = spec(project.folder, IMAGE, "--out", str(project.folder / "spec"))
    assert done.returncode == 2 and done.stderr.startswith(message), done.stderr


def test_out_is_in_the_project_and_what_it_writes_is_its_owners(make_project, tmp_path):
    """In the :dev image algorithm_spec.py runs as root: what it writes is handed to the owner of the project."""
    project = make_project("example")
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(project.folder, USER_UID, USER_UID)
    (project.folder / "image-uri.txt").write_text(IMAGE + "\n")  # read from the project, wherever it runs from
    done = spec(project.folder, "--out", "specs/new", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["specs/new/create-algorithm.json", "specs/new/create-tuning-job.json"]
    assert done.stderr.endswith("RoleArn and the S3 URIs in specs/new/create-tuning-job.json\n")
    assert written(project.folder / "specs" / "new")[0]["TrainingSpecification"]["TrainingImage"] == IMAGE
    if as_root:
        made = [project.folder / "specs", *(project.folder / "specs").rglob("*")]
        assert len(made) == 4 and [p for p in made if p.stat().st_uid != USER_UID] == []
        assert (project.folder / "image-uri.txt").stat().st_uid == 0  # what it did not write is left alone
