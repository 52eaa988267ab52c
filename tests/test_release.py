"""bin/release.sh's SageMaker stages (develop/release/pipeline.py) without an AWS account: whole releases against
moto's server on 127.0.0.1, with what moto lacks (UpdateEndpoint and its rollback, a person's approval or rejection in
SageMaker, ECR's pushed image) done on its backend by tests/release_driver.py; every SageMaker request validated
against botocore's service model (tests/botocore_validate.py).

The stages bin/release.sh runs itself (test, build, push) and the twins' stage order are tested with stand-in programs
in tests/test_release_twins.py.
"""

import json
import subprocess
from pathlib import Path

import pytest
import test_sagemaker
import test_sagemaker_production as production_settings
from test_algorithm_spec import AWS_PYTHON
from test_sagemaker import MISSING, SECRET, botocore_errors, environment, ok, requests_of

from projects import EXAMPLE_DIR, ROOT

project = test_sagemaker.project  # the fixture: a copy of what a clone holds that the commands read

DRIVER = Path(__file__).resolve().parent / "release_driver.py"
needs_moto = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
PRODUCTION, STAGING, GROUP = "sagemaker-algorithm", "sagemaker-algorithm-staging", "sagemaker-algorithm"
# What the example model answers to the smoke test's payloads (opt/ml/input/smoke-tests.json), as the endpoint would.
ANSWERS = [
    {"Body": '{"predictions": ["setosa", "versicolor", "versicolor"]}', "ContentType": "application/json"},
    {"Body": "setosa\nversicolor\nversicolor\n", "ContentType": "text/csv"},
    {"Body": '"setosa"\n"versicolor"\n"versicolor"\n', "ContentType": "application/jsonlines"},
]
SETTINGS = {"RELEASE_ALARMS": "algo-5xx,algo-latency", "RELEASE_CANARY_PERCENT": "20", "RELEASE_BAKE_SECONDS": "300"}


def evaluation(accuracy: float) -> str:
    """What the evaluate stage's job writes (the example's `process evaluate`: model-quality statistics), for the
    driver to put in its output, as moto's processing job writes nothing."""
    metrics = {
        "accuracy": {"value": accuracy, "standard_deviation": "NaN"},
        "weighted_f1": {"value": accuracy - 0.01, "standard_deviation": "NaN"},
    }
    return json.dumps({"evaluation": {"evaluation.json": json.dumps({"multiclass_classification_metrics": metrics})}})


