"""bin/sagemaker.sh's production settings (docs/how-to/production-settings.md): a VPC, a KMS key, network isolation,
encrypted traffic between hosts, in every request train, deploy and transform send and every upload, each shown by
`status` as SageMaker describes it; what cannot work refused before anything is made. Proven as tests/
test_sagemaker.py proves the commands: against moto's server (which stores these settings), every request validated
against botocore's service models, and botocore's Stubber for the refusals moto cannot give.
"""

import json

import pytest
from test_sagemaker import (  # noqa: F401  (pytestmark: skipped without moto, as there)
    BUCKET,
    CREDENTIALS,
    IMAGE,
    botocore_errors,
    command,
    copy_project,
    error_line,
    ok,
    on_moto,
    pytestmark,
    requests_of,
    state,
    stubbed,
)

SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
GROUP = "sg-0123456789abcdef0"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PRODUCTION = {
    "SUBNETS": ",".join(SUBNETS),
    "SECURITY_GROUPS": GROUP,
    "KMS_KEY_ID": KEY,
    "NETWORK_ISOLATION": "true",
    "INTER_CONTAINER_ENCRYPTION": "true",
}
VPC = {"SecurityGroupIds": [GROUP], "Subnets": SUBNETS}


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path)


def test_every_request_and_upload_carries_the_settings_and_status_shows_them(project, tmp_path):
    results, sent, _ = on_moto(
        project,
        ["train", "--image", IMAGE, "--instance-count", "2"],
        ["deploy"],
        ["transform", "--SplitType", "Line"],
        ["deploy", "--mode", "async", "--endpoint", "algo-async"],
        ["status"],
        **PRODUCTION,
    )
    for result in results:
        ok(result)
    job = requests_of(sent, "CreateTrainingJob")[0]
    assert job["VpcConfig"] == VPC
    assert job["ResourceConfig"]["VolumeKmsKeyId"] == KEY and job["OutputDataConfig"]["KmsKeyId"] == KEY
    assert job["EnableNetworkIsolation"] is True and job["EnableInterContainerTrafficEncryption"] is True
    # every upload (the channels, the transform's input) is SSE-KMS with the key
    puts = requests_of(sent, "PutObject")
    assert len(puts) == 3
    assert all((p["ServerSideEncryption"], p["SSEKMSKeyId"]) == ("aws:kms", KEY) for p in puts)
    for model in requests_of(sent, "CreateModel"):
        assert model["VpcConfig"] == VPC and model["EnableNetworkIsolation"] is True
    realtime, asynchronous = requests_of(sent, "CreateEndpointConfig")
    assert realtime["KmsKeyId"] == KEY and asynchronous["KmsKeyId"] == KEY
    assert asynchronous["AsyncInferenceConfig"]["OutputConfig"]["KmsKeyId"] == KEY
    transform = requests_of(sent, "CreateTransformJob")[0]
    assert transform["TransformOutput"]["KmsKeyId"] == KEY
    assert transform["TransformResources"]["VolumeKmsKeyId"] == KEY

    # status: each setting as SageMaker (moto) has it, in a fifth column
    rows = {row[0]: row for row in (line.split("\t") for line in results[-1]["stdout"].splitlines())}
    training = rows["training-job"][4]
    assert f"vpc {','.join(SUBNETS)} {GROUP}" in training and f"kms {KEY}" in training
    assert "network isolation" in training and "inter-container encryption" in training
    assert f"kms {KEY}" in rows["endpoint"][4] and f"vpc {','.join(SUBNETS)}" in rows["endpoint"][4]
    assert f"kms {KEY}" in rows["endpoint-config"][4] and f"kms {KEY}" in rows["transform-job"][4]
    assert rows["s3-object"][4] == f"kms {KEY}"

    errors = botocore_errors(sent, tmp_path, services=("sagemaker", "s3"))
    assert {path: e for path, e in errors.items() if e} == {}


