"""Runs bin/sagemaker.sh's commands (develop/sagemaker) in-process against a stand-in for AWS; run by
tests/test_sagemaker.py with the AWS tools' Python (boto3, moto), which the tests' own Python does not have.

    python sagemaker_driver.py moto PROJECT RECORD [COMMAND-LINE ...]      each COMMAND-LINE: a JSON list of arguments
                                                                          (or an edit between two: see edit())
    python sagemaker_driver.py stub PROJECT RECORD SCENARIO [ARGUMENT ...]

Prints one JSON line per command run: {"argv", "code", "stdout", "stderr"}. RECORD receives every request sent to
SageMaker as a JSON line {"operation", "params"}, for botocore_validate.py.

- moto: moto's server on 127.0.0.1 (ThreadedMotoServer, in this process) is AWS, reached through AWS_ENDPOINT_URL
  as a user's boto3 would reach AWS. What moto does not implement is done here on its backend, in a `before-call`
  handler (botocore's Stubber answers through the same event): UpdateEndpoint (switches the endpoint's configuration,
  or with the scenario variable ROLLBACK leaves it and records why, as SageMaker's auto-rollback does),
  StopTrainingJob and StopTransformJob (the job becomes Stopped), a processing job's outputs (PROCESSING_OUTPUTS).
  Log events for a training or processing job can be put in CloudWatch beforehand (LOG_LINES), as SageMaker's hosts
  write them.
- stub: botocore's Stubber answers SageMaker's calls with the responses of one scenario (see SCENARIOS): failures
  moto cannot produce. S3 and CloudWatch Logs stay moto's.
"""

import datetime
import io
import json
import logging
import os
import signal
import sys
import urllib.request
from pathlib import Path

import boto3
from botocore.awsrequest import AWSResponse
from botocore.stub import ANY, Stubber
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from captured_command import captured  # noqa: E402

from develop.sagemaker import cli, waiting  # noqa: E402
from develop.sagemaker.aws import Aws  # noqa: E402

from projects import free_port  # noqa: E402 (the port of this test's worker: see free_port)

ACCOUNT, REGION, BUCKET = "123456789012", "eu-west-1", "template-test-bucket"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerRole"
GROUP = "/aws/sagemaker/TrainingJobs"
PROCESSING_GROUP = "/aws/sagemaker/ProcessingJobs"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/sagemaker-algorithm:1.2.0"


def start_moto() -> str:
    port = free_port()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    # As a user's environment would say it; the credentials are fake, never real.
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return url


def session(record: Path) -> boto3.Session:
    """A session that appends every request to `record` (S3's bodies left out)."""
    made = boto3.Session(region_name=REGION)

    def keep(params, model, **_):
        service = model.service_model.service_name
        kept = {k: v for k, v in params.items() if not hasattr(v, "read")}
        with open(record, "a") as out:
            out.write(json.dumps({"service": service, "operation": model.name, "params": kept}, default=repr) + "\n")

    made.events.register("before-parameter-build", keep)
    return made


def throttle(made: boto3.Session, operation: str, times: int) -> list:
    """The next `times` sends of `operation` are answered by a ThrottlingException, as AWS answers a caller over its
    rate: through `before-send`, inside botocore's retry loop, so that the clients' own retry handles them."""
    throttled = []

    def answer(request, **_):
        if len(throttled) < times:
            throttled.append(1)
            body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, RawBody(body))
        return None

    made.events.register(f"before-send.sagemaker.{operation}", answer)
    return throttled


class RawBody(io.BytesIO):
    def stream(self, **_):
        yield self.getvalue()


def sagemaker_backend():
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[ACCOUNT][REGION]


def answered(parsed: dict):
    """What a `before-call` handler returns to answer a call itself, as botocore's Stubber does."""
    return AWSResponse("http://stand-in", 200, {}, None), parsed