def releases(project: Path, *commands: list[str], **env: str) -> tuple[list[dict], list[dict], dict]:
    """Runs the release command lines in order against one moto server: (their results, every request, digests)."""
    record = project.parent / "requests.jsonl"
    record.unlink(missing_ok=True)
    done = subprocess.run(
        [AWS_PYTHON, str(DRIVER), str(project), str(record), *(json.dumps(c) for c in commands)],
        env=environment(
            **{
                "IMAGES": "1.2.0,1.3.0",
                "ENDPOINT_RESULTS": json.dumps(ANSWERS),
                "PROCESSING_OUTPUTS": evaluation(0.97),
                **SETTINGS,
                **env,
            }
        ),
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    for line in lines:
        assert SECRET not in json.dumps(line)  # credentials are never printed
    sent = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    return lines[1:], sent, lines[0]["digests"]


def failure(result: dict) -> str:
    """A failed release: exit code 1, the report on stdout, and ONE line saying why, last on stderr."""
    assert result["code"] == 1, result
    last = result["stderr"].splitlines()[-1]
    assert last.startswith("error: ") and result["stderr"].count("\nerror: ") == 1, result["stderr"]
    assert result["stdout"].startswith(f"release {result['argv'][0]}: FAILED at "), result["stdout"]
    return last.removeprefix("error: ")


def stage_lines(result: dict) -> list[str]:
    """The stage lines on stderr, without their timings and outcomes."""
    found = []
    for line in result["stderr"].splitlines():
        if line.startswith("== release "):
            text = line.split(": ", 1)[1]
            found.append(text.split(" in ")[0] if " done in " in text else text.split(":")[0])
    return found


def sent_to(sent: list[dict], operation: str, endpoint: str) -> list[dict]:
    return [p for p in requests_of(sent, operation) if p.get("EndpointName") == endpoint]


ALL = ["train", "evaluate", "register", "staging", "smoke", "approval", "production", "report"]


def started_and_done(*stages: str) -> list[str]:
    return [line for stage in stages for line in (f"stage {stage} started", f"stage {stage} done")]


@needs_moto
def test_a_version_goes_from_training_to_production_and_the_next_replaces_it_blue_green(project, tmp_path):
    """1.2.0: approved by a person in SageMaker while the release waits; 1.3.0: approved by the build server's own
    step (--approved), which updates production with a canary and the alarms that roll it back."""
    results, sent, digests = releases(
        project,
        ["@image", "1.2.0"],
        ["1.2.0", "--from", "train"],
        ["@image", "1.3.0"],
        ["@fresh-clone"],  # the build server's next job: a new workspace, no release-state.json
        ["1.3.0", "--from", "train", "--approved"],
        ["1.2.0", "--from", "production"],  # rolled back by hand: the earlier approved version, blue/green again
        DECISION="Approved@3",
    )
    first, second, back = results
    assert ok(first) and stage_lines(first) == started_and_done(*ALL)
    assert ok(second) and stage_lines(second) == started_and_done(*ALL)

    # train: the image pushed for the version; register: the model it made, the image pinned by ECR's digest, the
    # algorithm spec's content and instance types, waiting for approval.
    jobs = requests_of(sent, "CreateTrainingJob")
    assert [j["AlgorithmSpecification"]["TrainingImage"] for j in jobs] == [f"{REGISTRY}/{GROUP}:1.2.0"] + [
        f"{REGISTRY}/{GROUP}:1.3.0"
    ]
    assert len(requests_of(sent, "CreateModelPackageGroup")) == 1
    packages = requests_of(sent, "CreateModelPackage")
    assert [p["CustomerMetadataProperties"] for p in packages] == [{"version": "1.2.0"}, {"version": "1.3.0"}]
    package = packages[0]
    assert package["ModelPackageGroupName"] == GROUP and package["ModelApprovalStatus"] == "PendingManualApproval"
    container = package["InferenceSpecification"]["Containers"][0]
    assert container["Image"] == f"{REGISTRY}/{GROUP}:1.2.0" and container["ImageDigest"] == digests["1.2.0"]
    assert container["ModelDataUrl"].startswith(
        f"s3://template-test-bucket/{GROUP}/output/{jobs[0]['TrainingJobName']}/"
    )
    inference = package["InferenceSpecification"]
    assert {"text/csv", "application/json", "application/jsonlines"} <= set(inference["SupportedContentTypes"])
    assert "text/csv" in inference["SupportedResponseMIMETypes"]
    assert "ml.m5.large" in inference["SupportedRealtimeInferenceInstanceTypes"]

    # staging: made for 1.2.0, updated for 1.3.0, with the package's model and the image by digest; smoke-tested.
    models = requests_of(sent, "CreateModel")
    assert [m["PrimaryContainer"] for m in models[:2]] == [
        {"Image": f"{REGISTRY}/{GROUP}@{digests['1.2.0']}", "ModelDataUrl": container["ModelDataUrl"]}
    ] * 2
    assert len(sent_to(sent, "CreateEndpoint", STAGING)) == 1 and len(sent_to(sent, "UpdateEndpoint", STAGING)) == 1
    invoked = sent_to(sent, "InvokeEndpoint", STAGING)
    assert [(i["ContentType"], i["Accept"]) for i in invoked[:3]] == [
        ("application/json", "application/json"),
        ("text/csv", "text/csv"),
        ("application/jsonlines", "application/jsonlines"),
    ]
    assert not sent_to(sent, "InvokeEndpoint", PRODUCTION)

    # approval: 1.2.0 waited for the person's decision (polled), 1.3.0 was approved by the build server, recorded.
    assert "model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/" in first["stderr"]
    assert ": PendingManualApproval\n" in first["stderr"] and ": Approved\n" in first["stderr"]
    approvals = requests_of(sent, "UpdateModelPackage")
    assert len(approvals) == 1 and approvals[0]["ModelApprovalStatus"] == "Approved"
    assert (
        approvals[0]["ApprovalDescription"]
        == "approved by the build server's approval step (bin/release.sh --approved)"
    )

    # production: created for 1.2.0 after the approval, updated for 1.3.0 blue/green with a canary, alarms watched.
    order = [(r["operation"], r["params"].get("EndpointName")) for r in sent]
    smoke_of_first = [i for i, step in enumerate(order) if step == ("InvokeEndpoint", STAGING)][:3]
    assert first["stderr"].index(": Approved\n") < first["stderr"].index("stage production started")
    assert order.index(("CreateEndpoint", PRODUCTION)) > max(smoke_of_first)
    assert len(sent_to(sent, "CreateEndpoint", PRODUCTION)) == 1
    update, update_back = sent_to(sent, "UpdateEndpoint", PRODUCTION)
    policy = update["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20},
        "WaitIntervalInSeconds": 300,
    }
    assert update["DeploymentConfig"]["AutoRollbackConfiguration"] == {
        "Alarms": [{"AlarmName": "algo-5xx"}, {"AlarmName": "algo-latency"}]
    }
    assert models[-2]["PrimaryContainer"]["Image"] == f"{REGISTRY}/{GROUP}@{digests['1.3.0']}"

    # the report: on stdout, short, where things stand.
    report = second["stdout"].splitlines()
    assert report[0] == "release 1.3.0: done" and len(report) < 16
    assert any(line.split()[:1] == ["package"] and line.endswith("(Approved)") for line in report)
    assert f"  production {PRODUCTION}: InService ({update['EndpointConfigName']})" in report
    assert "rollback on algo-5xx, algo-latency" in second["stderr"]

    # back to 1.2.0 by hand: its package's model and image, through the same guardrails
    assert ok(back).startswith("release 1.2.0: done") and stage_lines(back) == started_and_done("production", "report")
    assert models[-1]["PrimaryContainer"] == models[0]["PrimaryContainer"]
    assert update_back["DeploymentConfig"] == update["DeploymentConfig"]
    assert f"  production {PRODUCTION}: InService ({update_back['EndpointConfigName']})" in back["stdout"].splitlines()

    # Every SageMaker request has the shape botocore's service model requires.
    errors = botocore_errors(sent, tmp_path)
    assert len(errors) > 30 and {path: e for path, e in errors.items() if e} == {}


THRESHOLD = "multiclass_classification_metrics.accuracy>=0.9"


@needs_moto
def test_an_evaluation_below_its_threshold_stops_the_release_before_it_registers(project, tmp_path):
    results, sent, _ = releases(
        project,
        ["@image", "1.2.0"],
        ["1.2.0", "--from", "train", "--approved"],
        RELEASE_THRESHOLDS=THRESHOLD,
        PROCESSING_OUTPUTS=evaluation(0.82),
    )
    (result,) = results
    message = failure(result)
    assert message.startswith("evaluate: accuracy 0.82 is below the threshold 0.9 (model s3://")
    assert message.endswith("): nothing is registered")
    assert stage_lines(result)[-2:] == ["stage evaluate started", "stage evaluate FAILED"]
    # the job: the example's `process evaluate` on the trained model and the validation channel, held out
    (job,) = requests_of(sent, "CreateProcessingJob")
    trained = requests_of(sent, "CreateTrainingJob")[0]["TrainingJobName"]
    assert job["AppSpecification"] == {
        "ImageUri": f"{REGISTRY}/{GROUP}:1.2.0",
        "ContainerArguments": ["process", "evaluate"],
    }
    inputs = {i["InputName"]: i["S3Input"] for i in job["ProcessingInputs"]}
    assert inputs["model"]["S3Uri"] == f"s3://template-test-bucket/{GROUP}/output/{trained}/output/model.tar.gz"
    assert inputs["test"]["S3Uri"] == f"s3://template-test-bucket/{GROUP}/data/validation"
    assert inputs["test"]["LocalPath"] == "/opt/ml/processing/input/test"
    assert [o["OutputName"] for o in job["ProcessingOutputConfig"]["Outputs"]] == ["evaluation"]
    # nothing registered, nothing deployed
    assert not requests_of(sent, "CreateModelPackage") and not requests_of(sent, "CreateEndpoint")
    assert {p: e for p, e in botocore_errors(sent, tmp_path).items() if e} == {}


@needs_moto
def test_an_evaluation_that_meets_its_threshold_is_attached_to_the_package_and_reported(project, tmp_path):
    results, sent, _ = releases(
        project,
        ["@image", "1.2.0"],
        ["1.2.0", "--from", "train", "--to", "register"],
        ["1.2.0", "--only", "report"],
        RELEASE_THRESHOLDS=f"{THRESHOLD}, multiclass_classification_metrics.weighted_f1 >= 0.9",
    )
    registered, reported = results
    ok(registered)
    (job,) = requests_of(sent, "CreateProcessingJob")
    uri = f"s3://template-test-bucket/{GROUP}/processing/{job['ProcessingJobName']}/evaluation/evaluation.json"
    assert "stage evaluate done in " in registered["stderr"]
    assert f"accuracy 0.97, weighted_f1 0.96; 2 threshold(s) met ({uri})" in registered["stderr"]
    (package,) = requests_of(sent, "CreateModelPackage")
    assert package["ModelMetrics"] == {
        "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": uri}}
    }
    assert f"  evaluation {uri}" in ok(reported).splitlines()
    assert {p: e for p, e in botocore_errors(sent, tmp_path).items() if e} == {}