def test_flags_override_the_settings_and_a_new_key_uploads_again(project):
    deploy = ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE]
    other = "alias/other-key"
    results, sent, _ = on_moto(
        project,
        ["train", "--image", IMAGE],
        ["train", "--image", IMAGE],
        ["train", "--image", IMAGE, "--kms-key", other, "--network-isolation", "false"],
        [*deploy, "--subnets", SUBNETS[0], "--security-groups", GROUP, "--endpoint", "in-a-vpc"],
        KMS_KEY_ID=KEY,
        NETWORK_ISOLATION="true",
    )
    first, same, rekeyed, _ = (ok(r) and r["stderr"] for r in results)
    assert "data/training/: 1 file(s) uploaded" in first
    assert "data/training/: 0 file(s) uploaded, 1 unchanged" in same
    # the files did not change, the key did: uploaded again, encrypted with the new key
    assert "data/training/: 1 file(s) uploaded, 0 unchanged" in rekeyed
    assert [p["SSEKMSKeyId"] for p in requests_of(sent, "PutObject")] == [KEY, KEY, other, other]
    jobs = requests_of(sent, "CreateTrainingJob")
    assert jobs[0]["EnableNetworkIsolation"] is True and "EnableNetworkIsolation" not in jobs[2]
    assert jobs[2]["OutputDataConfig"]["KmsKeyId"] == other
    assert requests_of(sent, "CreateModel")[0]["VpcConfig"] == {"SecurityGroupIds": [GROUP], "Subnets": SUBNETS[:1]}
    assert all("VpcConfig" not in job for job in jobs)


def test_without_settings_nothing_is_added(project):
    results, sent, _ = on_moto(project, ["train", "--image", IMAGE], ["deploy"])
    for result in results:
        ok(result)
    job = requests_of(sent, "CreateTrainingJob")[0]
    added = ("VpcConfig", "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption")
    assert not set(added) & set(job) and "VolumeKmsKeyId" not in job["ResourceConfig"]
    assert "KmsKeyId" not in requests_of(sent, "CreateEndpointConfig")[0]
    assert all("ServerSideEncryption" not in p for p in requests_of(sent, "PutObject"))


ELSEWHERE = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REGION = {**CREDENTIALS, "AWS_REGION": "eu-west-1"}


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["train"], {"KMS_KEY_ID": ELSEWHERE}, "the KMS key " + ELSEWHERE + " is in us-east-1, the resources are"),
        (["deploy"], {"KMS_KEY_ID": ELSEWHERE}, "is in us-east-1, the resources are made in eu-west-1"),
        (["transform"], {"KMS_KEY_ID": ELSEWHERE}, "is in us-east-1, the resources are made in eu-west-1"),
        (["train", "--kms-key", "my key"], {}, "KMS_KEY_ID 'my key' is not a KMS key"),
        (["train"], {"SUBNETS": SUBNETS[0]}, "SUBNETS is set and SECURITY_GROUPS is not: a VPC configuration needs"),
        (["status", "--security-groups", GROUP], {}, "SECURITY_GROUPS is set and SUBNETS is not"),
        (["train"], {"SUBNETS": "subnet-1", "SECURITY_GROUPS": GROUP}, "SUBNETS: 'subnet-1' is not an id of the form"),
        (["train"], {"NETWORK_ISOLATION": "maybe"}, "NETWORK_ISOLATION is 'maybe': give true or false"),
        (
            ["deploy", "--mode", "serverless"],
            {"NETWORK_ISOLATION": "true"},
            "NETWORK_ISOLATION is set and serverless endpoints run neither in a VPC nor isolated",
        ),
        (
            ["deploy", "--mode", "serverless", "--subnets", SUBNETS[0], "--security-groups", GROUP],
            {},
            "SUBNETS is set and serverless endpoints",
        ),
        (
            ["deploy", "--instance-type", "ml.g4dn.xlarge"],
            {"KMS_KEY_ID": KEY},
            "ml.g4dn.xlarge has only NVMe instance storage",
        ),
        (["deploy", "--instance-type", "ml.m5d.large"], {"KMS_KEY_ID": "alias/k"}, "has only NVMe instance storage"),
    ],
)
def test_what_cannot_work_is_one_line_before_any_call(project, args, env, message):
    """AWS is at a closed port (tests/test_sagemaker.py's command()): any call would fail otherwise."""
    done = command(project, *args, **REGION, **env)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and message in done.stderr, done.stderr


def test_a_kms_key_sagemaker_refuses_is_one_line_and_no_job_is_recorded(project):
    result = stubbed(project, "kms_key_refused", "train", "--image", IMAGE, KMS_KEY_ID=KEY)
    message = error_line(result, 1)
    assert message.startswith("CreateTrainingJob failed: ValidationException: ") and "kms:CreateGrant" in message
    assert result["unused"] == 0
    assert "training-job" not in {e["kind"] for e in state(project)}