def fill_in_for_moto(made: boto3.Session) -> None:
    def request(params: dict) -> dict:  # a `before-call` handler gets the request: SageMaker's is a JSON body
        return json.loads(params["body"])

    def update_endpoint(params, **_):
        params = request(params)
        endpoint = sagemaker_backend().endpoints[params["EndpointName"]]
        if os.environ.get("ROLLBACK"):
            endpoint.failure_reason = os.environ["ROLLBACK"]
        else:
            endpoint.endpoint_config_name = params["EndpointConfigName"]
        return answered({"EndpointArn": endpoint.arn})

    def stop_training_job(params, **_):
        job = sagemaker_backend().training_jobs[request(params)["TrainingJobName"]]
        job.training_job_status = job.secondary_status = "Stopped"
        return answered({})

    def stop_transform_job(params, **_):
        sagemaker_backend().transform_jobs[request(params)["TransformJobName"]].transform_job_status = "Stopped"
        return answered({})

    def transform_job_answers(params, **_):
        """What SageMaker's transform job writes (moto's writes nothing): <key>.out for every input object, the
        answer's lines numbered as the input's. Written as the job is asked for; the call then goes on to moto."""
        params = request(params)
        s3 = boto3.Session(region_name=REGION).client("s3")  # the platform's writes: not recorded
        source = params["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
        target = params["TransformOutput"]["S3OutputPath"]
        bucket, prefix = source[len("s3://") :].split("/", 1)
        out_prefix = target[len("s3://") :].split("/", 1)[1]
        for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            lines = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode().splitlines()
            answer = "".join(f"answer {n}\n" for n, _ in enumerate(lines, 1))
            s3.put_object(Bucket=bucket, Key=out_prefix + item["Key"][len(prefix) :] + ".out", Body=answer.encode())

    def processing_outputs(params, **_):
        """PROCESSING_OUTPUTS ({output name: {file: text}}): what the job's process(job) writes (moto's job writes
        nothing), put under each output's S3Uri as the job is asked for; the call then goes on to moto."""
        written = json.loads(os.environ.get("PROCESSING_OUTPUTS", "{}"))
        s3 = boto3.Session(region_name=REGION).client("s3")  # the platform's writes: not recorded
        for output in request(params)["ProcessingOutputConfig"]["Outputs"]:
            bucket, prefix = output["S3Output"]["S3Uri"][len("s3://") :].split("/", 1)
            for file, text in written.get(output["OutputName"], {}).items():
                s3.put_object(Bucket=bucket, Key=f"{prefix}/{file}", Body=text.encode())

    def head_object(context, **_):
        """MODEL_SIZES ({s3 URI: bytes}): those objects are that large, as S3's HeadObject says (a model of
        gigabytes, without writing gigabytes here)."""
        sizes = json.loads(os.environ.get("MODEL_SIZES", "{}"))
        uri = f"s3://{context['input_params']['Bucket']}/{context['input_params']['Key']}"
        if uri in sizes:
            return answered({"ContentLength": sizes[uri], "ETag": '"0"'})
        return None

    made.events.register("before-call.s3.HeadObject", head_object)
    for operation, handler in (
        ("UpdateEndpoint", update_endpoint),
        ("StopTrainingJob", stop_training_job),
        ("StopTransformJob", stop_transform_job),
    ):
        made.events.register(f"before-call.sagemaker.{operation}", handler)
    made.events.register("before-call.sagemaker.CreateTransformJob", transform_job_answers)
    made.events.register("before-call.sagemaker.CreateProcessingJob", processing_outputs)


def prepare_aws() -> None:
    """The bucket, and what moto's InvokeEndpoint answers (the driver's calls: not recorded)."""
    s3 = boto3.Session(region_name=REGION).client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    if os.environ.get("ENDPOINT_RESULTS"):  # what moto's InvokeEndpoint answers, in order (default: "body")
        results = {"account_id": ACCOUNT, "region": REGION, "results": json.loads(os.environ["ENDPOINT_RESULTS"])}
        url = os.environ["AWS_ENDPOINT_URL"] + "/moto-api/static/sagemaker/endpoint-results"
        urllib.request.urlopen(urllib.request.Request(url, json.dumps(results).encode(), method="POST")).close()


def write_logs(made: boto3.Session) -> None:
    """LOG_LINES ({host stream: [message, ...]}): written to CloudWatch under the job's name as it is created, as
    SageMaker's hosts write their streams <job>/algo-N-<epoch>."""
    lines = json.loads(os.environ.get("LOG_LINES", "{}"))
    logs = boto3.Session(region_name=REGION).client("logs")  # the driver's calls: not recorded

    def write(parsed, **_):
        arn = parsed.get("TrainingJobArn") or parsed["ProcessingJobArn"]
        group = GROUP if "TrainingJobArn" in parsed else PROCESSING_GROUP
        job = arn.rsplit("/", 1)[1]
        now = int(datetime.datetime.now().timestamp() * 1000)
        for stream, messages in lines.items():
            logs.create_log_stream(logGroupName=group, logStreamName=f"{job}/{stream}")
            events = [{"timestamp": now + i, "message": m} for i, m in enumerate(messages)]
            logs.put_log_events(logGroupName=group, logStreamName=f"{job}/{stream}", logEvents=events)

    if lines:
        logs.create_log_group(logGroupName=GROUP)
        logs.create_log_group(logGroupName=PROCESSING_GROUP)
        made.events.register("after-call.sagemaker.CreateTrainingJob", write)
        made.events.register("after-call.sagemaker.CreateProcessingJob", write)


def edit(project: Path, action: str, *args: str) -> None:
    """What a user does between two commands: ["@write", PATH, TEXT], ["@remove", PATH], ["@forget-state"],
    ["@move-state", REGION]."""
    if action == "@write":
        (project / args[0]).write_text(args[1])
    elif action == "@remove":
        (project / args[0]).unlink()
    elif action == "@forget-state":
        (project / "sagemaker-state.json").unlink()
    elif action == "@move-state":  # as if what it lists had been made in region args[0]
        path = project / "sagemaker-state.json"
        entries = json.loads(path.read_text())["resources"]
        path.write_text(json.dumps({"resources": [{**e, "region": args[0]} for e in entries]}))
    else:
        raise ValueError(action)


def run(argv: list[str], project: Path, aws: Aws) -> dict:
    """One command as bin/sagemaker.sh runs it, its output captured."""
    return captured(cli.main, argv, project, aws)


# --- Stubber scenarios: SageMaker's answers that moto cannot give ---------------------------------------------------

NOW = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.UTC)