@needs_moto
def test_an_algorithm_without_process_is_not_evaluated_unless_thresholds_are_set(project):
    algorithm = project / "algorithm.py"
    algorithm.write_text(algorithm.read_text().replace("def process(", "def _process("))
    results, sent, _ = releases(project, ["@image", "1.2.0"], ["1.2.0", "--from", "train", "--to", "register"])
    (skipped,) = results
    assert "stage evaluate done in " in skipped["stderr"]
    assert "skipped: algorithm.py has no process(job)" in skipped["stderr"]
    assert "ModelMetrics" not in requests_of(sent, "CreateModelPackage")[0]
    assert not requests_of(sent, "CreateProcessingJob")
    # with a threshold, a model that cannot be evaluated must not pass: stopped, before the package
    results, sent, _ = releases(
        project, ["@image", "1.3.0"], ["1.3.0", "--from", "train", "--to", "register"], RELEASE_THRESHOLDS=THRESHOLD
    )
    assert failure(results[0]).startswith(
        "evaluate: RELEASE_THRESHOLDS is set and algorithm.py has no process(job) to evaluate the model with"
    )
    assert not requests_of(sent, "CreateModelPackage")


@needs_moto
def test_the_production_settings_are_in_every_request_of_a_release(project, tmp_path):
    """VPC, KMS key, isolation and encrypted traffic from .env, applied by the release as bin/sagemaker.sh applies them
    (the same Config and develop/sagemaker/production.py)."""
    key, vpc = production_settings.KEY, production_settings.VPC
    results, sent, _ = releases(
        project, ["@image", "1.2.0"], ["1.2.0", "--from", "train", "--approved"], **production_settings.PRODUCTION
    )
    ok(results[0])
    (job,) = requests_of(sent, "CreateTrainingJob")
    assert job["VpcConfig"] == vpc and job["EnableNetworkIsolation"] and job["EnableInterContainerTrafficEncryption"]
    assert job["ResourceConfig"]["VolumeKmsKeyId"] == key and job["OutputDataConfig"]["KmsKeyId"] == key
    (evaluation,) = requests_of(sent, "CreateProcessingJob")
    assert evaluation["NetworkConfig"] == {
        "VpcConfig": vpc,
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
    }
    assert evaluation["ProcessingOutputConfig"]["KmsKeyId"] == key
    models = requests_of(sent, "CreateModel")
    assert len(models) == 2 and all(m["VpcConfig"] == vpc and m["EnableNetworkIsolation"] for m in models)
    assert [c["KmsKeyId"] for c in requests_of(sent, "CreateEndpointConfig")] == [key, key]  # staging, production
    uploads = [r["params"] for r in sent if r["operation"] == "PutObject"]
    assert uploads and all(u.get("SSEKMSKeyId") == key for u in uploads)
    assert {p: e for p, e in botocore_errors(sent, tmp_path).items() if e} == {}


