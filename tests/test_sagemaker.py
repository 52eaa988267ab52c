"""bin/sagemaker.sh's commands (develop/sagemaker) without an AWS account, proven three ways:

1. every SageMaker request they send is validated against botocore's service model (tests/botocore_validate.py: its
   ParamValidator, plus the enums and patterns it leaves to the service), and a malformed one is shown to fail;
2. each command's sequence and happy path against moto's server on 127.0.0.1, reached through AWS_ENDPOINT_URL as
   boto3 reaches AWS, with what moto lacks (UpdateEndpoint, StopTrainingJob, a transform job's output) done on its
   backend (tests/sagemaker_driver.py says how);
3. failures moto cannot produce with botocore's Stubber: a training job that fails, an endpoint that fails, an update
   that rolls back, a wait that times out, Ctrl-C during training (a real SIGINT); throttling goes through botocore's
   real retry loop (answered at `before-send`, where a Stubber would skip the retries).

The commands need boto3, which lives in the AWS tools' venv that .ci/registry-up.sh makes (its python-dateutil
clashes with the runtime's): they run there, in tests/sagemaker_driver.py, and this module checks what they printed
and sent. Without that venv the tests are skipped with a line that says so. algorithm.py is described by the tests'
own Python (ALGORITHM_PYTHON), as the :dev image's runtime Python describes it for bin/sagemaker.sh.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_algorithm_spec import AWS_PYTHON, NO_AWS_PYTHON, VALIDATE

from conftest import ROOT
from projects import EXAMPLE, EXAMPLE_DIR

DRIVER = Path(__file__).resolve().parent / "sagemaker_driver.py"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
BUCKET = "template-test-bucket"  # made by the driver in moto
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-algorithm:1.2.0"
SECRET = "fake-secret-never-printed"


def moto_missing() -> str | None:
    if AWS_PYTHON is None:
        return NO_AWS_PYTHON
    done = subprocess.run([AWS_PYTHON, "-c", "import boto3, moto.server"], capture_output=True, timeout=120)
    return None if done.returncode == 0 else "SageMaker command tests skipped: moto is not in the AWS tools' venv"


MISSING = moto_missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path)


def copy_project(tmp_path: Path) -> Path:
    """What a clone holds that the commands read: algorithm.py and what describes it, opt/ml, transform/input (the
    iris example's, whatever the root holds)."""
    folder = tmp_path / "my project"
    ignore = shutil.ignore_patterns("__pycache__", "model", "output", "checkpoints")
    folder.mkdir()
    for source in (EXAMPLE, ROOT / "main.py"):
        shutil.copy(source, folder / source.name)
    for name in ("framework", "lib", "develop"):
        shutil.copytree(ROOT / name, folder / name, ignore=ignore)
    for name in ("opt", "transform/input"):
        shutil.copytree(EXAMPLE_DIR / name, folder / name, ignore=ignore)
    return folder


def environment(**extra: str) -> dict:
    """The tests' environment without any AWS setting of the machine's, plus the commands' settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **clean,
        "ALGORITHM_PYTHON": sys.executable,
        "EXECUTION_ROLE": ROLE,
        "S3_BUCKET": BUCKET,
        "AWS_SESSION_TOKEN": SECRET,
        **extra,
    }


def drive(project: Path, mode: str, *args: str, answer: str | None = None, **env: str) -> tuple[list[dict], list[dict]]:
    """The driver's results (one per command) and every request sent; `answer`: what the user types on stdin."""
    record = project.parent / "requests.jsonl"
    record.unlink(missing_ok=True)
    done = subprocess.run(
        [AWS_PYTHON, str(DRIVER), mode, str(project), str(record), *args],
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=600,
        **({"input": answer} if answer is not None else {"stdin": subprocess.DEVNULL}),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    for result in results:
        assert SECRET not in json.dumps(result)  # credentials are never printed
    sent = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    return results, sent


def on_moto(
    project: Path, *commands: list[str], answer: str | None = None, **env: str
) -> tuple[list[dict], list[dict], int]:
    """Runs the commands in order against one moto server: (their results, the requests, throttled sends)."""
    results, sent = drive(project, "moto", *(json.dumps(c) for c in commands), answer=answer, **env)
    return results[:-1], sent, results[-1]["throttled"]


def ok(result: dict) -> str:
    assert result["code"] == 0, result
    return result["stdout"]


def error_line(result: dict, code: int) -> str:
    """A failure: its exit code and ONE line saying why, last on stderr, nothing on stdout."""
    assert result["code"] == code, result
    assert result["stdout"] == "", result
    last = result["stderr"].splitlines()[-1]
    assert last.startswith("error: ") and result["stderr"].count("error: ") == 1, result["stderr"]
    return last.removeprefix("error: ")


def requests_of(sent: list[dict], operation: str) -> list[dict]:
    return [r["params"] for r in sent if r["operation"] == operation]


def botocore_errors(sent: list[dict], folder: Path, services=("sagemaker",)) -> dict[str, list[str]]:
    """Every request to these services, validated against botocore's service models: {file: errors}."""
    pairs = []
    for index, request in enumerate(r for r in sent if r["service"] in services):
        path = folder / f"{index:03d}-{request['operation']}.json"
        path.write_text(json.dumps(request["params"]))
        pairs += [f"{request['service']}:{request['operation']}", str(path)]
    assert pairs
    done = subprocess.run([AWS_PYTHON, str(VALIDATE), *pairs], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def state(project: Path) -> list[dict]:
    path = project / "sagemaker-state.json"
    return json.loads(path.read_text())["resources"] if path.exists() else []


# --- the whole loop on moto ------------------------------------------------------------------------------------------

# What the training job's two hosts log in CloudWatch (the driver writes it as the job starts).
LOGS = {"algo-1-1700000000": ["reading training/iris.csv", "validation:accuracy 0.96"], "algo-2-1700000000": ["idle"]}


def test_train_deploy_predict_transform_update_status_destroy(project, tmp_path):
    results, sent, _ = on_moto(
        project,
        ["train", "--image", IMAGE, "--instance-count", "2", "--spot", "--max-runtime", "600"],
        ["deploy"],
        ["predict", "opt/ml/input/payload.csv", "text/csv", "--custom-attributes", "trace=1"],
        ["transform", "--SplitType", "Line", "--Accept", "text/csv", "--MaxPayloadInMB", "1"],
        ["deploy", "--canary", "25", "--bake-seconds", "600", "--alarm", "algo-5xx", "--alarm", "algo-latency"],
        ["status"],
        ["destroy", "--yes"],
        ["status"],
        ENDPOINT_RESULTS=json.dumps([{"Body": "setosa\n", "ContentType": "text/csv"}]),
        LOG_LINES=json.dumps(LOGS),
    )
    train, deploy, predict, transform, update, status, destroy, after = results

    # train: the channels uploaded, the job made from the project's files, the model's URI alone on stdout.
    model = ok(train).strip()
    job = requests_of(sent, "CreateTrainingJob")[0]
    assert model == f"s3://{BUCKET}/sagemaker-algorithm/output/{job['TrainingJobName']}/output/model.tar.gz"
    assert "data/training/: 1 file(s) uploaded, 0 unchanged" in train["stderr"]
    assert job["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert job["AlgorithmSpecification"]["MetricDefinitions"] == spec_metric_definitions(project)
    assert job["HyperParameters"] == json.loads((project / "opt/ml/input/config/hyperparameters.json").read_text())
    assert {c["ChannelName"]: c["ContentType"] for c in job["InputDataConfig"]} == {
        "training": "text/csv",
        "validation": "text/csv",
    }
    assert job["ResourceConfig"]["InstanceCount"] == 2 and job["EnableManagedSpotTraining"] is True
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 1200}
    assert job["CheckpointConfig"]["LocalPath"] == "/opt/ml/checkpoints"
    assert job["RoleArn"] == ROLE
    # every host's log, each line after its host's name, and the status changes
    logged = [line for line in train["stderr"].splitlines() if line.startswith("[algo-")]
    assert logged == ["[algo-1] reading training/iris.csv", "[algo-1] validation:accuracy 0.96", "[algo-2] idle"]
    assert f"training job {job['TrainingJobName']}: Completed" in train["stderr"]

    # deploy: model, configuration, endpoint, in that order; the endpoint's name alone on stdout.
    assert ok(deploy) == "sagemaker-algorithm\n"
    created = [r["operation"] for r in sent if r["operation"].startswith("Create")]
    assert created[1:4] == ["CreateModel", "CreateEndpointConfig", "CreateEndpoint"]
    model_request = requests_of(sent, "CreateModel")[0]
    assert model_request["PrimaryContainer"] == {"Image": IMAGE, "ModelDataUrl": model}

    # predict: bin/predict.sh's arguments, the body answered on stdout.
    assert ok(predict) == "setosa\n\n"
    invoke = requests_of(sent, "InvokeEndpoint")[0]
    assert (invoke["ContentType"], invoke["Accept"], invoke["CustomAttributes"]) == ("text/csv", "text/csv", "trace=1")

    # transform: the job with bin/transform.sh's options, and <file>.out downloaded into transform/output.
    assert ok(transform) == "transform/output/iris.csv.out\n"
    lines = (project / "transform/input/iris.csv").read_text().splitlines()
    assert (project / "transform/output/iris.csv.out").read_text().splitlines()[-1] == f"answer {len(lines)}"
    job = requests_of(sent, "CreateTransformJob")[0]
    assert job["TransformInput"]["SplitType"] == "Line" and job["TransformInput"]["ContentType"] == "text/csv"
    assert job["TransformOutput"]["Accept"] == "text/csv" and job["MaxPayloadInMB"] == 1

    # the update: in place, blue/green with a canary and the alarms that roll it back.
    assert ok(update) == "sagemaker-algorithm\n"
    change = requests_of(sent, "UpdateEndpoint")[0]
    policy = change["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        "WaitIntervalInSeconds": 600,
    }
    assert change["DeploymentConfig"]["AutoRollbackConfiguration"] == {
        "Alarms": [{"AlarmName": "algo-5xx"}, {"AlarmName": "algo-latency"}]
    }
    assert change["EndpointConfigName"] == requests_of(sent, "CreateEndpointConfig")[1]["EndpointConfigName"]

    # status: every resource with its state, the endpoint's cost per hour.
    rows = [line.split("\t") for line in ok(status).splitlines()]
    endpoint_row = next(row for row in rows if row[0] == "endpoint")
    assert endpoint_row[2].startswith("InService") and endpoint_row[3] == "$0.115/h (1 x ml.m5.large)"
    assert {row[0] for row in rows} >= {"training-job", "model", "endpoint-config", "endpoint", "transform-job"}

    # destroy: exactly what was made, endpoint before its configurations before their models; then nothing is left.
    ok(destroy)
    deleted = [r["params"] for r in sent if r["operation"].startswith("Delete")]
    deleted_names = [next(iter(p.values())) for p in deleted if "Bucket" not in p]
    made = [
        next(iter(p.values()))
        for op in ("CreateEndpoint", "CreateEndpointConfig", "CreateModel")
        for p in requests_of(sent, op)
    ]
    assert sorted(deleted_names) == sorted(made)
    order = [
        r["operation"] for r in sent if r["operation"] in ("DeleteEndpoint", "DeleteEndpointConfig", "DeleteModel")
    ]
    assert order == ["DeleteEndpoint", "DeleteEndpointConfig", "DeleteEndpointConfig", "DeleteModel", "DeleteModel"]
    assert state(project) == []
    assert "nothing" in after["stderr"] and after["stdout"] == ""

    # Every SageMaker request the commands sent has the shape botocore's service model requires.
    errors = botocore_errors(sent, tmp_path)
    assert len(errors) > 20 and {path: e for path, e in errors.items() if e} == {}


def spec_metric_definitions(project: Path) -> list[dict]:
    """What bin/algorithm-spec.sh writes for this algorithm.py: the same MetricDefinitions, from the same code."""
    out = project.parent / "spec"
    done = subprocess.run(
        [sys.executable, "-P", "-m", "develop.sagemaker.algorithm_spec", IMAGE, "--out", str(out)],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads((out / "create-algorithm.json").read_text())["TrainingSpecification"]["MetricDefinitions"]


def test_train_uploads_only_what_changed_and_deletes_only_its_own_objects(project):
    iris = (project / "opt/ml/input/data/training/iris.csv").read_text()
    results, sent, _ = on_moto(
        project,
        ["train", "--image", IMAGE],
        ["@write", "opt/ml/input/data/validation/extra.csv", iris],
        ["train", "--image", IMAGE],
        ["@remove", "opt/ml/input/data/validation/extra.csv"],
        ["@write", "opt/ml/input/data/training/iris.csv", iris + iris.splitlines()[-1] + "\n"],
        ["train", "--image", IMAGE],
    )
    first, added, changed = (ok(r) and r["stderr"] for r in results)
    assert "data/training/: 1 file(s) uploaded, 0 unchanged" in first
    assert "data/training/: 0 file(s) uploaded, 1 unchanged" in added
    assert "data/validation/: 1 file(s) uploaded, 1 unchanged" in added
    assert "data/training/: 1 file(s) uploaded, 0 unchanged" in changed
    assert "data/validation/: 0 file(s) uploaded, 1 unchanged" in changed
    assert f"deleted s3://{BUCKET}/sagemaker-algorithm/data/validation/extra.csv" in changed
    puts = [r["params"]["Key"] for r in sent if r["operation"] == "PutObject"]
    assert [key.split("/data/")[1] for key in puts] == [
        "training/iris.csv",
        "validation/iris.csv",
        "validation/extra.csv",
        "training/iris.csv",
    ]
    assert [r["params"]["Key"] for r in sent if r["operation"] == "DeleteObject"] == [
        "sagemaker-algorithm/data/validation/extra.csv"
    ]


def test_a_deploy_with_a_new_model_updates_in_place_and_an_update_that_rolls_back_fails(project, tmp_path):
    results, sent, _ = on_moto(
        project,
        ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE],
        ["deploy", "--model-data", "s3://models/m2.tar.gz", "--image", IMAGE, "--alarm", "algo-5xx"],
        ROLLBACK="Alarm algo-5xx fired in the baking period",
    )
    ok(results[0])
    assert error_line(results[1], 1).startswith("the update of endpoint sagemaker-algorithm was rolled back to ")
    assert "Alarm algo-5xx fired in the baking period" in results[1]["stderr"]
    update = requests_of(sent, "UpdateEndpoint")[0]
    assert update["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "ALL_AT_ONCE"


def test_serverless_and_asynchronous_endpoints_and_an_asynchronous_prediction(project, tmp_path):
    results, sent, _ = on_moto(
        project,
        [
            "deploy",
            "--mode",
            "serverless",
            "--memory-mb",
            "3072",
            "--max-concurrency",
            "2",
            "--model-data",
            "s3://models/m.tar.gz",
            "--image",
            IMAGE,
            "--endpoint",
            "algo-serverless",
        ],
        [
            "deploy",
            "--mode",
            "async",
            "--model-data",
            "s3://models/m.tar.gz",
            "--image",
            IMAGE,
            "--endpoint",
            "algo-async",
        ],
        ["predict", "--endpoint", "algo-async", "opt/ml/input/payload.jsonl", "application/jsonlines"],
        ["status"],
    )
    for result in results:
        ok(result)
    serverless, asynchronous = requests_of(sent, "CreateEndpointConfig")
    assert serverless["ProductionVariants"][0]["ServerlessConfig"] == {"MemorySizeInMB": 3072, "MaxConcurrency": 2}
    assert "InstanceType" not in serverless["ProductionVariants"][0]
    assert asynchronous["AsyncInferenceConfig"]["OutputConfig"]["S3OutputPath"] == (
        f"s3://{BUCKET}/sagemaker-algorithm/async/output/"
    )
    # The payload went through S3 and the answer was read back from where the endpoint wrote it.
    invoke = requests_of(sent, "InvokeEndpointAsync")[0]
    assert invoke["InputLocation"].startswith(f"s3://{BUCKET}/sagemaker-algorithm/async/input/")
    assert invoke["InputLocation"].endswith("/payload.jsonl") and invoke["ContentType"] == "application/jsonlines"
    assert json.loads(results[2]["stdout"]) == {"default": "response"}  # moto's answer, written to S3 by moto
    assert "per inference second" in results[3]["stdout"]
    errors = botocore_errors(sent, tmp_path)
    assert {path: e for path, e in errors.items() if e} == {}


def test_throttling_is_retried_by_the_clients_own_retry(project):
    results, sent, throttled = on_moto(
        project, ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE], THROTTLE="DescribeEndpoint:3"
    )
    assert ok(results[0]) == "sagemaker-algorithm\n"
    assert throttled == 3


def test_destroy_without_yes_and_no_one_to_ask_deletes_nothing(project):
    results, sent, _ = on_moto(
        project,
        ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE],
        ["destroy"],
        ["status"],
    )
    assert error_line(results[1], 2) == "destroy would delete the 3 resources above: confirm with --yes"
    assert not [r for r in sent if r["operation"].startswith("Delete")]
    assert "InService" in ok(results[2]) and len(state(project)) == 3


def test_destroy_asks_first_and_a_no_deletes_nothing(project):
    deploy = ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE]
    results, sent, _ = on_moto(project, deploy, ["destroy"], answer="n\n")
    assert "delete these 3 resources? [y/N]" in results[1]["stderr"] and "nothing deleted" in results[1]["stderr"]
    assert ok(results[1]) == "" and not [r for r in sent if r["operation"].startswith("Delete")]
    assert len(state(project)) == 3
    results, sent, _ = on_moto(project, ["destroy"], answer="y\n")  # the same state file, a fresh moto
    assert ok(results[0]) == "" and state(project) == []
    # gone already (this moto never had them): deleted as far as the state file is concerned, without an error
    assert [r["operation"] for r in sent if r["operation"].startswith("Delete")] == [
        "DeleteEndpoint",
        "DeleteEndpointConfig",
        "DeleteModel",
    ]


def test_an_endpoint_not_made_by_the_project_is_never_touched(project):
    results, sent, _ = on_moto(
        project,
        ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE],
        ["@forget-state"],
        ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE],
    )
    assert error_line(results[1], 2) == (
        "endpoint sagemaker-algorithm exists and was not made by this project's bin/sagemaker.sh: "
        "give another name (--endpoint or ENDPOINT_NAME)"
    )
    assert not requests_of(sent, "UpdateEndpoint") and len(requests_of(sent, "CreateModel")) == 1