def job(status: str, secondary: str, **more) -> dict:
    return {
        "TrainingJobName": ANY_NAME,
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/x",
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://{BUCKET}/out/model.tar.gz"},
        "TrainingJobStatus": status,
        "SecondaryStatus": secondary,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "CreationTime": NOW,
        **more,
    }


ANY_NAME = "stubbed-job"
CREATED = {"TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/x"}


def endpoint(status: str, config: str, **more) -> dict:
    return {
        "EndpointName": "sagemaker-algorithm",
        "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/sagemaker-algorithm",
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
        **more,
    }


def stub_training(stubber: Stubber, describes: list[dict], stop: bool = False) -> None:
    stubber.add_response("create_training_job", CREATED)
    for found in describes:
        stubber.add_response("describe_training_job", found, {"TrainingJobName": ANY})
    if stop:
        stubber.add_response("stop_training_job", {}, {"TrainingJobName": ANY})
        stubber.add_response("describe_training_job", job("Stopped", "Stopped"), {"TrainingJobName": ANY})


def training_fails(stubber: Stubber, aws: Aws) -> None:
    reason = "AlgorithmError: column 'species' not found in training/iris.csv"
    stub_training(stubber, [job("InProgress", "Training"), job("Failed", "Failed", FailureReason=reason)])


def training_times_out(stubber: Stubber, aws: Aws) -> None:
    stub_training(stubber, [job("InProgress", "Starting")] * 50)


def training_interrupted(stubber: Stubber, aws: Aws) -> None:
    """Ctrl-C while the job trains: a real SIGINT, raised after the second status poll."""
    stub_training(stubber, [job("InProgress", "Starting"), job("InProgress", "Training")], stop=True)
    polls = []

    def interrupt(**_):
        polls.append(1)
        if len(polls) == 2:
            signal.raise_signal(signal.SIGINT)

    aws.sagemaker.meta.events.register("after-call.sagemaker.DescribeTrainingJob", interrupt)


def endpoint_fails(stubber: Stubber, aws: Aws) -> None:
    missing = {"service_error_code": "ValidationException", "service_message": 'Could not find endpoint "x".'}
    stubber.add_client_error("describe_endpoint", **missing)
    stubber.add_response("create_model", {"ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/m"})
    stubber.add_response("create_endpoint_config", {"EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:c/c"})
    stubber.add_response("create_endpoint", {"EndpointArn": endpoint("Creating", "c")["EndpointArn"]})
    reason = "The primary container for production variant AllTraffic did not pass the ping health check."
    stubber.add_response("describe_endpoint", endpoint("Creating", ANY_NAME))
    stubber.add_response("describe_endpoint", endpoint("Failed", ANY_NAME, FailureReason=reason))