def test_an_upload_s3_refuses_for_its_key_is_one_line(project):
    result = stubbed(project, "upload_kms_refused", "train", "--image", IMAGE, KMS_KEY_ID=KEY)
    message = error_line(result, 1)
    assert message.startswith("the upload of ") and "AccessDenied" in message and "kms:GenerateDataKey" in message
    assert f"s3://{BUCKET}/sagemaker-algorithm/data/" in message
    assert state(project) == []


def test_status_prints_the_settings_of_what_has_none(project):
    results, _, _ = on_moto(project, ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE], ["status"])
    rows = [line.split("\t") for line in ok(results[1]).splitlines()]
    assert [row[4] for row in rows] == ["-", "-", "-"]
    assert json.dumps(rows).count("kms") == 0


# --- autoscaling -----------------------------------------------------------------------------------------------------

BENCH = "Measured by `bin/benchmark.sh` on 2 CPU(s).\n\n| framework / tree | CSV 28 rec | 3,296 | 23% |\n"
TARGET = "endpoint/sagemaker-algorithm/variant/AllTraffic"


def scaling_calls(sent: list[dict]) -> list[tuple]:
    """(operation, what matters) of the Application Auto Scaling calls and the updates and deletions around them."""
    shown = []
    for request in sent:
        operation, params = request["operation"], request["params"]
        if operation == "RegisterScalableTarget":
            shown.append((operation, params["ResourceId"], params["MinCapacity"], params["MaxCapacity"]))
        elif operation == "PutScalingPolicy":
            tracking = params["TargetTrackingScalingPolicyConfiguration"]
            metric = tracking["PredefinedMetricSpecification"]["PredefinedMetricType"]
            shown.append((operation, params["ResourceId"], tracking["TargetValue"], metric))
        elif operation in ("DeleteScalingPolicy", "DeregisterScalableTarget"):
            shown.append((operation, params["ResourceId"]))
        elif operation in ("UpdateEndpoint", "DeleteEndpoint"):
            shown.append((operation,))
    return shown


def test_autoscaling_is_kept_across_an_instance_type_change_and_removed_by_destroy(project, tmp_path):
    (project / "bench").mkdir()
    (project / "bench/RESULTS.md").write_text(BENCH)
    deploy = ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE]
    results, sent, _ = on_moto(
        project,
        [*deploy, "--min-instances", "2", "--max-instances", "4"],
        [*deploy, "--instance-type", "ml.c5.large"],
        [*deploy, "--instance-type", "ml.c5.large", "--max-instances", "6", "--target-invocations", "1200"],
        ["status"],
        ["destroy", "--yes"],
    )
    for result in results:
        ok(result)
    # the default target: the benchmark's requests/s for one instance x 60 x 0.5, and said so
    assert (
        "target 98880 invocations per instance per minute, from bench/RESULTS.md: the tree model answered 3296 "
        in (results[0]["stderr"])
    )
    assert requests_of(sent, "CreateEndpointConfig")[0]["ProductionVariants"][0]["InitialInstanceCount"] == 2
    assert scaling_calls(sent) == [
        ("RegisterScalableTarget", TARGET, 2, 4),
        ("PutScalingPolicy", TARGET, 98880.0, "SageMakerVariantInvocationsPerInstance"),
        # another instance type: deregistered before the update, registered again after it, as it was
        ("DeleteScalingPolicy", TARGET),
        ("DeregisterScalableTarget", TARGET),
        ("UpdateEndpoint",),
        ("RegisterScalableTarget", TARGET, 2, 4),
        ("PutScalingPolicy", TARGET, 98880.0, "SageMakerVariantInvocationsPerInstance"),
        # the same type: the update goes on under the target, whose limits and policy change after it
        ("UpdateEndpoint",),
        ("RegisterScalableTarget", TARGET, 1, 6),
        ("PutScalingPolicy", TARGET, 1200.0, "SageMakerVariantInvocationsPerInstance"),
        # destroy: the policy and the target before the endpoint
        ("DeleteScalingPolicy", TARGET),
        ("DeregisterScalableTarget", TARGET),
        ("DeleteEndpoint",),
    ]
    policy = requests_of(sent, "PutScalingPolicy")[0]["TargetTrackingScalingPolicyConfiguration"]
    assert (policy["ScaleInCooldown"], policy["ScaleOutCooldown"]) == (300, 60)
    endpoint_row = next(line for line in results[3]["stdout"].splitlines() if line.startswith("endpoint\t"))
    assert endpoint_row.split("\t")[4] == "scaling 1-6 at 1200 invocations/instance/minute"
    errors = botocore_errors(sent, tmp_path, services=("sagemaker", "application-autoscaling"))
    assert {path: e for path, e in errors.items() if e} == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--max-instances", "3"], "no --target-invocations and "),
        (["--min-instances", "2"], "--min-instances and --target-invocations scale up to --max-instances"),
        (["--min-instances", "3", "--max-instances", "2", "--target-invocations", "60"], "give 1 <= min <= max"),
        (["--max-instances", "2", "--target-invocations", "0"], "--target-invocations 0: give a number"),
        (["--mode", "serverless", "--max-instances", "2", "--target-invocations", "60"], "not --mode serverless"),
    ],
)
def test_scaling_that_cannot_work_is_one_line_before_any_call(project, args, message):
    done = command(project, "deploy", *args, **REGION)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_a_refused_scaling_registration_is_one_line_and_the_endpoint_stays_recorded(project):
    deploy = ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE]
    result = stubbed(project, "scaling_refused", *deploy, "--max-instances", "40", "--target-invocations", "600")
    assert error_line(result, 1) == (
        "RegisterScalableTarget failed: ValidationException: Maximum capacity 40 exceeds the account's instance "
        "limit of 20 for ml.m5.large endpoints"
    )
    assert result["unused"] == 0
    endpoint = next(e for e in state(project) if e["kind"] == "endpoint")
    assert "scaling" not in endpoint  # destroy then needs no scaling permission