def test_status_and_destroy_look_where_each_resource_was_made(project):
    """A resource recorded in another region than today's AWS_REGION is described and deleted in its own."""
    deploy = ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE]
    results, sent, _ = on_moto(project, deploy, ["@move-state", "us-west-2"], ["status"], ["destroy", "--yes"])
    # moto made them in eu-west-1: in us-west-2, where the state file now says they are, there is nothing
    assert [row.split("\t")[2] for row in ok(results[1]).splitlines()] == ["gone", "gone", "gone"]
    ok(results[2])
    assert state(project) == [] and not [r for r in sent if r["operation"].startswith("Delete")]


def test_transform_refuses_what_bin_transform_sh_refuses_before_uploading(project):
    results, sent, _ = on_moto(
        project,
        ["transform", "--InputFilter", "$[1:", "--SplitType", "Line"],
        ["transform", "--JoinSource", "Input", "--SplitType", "Line", "--AssembleWith", "Line"],
    )
    assert error_line(results[0], 2).startswith("InputFilter/OutputFilter: ")
    assert error_line(results[1], 2) == "JoinSource and OutputFilter need the same format in and out: Accept text/csv"
    assert sent == []  # nothing uploaded, no job


def test_a_malformed_request_fails_the_validation(project, tmp_path):
    """The validation can fail: the commands' own request, with one field wrong, is refused."""
    results, sent, _ = on_moto(project, ["train", "--image", IMAGE])
    ok(results[0])
    request = next(r for r in sent if r["operation"] == "CreateTrainingJob")
    request["params"]["ResourceConfig"]["InstanceType"] = "m5.large"  # not ml.m5.large
    request["params"]["InputDataConfig"][0]["InputMode"] = "Fast"
    errors = [e for found in botocore_errors([request], tmp_path).values() for e in found]
    assert len(errors) == 2 and "'m5.large' is not one of" in errors[0] + errors[1]