def deploy_interrupted(stubber: Stubber, aws: Aws) -> None:
    """Ctrl-C while the endpoint is being created: the wait stops, the endpoint goes on (and stays recorded)."""
    missing = {"service_error_code": "ValidationException", "service_message": 'Could not find endpoint "x".'}
    stubber.add_client_error("describe_endpoint", **missing)
    stubber.add_response("create_model", {"ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/m"})
    stubber.add_response("create_endpoint_config", {"EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:c/c"})
    stubber.add_response("create_endpoint", {"EndpointArn": endpoint("Creating", "c")["EndpointArn"]})
    stubber.add_response("describe_endpoint", endpoint("Creating", ANY_NAME))
    polls = []

    def interrupt(**_):  # the first DescribeEndpoint asks whether it exists; the second is the wait's
        polls.append(1)
        if len(polls) == 2:
            signal.raise_signal(signal.SIGINT)

    aws.sagemaker.meta.events.register("after-call.sagemaker.DescribeEndpoint", interrupt)


def update_rolls_back(stubber: Stubber, aws: Aws) -> None:
    stubber.add_response("describe_endpoint", endpoint("InService", "old-config"))
    stubber.add_response("create_model", {"ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/m"})
    stubber.add_response("create_endpoint_config", {"EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:c/c"})
    stubber.add_response("update_endpoint", {"EndpointArn": endpoint("Updating", "c")["EndpointArn"]})
    reason = "Alarm sagemaker-algorithm-5xx fired: rolled back to the previous configuration."
    for status in ("Updating", "RollingBack", "InService"):
        stubber.add_response("describe_endpoint", endpoint(status, "old-config", FailureReason=reason))


def model_error(stubber: Stubber, aws: Aws) -> None:
    """The container answered 400: InvokeEndpoint's ModelError carries its status and message."""
    stubber.add_response("describe_endpoint", endpoint("InService", "c"))
    stubber.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "c",
            "EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/c",
            "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "m"}],
            "CreationTime": NOW,
        },
    )
    runtime = Stubber(aws.runtime)
    runtime.add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message='Received client error (400) from primary with message "column petal_width is missing"',
        http_status_code=424,
        modeled_fields={"OriginalStatusCode": 400, "OriginalMessage": "column petal_width is missing"},
    )
    runtime.activate()


def kms_key_refused(stubber: Stubber, aws: Aws) -> None:
    """SageMaker refuses the job: its role may not use the key (the uploads before it went through)."""
    stubber.add_client_error(
        "create_training_job",
        service_error_code="ValidationException",
        service_message=(
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/SageMakerRole/SageMaker is not authorized to perform: "
            "kms:CreateGrant on the KMS key"
        ),
    )


def upload_kms_refused(stubber: Stubber, aws: Aws) -> None:
    """S3 refuses an upload encrypted with a key the caller may not use: AccessDenied, as S3 answers it (its XML),
    through `before-send`, so that boto3's transfer manager sees S3's own refusal."""
    body = (
        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>User is not authorized to "
        b"perform: kms:GenerateDataKey on the KMS key</Message></Error>"
    )

    def refuse(request, **_):
        return AWSResponse(request.url, 403, {"Content-Type": "application/xml"}, RawBody(body))

    aws.s3.meta.events.register("before-send.s3.PutObject", refuse)


def scaling_refused(stubber: Stubber, aws: Aws) -> None:
    """The endpoint is made; Application Auto Scaling refuses its scalable target."""
    missing = {"service_error_code": "ValidationException", "service_message": 'Could not find endpoint "x".'}
    stubber.add_client_error("describe_endpoint", **missing)
    stubber.add_response("create_model", {"ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/m"})
    stubber.add_response("create_endpoint_config", {"EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:c/c"})
    stubber.add_response("create_endpoint", {"EndpointArn": endpoint("Creating", "c")["EndpointArn"]})
    stubber.add_response("describe_endpoint", endpoint("InService", ANY_NAME))
    made = []  # the configuration deploy names: the endpoint serves it once InService

    def serve_it(params, **_):
        made.append(params["EndpointConfigName"])

    def in_service(parsed, **_):
        if made:  # not the first call, which finds no endpoint
            parsed["EndpointConfigName"] = made[-1]

    aws.sagemaker.meta.events.register("provide-client-params.sagemaker.CreateEndpointConfig", serve_it)
    aws.sagemaker.meta.events.register("after-call.sagemaker.DescribeEndpoint", in_service)
    scaling = Stubber(aws.autoscaling)
    scaling.add_client_error(
        "register_scalable_target",
        service_error_code="ValidationException",
        service_message="Maximum capacity 40 exceeds the account's instance limit of 20 for ml.m5.large endpoints",
    )
    scaling.activate()