# --- large models ----------------------------------------------------------------------------------------------------

BIG = f"s3://{BUCKET}/models/big.tar.gz"


def variant_of(sent: list[dict], index: int = 0) -> dict:
    return requests_of(sent, "CreateEndpointConfig")[index]["ProductionVariants"][0]


def test_a_large_model_gets_timeouts_that_fit_its_size_and_flags_set_them(project, tmp_path):
    deploy = ["deploy", "--image", IMAGE]
    results, sent, _ = on_moto(
        project,
        [*deploy, "--model-data", BIG],
        [*deploy, "--model-data", BIG, "--endpoint", "given", "--startup-timeout", "1200", "--download-timeout", "900"],
        [*deploy, "--model-data", "s3://models/small.tar.gz", "--endpoint", "small"],
        MODEL_SIZES=json.dumps({BIG: 5 * 1024**3}),
    )
    for result in results:
        ok(result)
    # 5 GiB: twice its time at 50 MiB/s to download; SageMaker's 4 minutes plus its time at 100 MiB/s to load
    assert "the model is 5.0 GiB: download timeout 204 s, health check timeout 291 s" in results[0]["stderr"]
    fitted, given, small = (variant_of(sent, i) for i in range(3))
    timeouts = ("ModelDataDownloadTimeoutInSeconds", "ContainerStartupHealthCheckTimeoutInSeconds")
    assert [fitted[t] for t in timeouts] == [204, 291] and [given[t] for t in timeouts] == [900, 1200]
    assert not {"ModelDataDownloadTimeoutInSeconds", "ContainerStartupHealthCheckTimeoutInSeconds"} & set(small)
    assert len(requests_of(sent, "HeadObject")) == 2  # both timeouts given: the size is not asked
    errors = botocore_errors(sent, tmp_path)
    assert {path: e for path, e in errors.items() if e} == {}