@needs_moto
def test_the_production_endpoints_scaling_is_kept_across_the_blue_green_update(project, tmp_path):
    """Someone scaled production (2 to 6 instances) after 1.2.0; 1.3.0's update keeps it, and starts the new fleet
    with the old one's instances."""
    results, sent, _ = releases(
        project,
        ["@image", "1.2.0"],
        ["1.2.0", "--from", "train", "--approved"],
        ["@scale", PRODUCTION, "2", "6", "700"],
        ["@image", "1.3.0"],
        ["1.3.0", "--from", "train", "--approved"],
        ["@scaling", PRODUCTION],
    )
    first, second, after = results
    ok(first)
    ok(second)
    assert after == {"scaling": [2, 6, 700.0]}
    assert (
        f"production endpoint {PRODUCTION}: its scaling 2-6 at 700 invocations/instance/minute is kept"
        in (second["stderr"])
    )
    (update,) = sent_to(sent, "UpdateEndpoint", PRODUCTION)
    configuration = next(
        c for c in requests_of(sent, "CreateEndpointConfig") if c["EndpointConfigName"] == update["EndpointConfigName"]
    )
    assert configuration["ProductionVariants"][0]["InitialInstanceCount"] == 2  # within the limits, not 1
    # registered again by the release once the new fleet serves (the same limits and policy)
    order = [r["operation"] for r in sent]
    assert order.index("RegisterScalableTarget") > order.index("UpdateEndpoint")
    (target,) = [r["params"] for r in sent if r["operation"] == "RegisterScalableTarget"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    assert {p: e for p, e in botocore_errors(sent, tmp_path).items() if e} == {}


@needs_moto
def test_a_failed_smoke_test_leaves_staging_up_and_production_untouched(project, tmp_path):
    wrong = [{"Body": '{"predictions": ["virginica", "virginica", "virginica"]}', "ContentType": "application/json"}]
    results, sent, _ = releases(
        project, ["@image", "1.2.0"], ["1.2.0", "--from", "train", "--approved"], ENDPOINT_RESULTS=json.dumps(wrong)
    )
    (result,) = results
    message = failure(result)
    assert message.startswith("smoke: payload.json (application/json): answered 'virginica' at .predictions[0], ")
    assert f"staging endpoint {STAGING} is left up for inspection" in message
    assert stage_lines(result)[-2:] == ["stage smoke started", "stage smoke FAILED"]
    # nothing approved, nothing deployed to production; staging is still there, and the report says so
    assert not requests_of(sent, "UpdateModelPackage")
    assert not sent_to(sent, "CreateEndpoint", PRODUCTION) and not sent_to(sent, "UpdateEndpoint", PRODUCTION)
    report = result["stdout"].splitlines()
    assert report[0].startswith("release 1.2.0: FAILED at smoke: payload.json")
    assert f"  staging    {STAGING}: InService" in "\n".join(report)
    assert f"  production {PRODUCTION}: none" in report
    assert any(line.endswith("(PendingManualApproval)") for line in report)
    assert {p: e for p, e in botocore_errors(sent, tmp_path).items() if e} == {}


@needs_moto
def test_a_rejected_package_deploys_nothing_even_when_the_build_server_approves_later(project, tmp_path):
    reason = "validation accuracy 0.71 is below the 0.9 we ship"
    results, sent, _ = releases(
        project,
        ["@image", "1.2.0"],
        ["1.2.0", "--from", "train"],
        ["1.2.0", "--from", "approval", "--approved"],
        DECISION=f"Rejected@3:{reason}",
    )
    waited, approved_late = results
    assert failure(waited).endswith(f"is Rejected: {reason}")
    assert failure(approved_late).endswith(f"is Rejected: {reason}")
    assert stage_lines(approved_late) == ["stage approval started", "stage approval FAILED"]
    assert not requests_of(sent, "UpdateModelPackage")  # --approved does not overturn a rejection
    assert not sent_to(sent, "CreateEndpoint", PRODUCTION) and not sent_to(sent, "UpdateEndpoint", PRODUCTION)
    assert waited["stdout"].startswith("release 1.2.0: FAILED at approval: model package ")
    assert {p: e for p, e in botocore_errors(sent, tmp_path).items() if e} == {}


@needs_moto
def test_an_approval_that_does_not_come_in_time_stops_the_release_and_says_how_to_go_on(project):
    results, sent, _ = releases(project, ["@image", "1.2.0"], ["1.2.0", "--from", "train"], APPROVAL_TIMEOUT="1")
    message = failure(results[0])
    assert message.startswith("approval: model package arn:aws:sagemaker:eu-west-1:123456789012:model-package/")
    assert "was not approved within 1 s: approve it in SageMaker" in message
    assert message.endswith("then run bin/release.sh --from approval 1.2.0")
    assert len(requests_of(sent, "DescribeModelPackage")) > 2  # polled until the bound, not asked once
    assert not sent_to(sent, "CreateEndpoint", PRODUCTION) and not requests_of(sent, "UpdateModelPackage")


@needs_moto
def test_a_rollback_in_production_is_a_failed_release_with_its_reason(project, tmp_path):
    why = "Alarm algo-5xx went to ALARM during the canary's baking period"
    results, sent, _ = releases(
        project,
        ["@image", "1.2.0"],
        ["1.2.0", "--from", "train", "--approved"],
        ["@image", "1.3.0"],
        ["1.3.0", "--from", "train", "--approved"],
        ROLLBACK_ENDPOINT=f"{PRODUCTION}:{why}",
    )
    first, second = results
    ok(first)
    message = failure(second)
    assert message.startswith(f"production: production: the update of endpoint {PRODUCTION} was rolled back to ")
    assert message.endswith(why)
    (update,) = sent_to(sent, "UpdateEndpoint", PRODUCTION)
    assert update["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"][0] == {"AlarmName": "algo-5xx"}
    report = second["stdout"].splitlines()
    assert report[0].startswith("release 1.3.0: FAILED at production: ")
    # production still serves 1.2.0's configuration
    first_config = sent_to(sent, "CreateEndpoint", PRODUCTION)[0]["EndpointConfigName"]
    assert f"  production {PRODUCTION}: InService ({first_config})" in report
    assert {p: e for p, e in botocore_errors(sent, tmp_path).items() if e} == {}


@needs_moto
def test_a_version_released_once_is_refused_before_anything_changes(project):
    results, sent, _ = releases(
        project,
        ["@image", "1.2.0"],
        ["1.2.0", "--from", "train", "--to", "register"],
        ["1.2.0", "--from", "train"],
    )
    first, again = results
    ok(first)
    assert stage_lines(again) == ["stage train started", "stage train FAILED"]
    assert "version 1.2.0 is registered already" in failure(again)
    assert len(requests_of(sent, "CreateTrainingJob")) == 1 and len(requests_of(sent, "CreateModelPackage")) == 1


@needs_moto
def test_an_endpoint_of_someone_else_is_never_taken_over(project):
    """An endpoint under production's name that no release of this project made (no project tag on it): the
    production stage stops before touching it."""
    results, sent, _ = releases(
        project,
        ["@image", "1.2.0"],
        ["1.2.0", "--from", "train", "--approved", "--to", "approval"],
        ["1.2.0", "--only", "production"],
        FOREIGN_ENDPOINT=PRODUCTION,
    )
    ok(results[0])
    assert failure(results[1]) == (
        f"production: endpoint {PRODUCTION} exists and was not made by this project's bin/sagemaker.sh: "
        "give another name (--endpoint or ENDPOINT_NAME)"
    )
    assert not sent_to(sent, "UpdateEndpoint", PRODUCTION) and not sent_to(sent, "CreateEndpoint", PRODUCTION)


@needs_moto
@pytest.mark.parametrize(
    "args, env, message",
    [
        (["latest"], {}, "give the version released (e.g. 1.2.0), not 'latest'"),
        (["1.2.0", "--model-data", "model.tar.gz"], {}, "--model-data 'model.tar.gz' is not an S3 URI"),
        (["1.2.0", "--from", "smoke", "--to", "train"], {}, "--from smoke comes after --to train"),
        (["1.2.0"], {"EXECUTION_ROLE": ""}, "no SageMaker execution role"),
        (
            ["1.2.0"],
            {"RELEASE_CANARY_PERCENT": "100"},
            "RELEASE_CANARY_PERCENT='100': give a whole number from 1 to 99",
        ),
        (["1.2.0"], {"RELEASE_ALARMS": ",".join(f"a{n}" for n in range(11))}, "more than 10 alarms"),
        (
            ["1.2.0"],
            {"RELEASE_THRESHOLDS": "multiclass_classification_metrics.accuracy>=0.9,accuracy>0.9"},
            "RELEASE_THRESHOLDS: 'accuracy>0.9' is not METRIC>=NUMBER or METRIC<=NUMBER",
        ),
    ],
)
def test_a_bad_argument_or_setting_is_one_line_before_any_call(project, args, env, message):
    done = subprocess.run(
        [AWS_PYTHON, "-P", "-m", "develop.release", *args],
        cwd=project,
        env={**environment(), "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "PYTHONPATH": str(project), **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_the_smoke_tests_expect_what_the_example_model_answers(make_project, start_server):
    """opt/ml/input/smoke-tests.json against the example's real server: its answers are ANSWERS, which the release
    accepts (the tests above), so the file shipped passes on an endpoint that serves the example."""
    project = make_project("example")
    assert project.train().returncode == 0
    server = start_server(project, SAGEMAKER_MODEL_SERVER_WORKERS="1")
    cases = json.loads((EXAMPLE_DIR / "opt/ml/input/smoke-tests.json").read_text())
    assert len(cases) == len(ANSWERS)
    for case, expected in zip(cases, ANSWERS, strict=True):
        body = (EXAMPLE_DIR / "opt/ml/input" / case["payload"]).read_bytes()
        answer = server.post(body, expected["ContentType"], Accept=case["accept"])
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(case["accept"])
        if case["accept"] == "application/json":
            assert answer.json() == json.loads(expected["Body"]) == case["expect"]
        else:
            assert answer.text.splitlines() == expected["Body"].splitlines()


# --- develop/release/stages.py: the arguments, the stages on this machine, then the :dev image's ----------------------

RECORDER = """#!/bin/sh
echo "$(basename "$0") $*" >> "$RECORD"
case "$(basename "$0") $1 $2" in
"test.sh "*) exit "${TEST_RC:-0}" ;;
"docker image inspect") exit "${INSPECT_RC:-0}" ;;
"docker run "*) exit 3 ;;
esac
"""


def stages(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """stages.py as bin/release.sh runs it (this machine's Python, the standard library only), in a project whose
    bin/test.sh, bin/docker-build.sh and docker record their calls; docker run's exit code is 3."""
    project = tmp_path / "project"
    (project / "develop" / "release").mkdir(parents=True, exist_ok=True)
    (project / "bin").mkdir(exist_ok=True)
    (project / "develop" / "release" / "stages.py").write_text((ROOT / "develop/release/stages.py").read_text())
    for name in ("bin/test.sh", "bin/docker-build.sh", "fake/docker"):
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_text(RECORDER)
        (project / name).chmod(0o755)
    record = tmp_path / "calls.txt"
    record.unlink(missing_ok=True)
    done = subprocess.run(
        ["python3", str(project / "develop/release/stages.py"), "docker", "run", "IMAGE", "-m", "x", "--", *args],
        env={"PATH": f"{project / 'fake'}:/usr/bin:/bin", "RECORD": str(record), "DEV_IMAGE": "algo:dev", **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    return done, record.read_text().splitlines() if record.exists() else []


def test_the_stages_of_this_machine_run_first_then_the_rest_in_the_dev_image(tmp_path):
    done, calls = stages(tmp_path, "1.2.0", "--approved")
    assert calls == [
        "test.sh ",
        "docker-build.sh ",
        "docker image inspect algo:dev",
        "docker run IMAGE -m x 1.2.0 --approved",
    ]
    assert done.returncode == 3 and done.stdout == ""  # the release's exit code is the dev image's
    assert done.stderr.splitlines() == [
        f"== release 1.2.0: stage {stage} {event}" for stage in ("test", "build") for event in ("started", "done")
    ]


def test_a_failing_stage_stops_the_release(tmp_path):
    done, calls = stages(tmp_path, "1.2.0", TEST_RC="1")
    assert (done.returncode, calls) == (1, ["test.sh "])
    assert done.stderr.splitlines()[-1] == "== release 1.2.0: stage test FAILED"


def test_only_the_stages_asked_for_run(tmp_path):
    done, calls = stages(tmp_path, "--only", "build", "1.2.0")
    assert (done.returncode, calls) == (0, ["docker-build.sh "])
    done, calls = stages(tmp_path, "--from", "push", "--to", "train", "1.2.0")
    assert done.returncode == 3 and calls[-1] == "docker run IMAGE -m x --from push --to train 1.2.0"


def test_the_dev_image_stages_need_the_image_the_build_stage_makes(tmp_path):
    done, calls = stages(tmp_path, "--from", "push", "1.2.0", INSPECT_RC="1")
    assert (done.returncode, calls) == (1, ["docker image inspect algo:dev"])
    assert done.stderr == "error: image algo:dev does not exist: run bin/docker-build.sh (the build stage)\n"


USAGE = (
    "usage: bin/release.sh [-h] [--from STAGE] [--to STAGE] [--only STAGE] [--approved] [--model-data s3://...] VERSION"
)


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "the following arguments are required: VERSION"),
        (("1.2.0", "1.3.0"), "unrecognized arguments: 1.3.0"),
        (("--fast", "1.2.0"), "unrecognized arguments: --fast"),
        (("latest",), "give the version released (e.g. 1.2.0), not 'latest'"),
        (("--only", "deploy", "1.2.0"), "argument --only: invalid choice: 'deploy' (choose from 'test', 'build', "),
        (("--from", "smoke", "--to", "push", "1.2.0"), "--from smoke comes after --to push"),
        (("1.2.0", "--to"), "argument --to: expected one argument"),
        (("--model-data", "model.tar.gz", "1.2.0"), "--model-data 'model.tar.gz' is not an S3 URI (s3://BUCKET/KEY)"),
    ],
)
def test_bad_arguments_are_one_line_before_any_stage(tmp_path, args, message):
    done, calls = stages(tmp_path, *args)
    assert (done.returncode, done.stdout, calls) == (2, "", [])
    assert done.stderr.startswith(f"error: {message}") and done.stderr.endswith(f": {USAGE}\n"), done.stderr
    assert done.stderr.count("\n") == 1


STOPPING = """
import sys
from develop.release import pipeline

def stopped(run):
    raise KeyboardInterrupt

def failed(run):
    raise pipeline.StageFailed("it did not")

pipeline.RUN["push"] = {"stopped": stopped, "failed": failed}[sys.argv[1]]
sys.exit(pipeline.main(["--only", "push", "1.2.0"], project=sys.argv[2], environ={}))
"""


@needs_moto
@pytest.mark.parametrize(
    "how, code, line", [("stopped", 130, "STOPPED: stopped (Ctrl-C)"), ("failed", 1, "FAILED: it did not")]
)
def test_a_release_stopped_by_ctrl_c_says_so_in_its_exit_code(tmp_path, how, code, line):
    done = subprocess.run(
        [AWS_PYTHON, "-c", STOPPING, how, str(tmp_path)],
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == code, done.stderr
    assert done.stderr.splitlines()[1] == f"== release 1.2.0: stage push {line}"