def processing_job(status: str, **more) -> dict:
    return {
        "ProcessingJobName": ANY_NAME,
        "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/x",
        "ProcessingJobStatus": status,
        "AppSpecification": {"ImageUri": IMAGE, "ContainerArguments": ["process", "evaluate"]},
        "ProcessingResources": {
            "ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30}
        },
        "RoleArn": ROLE,
        "CreationTime": NOW,
        **more,
    }


def processing_fails(stubber: Stubber, aws: Aws) -> None:
    """process(job) raised: the job fails with its ExitMessage (output/message)."""
    stubber.add_response(
        "create_processing_job", {"ProcessingJobArn": processing_job("InProgress")["ProcessingJobArn"]}
    )
    stubber.add_response("describe_processing_job", processing_job("InProgress"), {"ProcessingJobName": ANY})
    failed = processing_job(
        "Failed",
        FailureReason="AlgorithmError: See job logs for more information",
        ExitMessage="ValueError: input raw (/opt/ml/processing/input/raw) holds no file",
    )
    stubber.add_response("describe_processing_job", failed, {"ProcessingJobName": ANY})


def processing_interrupted(stubber: Stubber, aws: Aws) -> None:
    """Ctrl-C while the job runs: a real SIGINT after the second status poll; the job is stopped on SageMaker."""
    stubber.add_response(
        "create_processing_job", {"ProcessingJobArn": processing_job("InProgress")["ProcessingJobArn"]}
    )
    for _ in range(2):
        stubber.add_response("describe_processing_job", processing_job("InProgress"), {"ProcessingJobName": ANY})
    stubber.add_response("stop_processing_job", {}, {"ProcessingJobName": ANY})
    stubber.add_response("describe_processing_job", processing_job("Stopped"), {"ProcessingJobName": ANY})
    polls = []

    def interrupt(**_):
        polls.append(1)
        if len(polls) == 2:
            signal.raise_signal(signal.SIGINT)

    aws.sagemaker.meta.events.register("after-call.sagemaker.DescribeProcessingJob", interrupt)


def warm_pool_released(stubber: Stubber, aws: Aws) -> None:
    """destroy finds the finished job's warm pool still keeping its instances: released, as they bill until then."""
    pool = {"Status": "Available", "ResourceRetainedBillableTimeInSeconds": 120}
    stubber.add_response(
        "describe_training_job", job("Completed", "Completed", WarmPoolStatus=pool), {"TrainingJobName": ANY}
    )
    stubber.add_response(
        "update_training_job",
        {"TrainingJobArn": CREATED["TrainingJobArn"]},
        {"TrainingJobName": ANY, "ResourceConfig": {"KeepAlivePeriodInSeconds": 0}},
    )


SCENARIOS = {
    f.__name__: f
    for f in (
        processing_fails,
        processing_interrupted,
        warm_pool_released,
        scaling_refused,
        kms_key_refused,
        upload_kms_refused,
        training_fails,
        training_times_out,
        training_interrupted,
        endpoint_fails,
        deploy_interrupted,
        update_rolls_back,
        model_error,
    )
}


def main(args: list[str]) -> None:
    mode, project, record = args[0], Path(args[1]), Path(args[2])
    start_moto()
    made = session(record)
    prepare_aws()
    write_logs(made)
    waiting.DELAY = float(os.environ.get("POLL_DELAY", "0.01"))
    aws = Aws(made)
    if mode == "moto":
        fill_in_for_moto(made)
        operation, _, times = os.environ.get("THROTTLE", "DescribeEndpoint:0").partition(":")
        throttled = throttle(made, operation, int(times))
        for line in args[3:]:
            argv = json.loads(line)
            if argv[0].startswith("@"):
                edit(project, *argv)
            else:
                print(json.dumps(run(argv, project, aws)), flush=True)
        print(json.dumps({"throttled": len(throttled)}), flush=True)
        return
    scenario, argv = args[3], args[4:]
    stubber = Stubber(aws.sagemaker)
    SCENARIOS[scenario](stubber, aws)
    with stubber:
        print(json.dumps({**run(argv, project, aws), "unused": not_consumed(stubber)}), flush=True)


def not_consumed(stubber: Stubber) -> int:
    """0 when every queued answer was asked for: the command made exactly the calls the scenario expects."""
    try:
        stubber.assert_no_pending_responses()
    except AssertionError:
        return 1
    return 0


if __name__ == "__main__":
    main(sys.argv[1:])