def test_uncompressed_model_data_is_trained_and_served_as_a_prefix(project, tmp_path):
    results, sent, _ = on_moto(
        project,
        ["train", "--image", IMAGE, "--uncompressed"],
        ["deploy"],
        ["deploy", "--model-data", "s3://models/big/", "--image", IMAGE, "--endpoint", "prefix"],
    )
    model = ok(results[0]).strip()
    ok(results[1]), ok(results[2])
    assert requests_of(sent, "CreateTrainingJob")[0]["OutputDataConfig"]["CompressionType"] == "NONE"
    assert model.endswith("/")  # a prefix (moto names it after model.tar.gz, whatever CompressionType says)
    trained, given = requests_of(sent, "CreateModel")
    assert trained["PrimaryContainer"] == {
        "Image": IMAGE,
        "ModelDataSource": {"S3DataSource": {"S3Uri": model, "S3DataType": "S3Prefix", "CompressionType": "None"}},
    }
    assert given["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]["S3Uri"] == "s3://models/big/"
    assert "ModelDataUrl" not in given["PrimaryContainer"]
    errors = botocore_errors(sent, tmp_path)
    assert {path: e for path, e in errors.items() if e} == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--startup-timeout", "30"], "--startup-timeout 30: SageMaker takes 60 to 3600 seconds"),
        (["--download-timeout", "4000"], "--download-timeout 4000: SageMaker takes 60 to 3600 seconds"),
        (["--mode", "serverless", "--download-timeout", "600"], "are for instances: not --mode serverless"),
    ],
)
def test_timeouts_that_cannot_work_are_one_line_before_any_call(project, args, message):
    done = command(project, "deploy", *args, **REGION)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_a_health_check_past_its_timeout_says_which_flag_gives_it_more(project):
    deploy = ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE, "--startup-timeout", "600"]
    result = stubbed(project, "endpoint_fails", *deploy)
    assert error_line(result, 1) == (
        "endpoint sagemaker-algorithm is Failed: The primary container for production variant AllTraffic did not "
        "pass the ping health check. (the health check waited 600 s: a model that takes longer to load needs "
        "--startup-timeout SECONDS, up to 3600)"
    )
    assert result["unused"] == 0


# --- data capture and warm pools -------------------------------------------------------------------------------------


def test_data_capture_records_requests_and_answers_encrypted_with_the_key(project, tmp_path):
    deploy = ["deploy", "--model-data", "s3://models/m.tar.gz", "--image", IMAGE]
    results, sent, _ = on_moto(project, [*deploy, "--capture", "20"], ["status"], ["destroy", "--yes"], KMS_KEY_ID=KEY)
    for result in results:
        ok(result)
    location = f"s3://{BUCKET}/sagemaker-algorithm/capture"
    assert requests_of(sent, "CreateEndpointConfig")[0]["DataCaptureConfig"] == {
        "EnableCapture": True,
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": location,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {
            "CsvContentTypes": ["text/csv"],
            "JsonContentTypes": ["application/json", "application/jsonlines"],
        },
        "KmsKeyId": KEY,
    }
    endpoint_row = next(line for line in results[1]["stdout"].splitlines() if line.startswith("endpoint\t"))
    assert f"capture 20% to {location}" in endpoint_row.split("\t")[4]
    # what the endpoint recorded is the project's: destroy deletes it (unless --keep-s3)
    assert f"s3-prefix {location}" in " ".join(results[2]["stderr"].split())
    errors = botocore_errors(sent, tmp_path)
    assert {path: e for path, e in errors.items() if e} == {}


def test_a_warm_pool_keeps_the_instances_and_status_shows_it(project, tmp_path):
    results, sent, _ = on_moto(project, ["train", "--image", IMAGE, "--keep-alive", "1800"], ["status"])
    ok(results[0])
    assert requests_of(sent, "CreateTrainingJob")[0]["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 1800
    training_row = next(line for line in ok(results[1]).splitlines() if line.startswith("training-job\t"))
    assert "warm pool 1800 s" in training_row.split("\t")[4]
    assert next(e for e in state(project) if e["kind"] == "training-job")["keep_alive"] == 1800
    errors = botocore_errors(sent, tmp_path)
    assert {path: e for path, e in errors.items() if e} == {}


def test_destroy_releases_a_warm_pool_that_still_keeps_instances(project):
    entry = {"kind": "training-job", "name": "stubbed-job", "region": "eu-west-1", "created": "2026-12-03T12:00:00"}
    (project / "sagemaker-state.json").write_text(json.dumps({"resources": [{**entry, "keep_alive": 1800}]}))
    result = stubbed(project, "warm_pool_released", "destroy", "--yes")
    assert result["code"] == 0, result
    assert result["unused"] == 0  # UpdateTrainingJob(KeepAlivePeriodInSeconds=0) was sent
    assert state(project) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["deploy", "--capture", "0"], "--capture 0: give the share of requests to record, 1 to 100"),
        (["deploy", "--capture", "101"], "--capture 101: give the share"),
        (["deploy", "--capture", "5", "--mode", "serverless"], "serverless endpoints do not capture data"),
        (["train", "--keep-alive", "4000"], "--keep-alive 4000: a warm pool is kept 1 to 3600 seconds"),
        (["train", "--keep-alive", "600", "--spot"], "no warm pool for managed spot training"),
    ],
)
def test_capture_and_warm_pools_that_cannot_work_are_one_line_before_any_call(project, args, message):
    done = command(project, *args, "--image", IMAGE, **REGION)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