# --- before any call: settings and credentials -----------------------------------------------------------------------


def command(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """python -m develop.sagemaker as bin/sagemaker.sh runs it, with AWS at a closed port: a call would fail
    differently from the one line each check gives."""
    base = {k: v for k, v in environment().items() if k not in ("AWS_SESSION_TOKEN",)}
    return subprocess.run(
        [AWS_PYTHON, "-P", "-m", "develop.sagemaker", *args],
        cwd=project,
        env={
            **base,
            "HOME": str(project.parent),  # no ~/.aws
            "AWS_EC2_METADATA_DISABLED": "true",  # no instance role looked for off this machine
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "PYTHONPATH": str(project),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAFAKE", "AWS_SECRET_ACCESS_KEY": SECRET}


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["status"], {}, "no AWS region: set AWS_REGION in .env (or a profile's region) or give --region"),
        (["status", "--region", "eu-west-1"], {}, "no AWS credentials: set AWS_PROFILE in .env"),
        (["status"], {"AWS_PROFILE": "nobody"}, "the AWS profile 'nobody' is not in ~/.aws/config"),
        (["train", "--region", "eu-west-1"], {**CREDENTIALS, "EXECUTION_ROLE": ""}, "no SageMaker execution role"),
        (["train", "--role", "admin"], {**CREDENTIALS, "AWS_REGION": "eu-west-1"}, "'admin' is not an IAM role ARN"),
        (["transform"], {**CREDENTIALS, "AWS_REGION": "eu-west-1", "S3_BUCKET": ""}, "no S3 bucket: set S3_BUCKET"),
        (["train", "--bucket", "s3://b"], {**CREDENTIALS, "AWS_REGION": "eu-west-1"}, "is not an S3 bucket name"),
        (["predict", "nothing.csv"], {**CREDENTIALS, "AWS_REGION": "eu-west-1"}, "payload file nothing.csv not found"),
        # A folder is a location of the SDK's local mode (tests/test_sagemaker_local.py), never of AWS.
        (["status", "--bucket", "file:///data"], {**CREDENTIALS, "AWS_REGION": "eu-west-1"}, "is a folder: file://"),
    ],
)
def test_a_missing_setting_is_one_line_before_any_call(project, args, env, message):
    done = command(project, *args, **env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and message in done.stderr, done.stderr
    assert SECRET not in done.stderr


def test_an_unknown_argument_gets_the_usage_line(project):
    done = command(project, "train", "--fast")
    assert done.returncode == 2 and done.stderr.startswith("usage: bin/sagemaker.sh train")
    assert "unrecognized arguments: --fast" in done.stderr


def test_aws_out_of_reach_is_one_line(project):
    done = command(project, "status", **CREDENTIALS, AWS_REGION="eu-west-1")
    (project / "sagemaker-state.json").write_text(
        json.dumps(
            {
                "resources": [
                    {"kind": "endpoint", "name": "e", "region": "eu-west-1", "created": "2026-12-03T12:00:00+00:00"}
                ]
            }
        )
    )
    done = command(project, "status", **CREDENTIALS, AWS_REGION="eu-west-1", AWS_MAX_ATTEMPTS="1")
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "Could not connect to the endpoint URL" in done.stderr


@pytest.mark.parametrize("max_attempts, sends", [(None, None), ("3", 3)])
def test_attempts_are_ten_in_all_unless_aws_max_attempts_says(project, max_attempts, sends):
    """botocore's "max_attempts" in a client's retries counts the retries alone (11 sends) and overrides the user's
    AWS_MAX_ATTEMPTS: the clients give "total_max_attempts", and only when the user gives none."""
    count = (
        "import boto3, botocore.exceptions\n"
        "from develop.sagemaker.aws import Aws\n"
        "client, sent = Aws(boto3.Session(region_name='eu-west-1')).sagemaker, []\n"
        "print(client.meta.config.retries)\n"
        "client.meta.events.register('before-send', lambda **_: sent.append(1))\n"
        "try:\n"
        "    client.list_endpoints()\n"
        "except botocore.exceptions.EndpointConnectionError:\n"
        "    print(len(sent))\n"
    )
    env = {k: v for k, v in environment().items() if k != "AWS_MAX_ATTEMPTS"}
    env |= {**CREDENTIALS, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "PYTHONPATH": str(project)}
    if max_attempts is not None:
        env["AWS_MAX_ATTEMPTS"] = max_attempts
    if sends is None:  # ten real attempts take half a minute of backoff: the client's configuration says it
        count = count.split("client.meta.events")[0]
    done = subprocess.run([AWS_PYTHON, "-c", count], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == str({"mode": "standard", "total_max_attempts": int(max_attempts or 10)})
    assert lines[1:] == ([] if sends is None else [str(sends)])


def test_a_bad_aws_max_attempts_is_one_line(project):
    done = command(project, "status", **CREDENTIALS, AWS_REGION="eu-west-1", AWS_MAX_ATTEMPTS="many")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "AWS_MAX_ATTEMPTS='many' (or the profile's max_attempts) is not a whole number" in done.stderr


# --- failures moto cannot produce: botocore's Stubber -----------------------------------------------------------------


def stubbed(project: Path, scenario: str, *argv: str, **env: str) -> dict:
    results, _ = drive(project, "stub", scenario, *argv, **env)
    return results[0]


def test_a_failed_training_job_prints_its_reason_and_exits_non_zero(project):
    result = stubbed(project, "training_fails", "train", "--image", IMAGE)
    assert error_line(result, 1).endswith("is Failed: AlgorithmError: column 'species' not found in training/iris.csv")
    assert result["unused"] == 0


def test_a_wait_that_runs_out_says_so_and_what_is_left_running(project):
    result = stubbed(project, "training_times_out", "train", "--image", IMAGE, "--wait-timeout", "0.05")
    message = error_line(result, 1)
    assert "after 0.05 s: it is still InProgress" in message and "bin/sagemaker.sh destroy" in message


def test_ctrl_c_stops_the_training_job_on_sagemaker_and_says_so(project):
    result = stubbed(project, "training_interrupted", "train", "--image", IMAGE)
    assert "Ctrl-C: stopping training job" in result["stderr"]
    assert error_line(result, 130).endswith("was stopped on SageMaker (Ctrl-C); it ended Stopped")
    assert result["unused"] == 0  # StopTrainingJob was called, then the job was seen Stopped


def test_an_endpoint_that_fails_prints_its_reason(project):
    result = stubbed(project, "endpoint_fails", "deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE)
    assert error_line(result, 1) == (
        "endpoint sagemaker-algorithm is Failed: The primary container for production variant AllTraffic did not "
        "pass the ping health check. (the health check waited the default 4 minutes: a model that takes longer to "
        "load needs --startup-timeout SECONDS, up to 3600)"
    )
    assert result["unused"] == 0


def test_ctrl_c_while_an_endpoint_is_created_says_it_goes_on_and_keeps_it_recorded(project):
    result = stubbed(project, "deploy_interrupted", "deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE)
    assert error_line(result, 130) == (
        "stopped (Ctrl-C); what was started goes on on SageMaker: bin/sagemaker.sh status shows it, "
        "bin/sagemaker.sh destroy removes it"
    )
    assert [e["kind"] for e in state(project)] == ["model", "endpoint-config", "endpoint"]
    assert result["unused"] == 0


def test_an_update_rolled_back_by_an_alarm_is_a_failure_with_its_reason(project):
    (project / "sagemaker-state.json").write_text(
        json.dumps(
            {
                "resources": [
                    {
                        "kind": "endpoint",
                        "name": "sagemaker-algorithm",
                        "region": "eu-west-1",
                        "created": "2026-12-03T12:00:00",
                    }
                ]
            }
        )
    )
    result = stubbed(
        project,
        "update_rolls_back",
        "deploy",
        "--model-data",
        "s3://m/m.tar.gz",
        "--image",
        IMAGE,
        "--canary",
        "10",
        "--alarm",
        "sagemaker-algorithm-5xx",
    )
    assert error_line(result, 1) == (
        "the update of endpoint sagemaker-algorithm was rolled back to old-config: Alarm sagemaker-algorithm-5xx "
        "fired: rolled back to the previous configuration."
    )
    assert "sagemaker-algorithm: RollingBack" in result["stderr"]
    assert result["unused"] == 0


def test_a_model_error_is_the_containers_status_and_message(project):
    result = stubbed(project, "model_error", "predict")
    assert error_line(result, 1) == "the model answered 400: column petal_width is missing"
